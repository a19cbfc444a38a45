package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.Behaviour;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.Verdict;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real Firebase Admin SDK against FakeFcm over HTTP on loopback. */
@Timeout(60)
class FcmProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05Z");

    private FakeFcm fcm;
    private final List<FcmProvider> providers = new ArrayList<>();

    @BeforeEach
    void start() {
        fcm = FakeFcm.start();
    }

    @AfterEach
    void stop() {
        providers.forEach(FcmProvider::close);
        fcm.close();
    }

    @Test
    void deliveredWithTheMessageNameAndThePushIdArrivesInData() {
        FcmProvider provider = provider(builder());
        PushRequest request = Requests.fcm(Requests.FCM_TOKEN);

        PushOutcome outcome = send(provider, request);

        assertThat(outcome).isInstanceOfSatisfying(PushOutcome.Delivered.class,
                delivered -> assertThat(delivered.providerId()).matches("projects/demo-project/messages/fake-\\d+"));
        assertThat(fcm.ledger().accepted()).singleElement().satisfies(accepted -> {
            assertThat(accepted.token()).isEqualTo(Requests.FCM_TOKEN);
            assertThat(accepted.pushId()).isEqualTo(request.pushId());
        });
    }

    @Test
    void everyFieldOfTheRequestReachesTheWireAsFcmExpectsIt() throws Exception {
        FcmProvider provider = provider(builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)));
        PushRequest request = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.FCM, Requests.FCM_TOKEN,
                null, "Alice liked your post", "Tap to see it", java.util.Map.of("post", "p-42"), "like-p-42",
                NOW.plusSeconds(3600), Priority.HIGH, PushType.ALERT, 7, "chime");

        assertThat(send(provider, request)).isInstanceOf(PushOutcome.Delivered.class);

        com.fasterxml.jackson.databind.JsonNode message = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(fcm.ledger().wireRequest(request.pushId()).orElseThrow().body());
        assertThat(message.path("token").asText()).isEqualTo(Requests.FCM_TOKEN);
        assertThat(message.at("/notification/title").asText()).isEqualTo("Alice liked your post");
        assertThat(message.at("/notification/body").asText()).isEqualTo("Tap to see it");
        assertThat(message.at("/data/post").asText()).isEqualTo("p-42");
        assertThat(message.at("/data/" + PushRequest.PUSH_ID_DATA_KEY).asText()).isEqualTo(request.pushId());
        assertThat(message.at("/android/priority").asText()).isEqualTo("high");
        assertThat(message.at("/android/collapse_key").asText()).isEqualTo("like-p-42");
        assertThat(message.at("/android/ttl").asText()).isEqualTo("3600s");
        assertThat(message.at("/android/notification/sound").asText()).isEqualTo("chime");
        assertThat(message.at("/android/notification/notification_count").asInt()).isEqualTo(7);
    }

    @Test
    void aBackgroundPushIsADataMessageWithNormalPriorityFieldsLeftOut() throws Exception {
        FcmProvider provider = provider(builder());
        PushRequest request = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.FCM, Requests.FCM_TOKEN,
                null, "ignored", "ignored", java.util.Map.of("sync", "1"), null, null, Priority.NORMAL, PushType.BACKGROUND, 3, "chime");

        assertThat(send(provider, request)).isInstanceOf(PushOutcome.Delivered.class);

        com.fasterxml.jackson.databind.JsonNode message = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(fcm.ledger().wireRequest(request.pushId()).orElseThrow().body());
        assertThat(message.has("notification")).isFalse();
        assertThat(message.at("/android/priority").asText()).isEqualTo("normal");
        assertThat(message.at("/android/notification").isMissingNode()).isTrue();
        assertThat(message.at("/data/sync").asText()).isEqualTo("1");
    }

    @Test
    void fakeAccessTokenIsSentAsIsAndNothingIsRefreshed() {
        FcmProvider provider = provider(builder());

        for (int i = 0; i < 3; i++) {
            assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        }

        assertThat(fcm.authorizations()).containsExactly("Bearer fake");
        assertThat(fcm.tokenRequests()).isZero();
        assertThat(fcm.unmatchedRequests()).isZero();
    }

    @Test
    void unregisteredIsATokenInvalidationAsOfNow() {
        fcm.behaviour(Behaviour.forTokens(Requests.FCM_TOKEN::equals, Verdict.unregistered(NOW.minusSeconds(60))).orElse(Behaviour.acceptAll()));
        FcmProvider provider = provider(builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)));

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.Rejected("UNREGISTERED", true, NOW));
        assertThat(fcm.ledger().acceptedCount()).isZero();
    }

    @Test
    void invalidArgumentAboutTheTokenInvalidatesIt() {
        fcm.behaviour(Behaviour.always(Verdict.badDeviceToken()));
        FcmProvider provider = provider(builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)));

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOfSatisfying(PushOutcome.Rejected.class, rejected -> {
            assertThat(rejected.reason()).startsWith("INVALID_ARGUMENT").contains("registration token");
            assertThat(rejected.tokenInvalid()).isTrue();
            assertThat(rejected.invalidatedAt()).isEqualTo(NOW);
        });
    }

    @Test
    void quotaExceededIsRetryLaterWithRetryAfterOrSixtySeconds() {
        FcmProvider provider = provider(builder());

        fcm.behaviour(Behaviour.always(Verdict.tooManyRequests(Duration.ofSeconds(42))));
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("QUOTA_EXCEEDED", Duration.ofSeconds(42)));

        fcm.behaviour(Behaviour.always(Verdict.tooManyRequests(null)));
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("QUOTA_EXCEEDED", Duration.ofSeconds(60)));
        assertThat(fcm.receivedCount()).as("the SDK does not retry 429 itself").isEqualTo(2);
    }

    @Test
    void unavailableIsRetryLaterWithTheProvidersRetryAfter() {
        // A Retry-After beyond 60 s stops the SDK's own 503 retries, so this is one round trip.
        fcm.behaviour(Behaviour.always(Verdict.serviceUnavailable(Duration.ofMinutes(2))));
        FcmProvider provider = provider(builder());

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("UNAVAILABLE", Duration.ofMinutes(2)));
        assertThat(fcm.receivedCount()).isEqualTo(1);
    }

    @Test
    void theSdkRetriesA503FourTimesBeforeWeSeeIt() {
        // Worth knowing when sizing maxConcurrency: each retry holds the slot (here 4 × 1 s).
        fcm.behaviour(Behaviour.always(Verdict.serviceUnavailable(Duration.ofSeconds(1))));
        FcmProvider provider = provider(builder());

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("UNAVAILABLE", Duration.ofSeconds(1)));
        assertThat(fcm.receivedCount()).isEqualTo(5);
    }

    @org.junit.jupiter.params.ParameterizedTest
    // THIRD_PARTY_AUTH_ERROR comes with HTTP 401: the SDK refreshes its access token and tries again, and after the
    // second 401 the JDK HTTP client hands it no error body, so the code we see is the status, UNAUTHENTICATED.
    @org.junit.jupiter.params.provider.CsvSource({"SENDER_ID_MISMATCH,SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR,UNAUTHENTICATED"})
    void misconfigurationIsPermanentCountedAndKeepsTheToken(io.pushline.mock.Fault fault, String reason, @TempDir Path dir) throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        fcm.behaviour(Behaviour.always(Verdict.misconfigured(fault)));
        // A service account, as in production: on a 401 the SDK refreshes its access token and tries once more.
        FcmProvider provider = provider(FcmProvider.builder().serviceAccountJson(serviceAccountJson(dir, fcm.baseUrl() + "/token"))
                .endpoint(fcm.baseUrl()).meterRegistry(registry));

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOfSatisfying(PushOutcome.Rejected.class, rejected -> {
            assertThat(rejected.reason()).startsWith(reason);
            assertThat(rejected.tokenInvalid()).isFalse();
        });
        assertThat(registry.get(PushMetrics.CONFIG_REJECTIONS).tag(PushMetrics.TAG_PLATFORM, "fcm").tag(PushMetrics.TAG_REASON, reason)
                .counter().count()).isEqualTo(1);
    }

    @Test
    void anFcmPayloadTooBigAnswerIsPermanentAndKeepsTheToken() {
        fcm.behaviour(Behaviour.always(Verdict.misconfigured(io.pushline.mock.Fault.PAYLOAD_TOO_LARGE)));
        FcmProvider provider = provider(builder());

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOfSatisfying(PushOutcome.Rejected.class, rejected -> {
            assertThat(rejected.reason()).startsWith("INVALID_ARGUMENT").contains("too big");
            assertThat(rejected.tokenInvalid()).isFalse();
        });
    }

    @Test
    void internalErrorIsRetryLater() {
        fcm.behaviour(Behaviour.always(Verdict.internalError()));
        FcmProvider provider = provider(builder());

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("INTERNAL", null));
    }

    @Test
    void oversizePayloadIsRejectedWithoutARoundTrip() {
        FcmProvider provider = provider(builder());

        PushOutcome outcome = send(provider, Requests.withBody(Requests.fcm(Requests.FCM_TOKEN), "é".repeat(2100)));

        assertThat(outcome).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                rejected -> assertThat(rejected.reason()).matches("payload too large: \\d+ bytes > 4096"));
        assertThat(fcm.receivedCount()).isZero();
        assertThat(fcm.ledger().acceptedCount()).isZero();
    }

    @Test
    void neverMoreThanMaxConcurrencyAtTheServer() {
        fcm.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofMillis(30))));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FcmProvider provider = provider(builder().maxConcurrency(3).maxQueued(100).meterRegistry(registry));

        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            outcomes.add(provider.send(Requests.fcm(Requests.FCM_TOKEN)));
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();

        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(30);
        assertThat(fcm.maxConcurrentRequests()).isBetween(1, 3);
        assertThat(registry.get(PushMetrics.OUTCOMES).tag(PushMetrics.TAG_OUTCOME, "delivered").counter().count()).isEqualTo(30);
    }

    @Test
    void beyondTheQueueSendIsAnsweredAtOnce() {
        fcm.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofMillis(200))));
        FcmProvider provider = provider(builder().maxConcurrency(1).maxQueued(1));

        CompletableFuture<PushOutcome> first = provider.send(Requests.fcm(Requests.FCM_TOKEN));
        CompletableFuture<PushOutcome> second = provider.send(Requests.fcm(Requests.FCM_TOKEN));
        CompletableFuture<PushOutcome> third = provider.send(Requests.fcm(Requests.FCM_TOKEN));

        assertThat(third.getNow(null)).isInstanceOfSatisfying(PushOutcome.RetryLater.class,
                retry -> assertThat(retry.cause()).isEqualTo("FCM in-flight limit reached: 1 in flight and the queue full"));
        assertThat(first.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join()).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(second.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join()).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(fcm.receivedCount()).isEqualTo(2);
    }

    @Test
    void twelveHundredPushesGoInThreeBatchesOfAtMost500() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // A long linger so the trailing 200 are one batch however slowly this thread sends.
        FcmProvider provider = provider(builder().maxConcurrency(1200).maxQueued(0).sdkThreads(16)
                .batchLinger(Duration.ofSeconds(1)).meterRegistry(registry));

        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            outcomes.add(provider.send(Requests.fcm(Requests.FCM_TOKEN + "-" + i)));
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();

        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        assertThat(provider.batchesSent()).isEqualTo(3);
        var batchSize = registry.get(PushMetrics.FCM_BATCH_SIZE).summary();
        assertThat(batchSize.count()).isEqualTo(3);
        assertThat(batchSize.max()).isEqualTo(500);
        assertThat(batchSize.totalAmount()).isEqualTo(1200);
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(1200);
        assertThat(fcm.ledger().distinctPushIds()).isEqualTo(1200);
    }

    @Test
    void eachPushOfABatchGetsItsOwnOutcome() {
        fcm.behaviour(Behaviour.forTokens(token -> token.startsWith("dead-"), Verdict.unregistered(NOW.minusSeconds(60)))
                .orElse(Behaviour.acceptAll()));
        FcmProvider provider = provider(builder().maxBatchSize(10).batchLinger(Duration.ofSeconds(5)).clock(Clock.fixed(NOW, ZoneOffset.UTC)));

        List<PushRequest> requests = new ArrayList<>();
        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            PushRequest request = Requests.fcm((i % 3 == 0 ? "dead-" : "live-") + i + "-" + Requests.FCM_TOKEN);
            requests.add(request);
            outcomes.add(provider.send(request));
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();

        assertThat(provider.batchesSent()).isEqualTo(1);
        for (int i = 0; i < 10; i++) {
            if (requests.get(i).token().startsWith("dead-")) {
                assertThat(outcomes.get(i).join()).as("push %d", i).isEqualTo(new PushOutcome.Rejected("UNREGISTERED", true, NOW));
            } else {
                assertThat(outcomes.get(i).join()).as("push %d", i).isInstanceOf(PushOutcome.Delivered.class);
            }
        }
        assertThat(fcm.ledger().countsByToken()).containsOnlyKeys(
                requests.stream().map(PushRequest::token).filter(token -> token.startsWith("live-")).toArray(String[]::new));
    }

    @Test
    void lingerSendsAPartialBatch() {
        FcmProvider provider = provider(builder().maxBatchSize(500).batchLinger(Duration.ofMillis(50)));

        List<CompletableFuture<PushOutcome>> outcomes = List.of(
                provider.send(Requests.fcm(Requests.FCM_TOKEN)), provider.send(Requests.fcm(Requests.FCM_TOKEN)),
                provider.send(Requests.fcm(Requests.FCM_TOKEN)));

        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        assertThat(provider.batchesSent()).isEqualTo(1);
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(3);
    }

    @Test
    void batchesInFlightAreBounded() {
        fcm.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofMillis(20))));
        FcmProvider provider = provider(builder().maxConcurrency(20).maxBatchSize(2).maxBatchesInFlight(2).batchLinger(Duration.ZERO));

        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            outcomes.add(provider.send(Requests.fcm(Requests.FCM_TOKEN)));
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();

        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        assertThat(provider.maxBatchesInFlightSeen()).isBetween(1, 2);
        assertThat(fcm.maxConcurrentRequests()).isLessThanOrEqualTo(2);
    }

    @Test
    void aDroppedConnectionIsRetryLaterForThatPushOnly() {
        fcm.behaviour(Behaviour.forTokens(token -> token.startsWith("drop-"), Verdict.connectionDrop()).orElse(Behaviour.acceptAll()));
        FcmProvider provider = provider(builder().maxBatchSize(2).batchLinger(Duration.ofSeconds(5)));

        CompletableFuture<PushOutcome> dropped = provider.send(Requests.fcm("drop-" + Requests.FCM_TOKEN));
        CompletableFuture<PushOutcome> fine = provider.send(Requests.fcm(Requests.FCM_TOKEN));

        assertThat(dropped.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join()).isInstanceOf(PushOutcome.RetryLater.class);
        assertThat(fine.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join()).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(provider.batchesSent()).isEqualTo(1);
        assertThat(fcm.ledger().countsByToken()).containsOnlyKeys(Requests.FCM_TOKEN);
    }

    @Test
    void anOutageWindowIsRetryLaterOnlyWhileItLasts() {
        MutableClock mockClock = new MutableClock(NOW);
        fcm.behaviour(Behaviour.during(mockClock, NOW.plusSeconds(10), NOW.plusSeconds(40), Verdict.internalError()).orElse(Behaviour.acceptAll()));
        FcmProvider provider = provider(builder());

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        mockClock.advance(Duration.ofSeconds(10));
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(new PushOutcome.RetryLater("INTERNAL", null));
        mockClock.advance(Duration.ofSeconds(30));
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
    }

    @Test
    void noServerIsRetryLater() throws Exception {
        int freePort;
        try (ServerSocket socket = new ServerSocket(0)) {
            freePort = socket.getLocalPort();
        }
        FcmProvider provider = provider(builder().endpoint(URI.create("http://127.0.0.1:" + freePort)));

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.RetryLater.class);
    }

    @Test
    void serviceAccountJsonGetsItsTokenFromTheTokenUri(@TempDir Path dir) throws Exception {
        Path json = serviceAccountJson(dir, fcm.baseUrl() + "/token");
        FcmProvider provider = provider(FcmProvider.builder().serviceAccountJson(json).endpoint(fcm.baseUrl()));

        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOfSatisfying(PushOutcome.Delivered.class,
                delivered -> assertThat(delivered.providerId()).startsWith("projects/sa-project/messages/"));
        assertThat(fcm.tokenRequests()).isEqualTo(1);
        assertThat(fcm.authorizations()).containsExactly("Bearer fake-fcm-access-token");
        assertThat(provider.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void serviceAccountJsonTextWorksLikeTheFileAndABadOneNamesItsSourceNotItsContent(@TempDir Path dir) throws Exception {
        String json = Files.readString(serviceAccountJson(dir, fcm.baseUrl() + "/token"));
        FcmProvider provider = provider(FcmProvider.builder().serviceAccountJson(json, "PUSHLINE_FCM_SERVICE_ACCOUNT_JSON")
                .endpoint(fcm.baseUrl()));
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);

        String broken = json.replace("\"type\":\"service_account\"", "\"type\":\"authorized_user\"").replace("BEGIN", "BEGlN");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> FcmProvider.builder().serviceAccountJson(broken, "PUSHLINE_FCM_SERVICE_ACCOUNT_JSON").build())
                .withMessageStartingWith("service account key from PUSHLINE_FCM_SERVICE_ACCOUNT_JSON is not a service account key")
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("PRIVATE").doesNotContain("sa-project");
                    assertThat(e.getCause()).isNull();
                });
    }

    @Test
    void afterCloseSendsAreRetryLaterAndTheAppIsDeleted() {
        FcmProvider provider = provider(builder());
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        int appsBefore = com.google.firebase.FirebaseApp.getApps().size();

        provider.close();
        provider.close();

        assertThat(com.google.firebase.FirebaseApp.getApps()).hasSize(appsBefore - 1);
        assertThat(send(provider, Requests.fcm(Requests.FCM_TOKEN))).isEqualTo(PushOutcome.RetryLater.notSent("provider closed", null));
    }

    private FcmProvider.Builder builder() {
        GoogleCredentials fake = GoogleCredentials.create(new AccessToken("fake", Date.from(Instant.now().plus(3650, ChronoUnit.DAYS))));
        return FcmProvider.builder().projectId("demo-project").credentials(fake).endpoint(fcm.baseUrl());
    }

    private FcmProvider provider(FcmProvider.Builder builder) {
        FcmProvider provider = builder.build();
        providers.add(provider);
        return provider;
    }

    private static PushOutcome send(PushProvider provider, PushRequest request) {
        return provider.send(request).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    static Path serviceAccountJson(Path dir, String tokenUri) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String key = "-----BEGIN PRIVATE KEY-----\\n"
                + Base64.getEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\\n-----END PRIVATE KEY-----\\n";
        String json = "{\"type\":\"service_account\",\"project_id\":\"sa-project\",\"private_key_id\":\"key-1\","
                + "\"private_key\":\"" + key + "\",\"client_email\":\"pushline@sa-project.iam.gserviceaccount.com\","
                + "\"client_id\":\"1234567890\",\"token_uri\":\"" + tokenUri + "\"}";
        Path file = dir.resolve("service-account.json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }
}
