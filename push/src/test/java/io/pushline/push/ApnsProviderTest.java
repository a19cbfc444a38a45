package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.Behaviour;
import io.pushline.mock.MockApns;
import io.pushline.mock.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real Pushy client against Pushy's MockApnsServer over HTTP/2 + TLS on loopback. */
@Timeout(60)
class ApnsProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private MockApns apns;
    private final List<ApnsProvider> providers = new ArrayList<>();

    @BeforeEach
    void start() {
        apns = MockApns.start();
    }

    @AfterEach
    void stop() {
        providers.forEach(ApnsProvider::close);
        apns.close();
    }

    @Test
    void deliveredWithTheApnsIdAndThePushIdArrivesAtTheMock() {
        ApnsProvider provider = provider(ApnsProvider.builder());
        PushRequest request = Requests.apns(Requests.APNS_TOKEN);

        PushOutcome outcome = send(provider, request);

        assertThat(outcome).isEqualTo(new PushOutcome.Delivered(request.pushId()));
        assertThat(apns.ledger().accepted()).singleElement().satisfies(accepted -> {
            assertThat(accepted.token()).isEqualTo(Requests.APNS_TOKEN);
            assertThat(accepted.pushId()).isEqualTo(request.pushId());
        });
    }

    @Test
    void everyFieldOfTheRequestReachesTheWireAsApnsExpectsIt() throws Exception {
        ApnsProvider provider = provider(ApnsProvider.builder());
        Instant expiresAt = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        PushRequest request = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN,
                Requests.TOPIC, "Alice liked your post", "Tap to see it", Map.of("post", "p-42"), "like-p-42", expiresAt,
                Priority.HIGH, PushType.ALERT, 7, "chime.caf");

        assertThat(send(provider, request)).isInstanceOf(PushOutcome.Delivered.class);

        io.pushline.mock.PushLedger.WireRequest wire = apns.ledger().wireRequest(request.pushId()).orElseThrow();
        assertThat(wire.headers()).containsEntry("apns-id", request.pushId())
                .containsEntry("apns-topic", Requests.TOPIC)
                .containsEntry("apns-collapse-id", "like-p-42")
                .containsEntry("apns-expiration", Long.toString(expiresAt.getEpochSecond()))
                .containsEntry("apns-priority", "10")
                .containsEntry("apns-push-type", "alert");
        com.fasterxml.jackson.databind.JsonNode payload = new com.fasterxml.jackson.databind.ObjectMapper().readTree(wire.body());
        assertThat(payload.at("/aps/alert/title").asText()).isEqualTo("Alice liked your post");
        assertThat(payload.at("/aps/alert/body").asText()).isEqualTo("Tap to see it");
        assertThat(payload.at("/aps/badge").asInt()).isEqualTo(7);
        assertThat(payload.at("/aps/sound").asText()).isEqualTo("chime.caf");
        assertThat(payload.path("post").asText()).isEqualTo("p-42");
        assertThat(payload.path(PushRequest.PUSH_ID_DATA_KEY).asText()).isEqualTo(request.pushId());
    }

    @Test
    void aBackgroundPushIsSilentWithPriorityFiveAndNoAlertBadgeOrSound() throws Exception {
        ApnsProvider provider = provider(ApnsProvider.builder());
        PushRequest request = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN,
                Requests.TOPIC, "ignored", "ignored", Map.of("sync", "1"), null, null, Priority.HIGH, PushType.BACKGROUND, 3, "chime.caf");

        assertThat(send(provider, request)).isInstanceOf(PushOutcome.Delivered.class);

        io.pushline.mock.PushLedger.WireRequest wire = apns.ledger().wireRequest(request.pushId()).orElseThrow();
        assertThat(wire.headers()).containsEntry("apns-priority", "5").containsEntry("apns-push-type", "background")
                .doesNotContainKey("apns-collapse-id");
        com.fasterxml.jackson.databind.JsonNode aps = new com.fasterxml.jackson.databind.ObjectMapper().readTree(wire.body()).path("aps");
        assertThat(aps.path("content-available").asInt()).isEqualTo(1);
        assertThat(aps.has("alert")).isFalse();
        assertThat(aps.has("badge")).isFalse();
        assertThat(aps.has("sound")).isFalse();
    }

    @Test
    void normalPriorityIsFiveAndAnAlertWithoutSoundGetsTheDefaultSound() throws Exception {
        ApnsProvider provider = provider(ApnsProvider.builder());
        PushRequest request = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN,
                Requests.TOPIC, "t", "b", Map.of(), null, null, Priority.NORMAL, PushType.ALERT);

        assertThat(send(provider, request)).isInstanceOf(PushOutcome.Delivered.class);

        io.pushline.mock.PushLedger.WireRequest wire = apns.ledger().wireRequest(request.pushId()).orElseThrow();
        assertThat(wire.headers()).containsEntry("apns-priority", "5");
        com.fasterxml.jackson.databind.JsonNode aps = new com.fasterxml.jackson.databind.ObjectMapper().readTree(wire.body()).path("aps");
        assertThat(aps.path("sound").asText()).isEqualTo("default");
        assertThat(aps.has("badge")).isFalse();
    }

    @Test
    void backgroundPushIsDelivered() {
        ApnsProvider provider = provider(ApnsProvider.builder());
        PushRequest background = new PushRequest(java.util.UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN,
                Requests.TOPIC, null, null, Map.of("sync", "1"), null, Instant.now().plusSeconds(600), Priority.HIGH, PushType.BACKGROUND);

        assertThat(send(provider, background)).isInstanceOf(PushOutcome.Delivered.class);
    }

    @Test
    void unregisteredIsATokenInvalidationWithApnsTimestamp() {
        Instant invalidatedAt = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        apns.behaviour(Behaviour.forTokens(Requests.APNS_TOKEN::equals, Verdict.unregistered(invalidatedAt)).orElse(Behaviour.acceptAll()));
        ApnsProvider provider = provider(ApnsProvider.builder());

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN)))
                .isEqualTo(new PushOutcome.Rejected("Unregistered", true, invalidatedAt));
        assertThat(apns.ledger().acceptedCount()).isZero();
    }

    @Test
    void badDeviceTokenIsATokenInvalidationAsOfNow() {
        Instant now = Instant.parse("2030-01-02T03:04:05Z");
        apns.behaviour(Behaviour.always(Verdict.badDeviceToken()));
        ApnsProvider provider = provider(ApnsProvider.builder().clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC)));

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.Rejected("BadDeviceToken", true, now));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"BAD_TOPIC,BadTopic", "TOPIC_DISALLOWED,TopicDisallowed", "PAYLOAD_TOO_LARGE,PayloadTooLarge",
            "THIRD_PARTY_AUTH_ERROR,InvalidProviderToken"})
    void misconfigurationIsPermanentCountedAndKeepsTheToken(io.pushline.mock.Fault fault, String reason) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        apns.behaviour(Behaviour.always(Verdict.misconfigured(fault)));
        ApnsProvider provider = provider(ApnsProvider.builder().meterRegistry(registry));

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.Rejected(reason, false, null));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Rejected.class);
        assertThat(registry.get(PushMetrics.CONFIG_REJECTIONS).tag(PushMetrics.TAG_PLATFORM, "apns").tag(PushMetrics.TAG_REASON, reason)
                .counter().count()).isEqualTo(2);
    }

    @Test
    void throttlingAndOutagesAreRetryLater() {
        ApnsProvider provider = provider(ApnsProvider.builder());

        apns.behaviour(Behaviour.always(Verdict.tooManyRequests(null)));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.RetryLater("TooManyRequests", null));

        apns.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.RetryLater("ServiceUnavailable", null));

        apns.behaviour(Behaviour.always(Verdict.internalError()));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.RetryLater("InternalServerError", null));
        assertThat(apns.ledger().acceptedCount()).isZero();
    }

    @Test
    void oversizePayloadIsRejectedWithoutARoundTrip() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ApnsProvider provider = provider(ApnsProvider.builder().meterRegistry(registry));

        PushOutcome outcome = send(provider, Requests.withBody(Requests.apns(Requests.APNS_TOKEN), "x".repeat(5000)));

        assertThat(outcome).isInstanceOfSatisfying(PushOutcome.Rejected.class, rejected -> {
            assertThat(rejected.reason()).matches("payload too large: \\d+ bytes > 4096");
            assertThat(rejected.tokenInvalid()).isFalse();
        });
        assertThat(apns.receivedCount()).isZero();
        assertThat(apns.ledger().acceptedCount()).isZero();
        assertThat(registry.get(PushMetrics.REFUSED).tag(PushMetrics.TAG_REASON, "payload_too_large").counter().count()).isEqualTo(1);
    }

    @Test
    void nothingIsSentBeyondTheInFlightBoundWhileTheServerHasNotAnswered() throws Exception {
        CountDownLatch serverHolding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger();
        // The first push holds the mock's event loop until released: nothing is answered meanwhile.
        apns.behaviour((token, pushId) -> {
            if (seen.getAndIncrement() == 0) {
                serverHolding.countDown();
                awaitQuietly(release);
            }
            return Verdict.accept();
        });
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ApnsProvider provider = provider(ApnsProvider.builder()
                .concurrentConnections(1).maxInFlightPerConnection(3).maxQueued(2).meterRegistry(registry));

        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            outcomes.add(provider.send(Requests.apns(Requests.APNS_TOKEN)));
        }
        assertThat(serverHolding.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        // 3 in flight, 2 queued; the other 15 were answered at once without being sent.
        List<CompletableFuture<PushOutcome>> refused = outcomes.subList(5, 20);
        assertThat(refused).isNotEmpty().allSatisfy(outcome -> assertThat(outcome.getNow(null))
                .isInstanceOfSatisfying(PushOutcome.RetryLater.class, retry -> assertThat(retry.cause()).contains("in-flight limit")));
        assertThat(outcomes.subList(0, 5)).noneMatch(CompletableFuture::isDone);
        assertThat(registry.get(PushMetrics.IN_FLIGHT).gauge().value()).isEqualTo(3);
        assertThat(registry.get(PushMetrics.QUEUED).gauge().value()).isEqualTo(2);

        release.countDown();
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(outcomes.subList(0, 5)).isNotEmpty().allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        assertThat(apns.receivedCount()).isEqualTo(5);
        assertThat(apns.ledger().acceptedCount()).isEqualTo(5);
        assertThat(registry.get(PushMetrics.REFUSED).tag(PushMetrics.TAG_REASON, "saturated").counter().count()).isEqualTo(15);
    }

    @Test
    void aServerThatIsGoneIsRetryLater() {
        MockApns gone = MockApns.start();
        ApnsProvider provider = providerFor(gone, ApnsProvider.builder());
        gone.close();

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.RetryLater.class);
    }

    @Test
    void afterCloseSendsAreRetryLater() {
        ApnsProvider provider = provider(ApnsProvider.builder());
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);

        provider.close();
        provider.close();

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(PushOutcome.RetryLater.notSent("provider closed", null));
    }

    @Test
    void registersPushyAndPushlineMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ApnsProvider provider = provider(ApnsProvider.builder().meterRegistry(registry));

        send(provider, Requests.apns(Requests.APNS_TOKEN));

        assertThat(registry.get(PushMetrics.OUTCOMES).tag(PushMetrics.TAG_OUTCOME, "delivered").counter().count()).isEqualTo(1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(
                registry.get(com.eatthepath.pushy.apns.metrics.micrometer.MicrometerApnsClientMetricsListener.ACCEPTED_NOTIFICATIONS_COUNTER_NAME)
                        .counter().count()).isEqualTo(1));
    }

    @Test
    void aDroppedConnectionIsRetryLaterAndTheNextPushGetsThrough() {
        apns.behaviour(Behaviour.forTokens(Requests.APNS_TOKEN::equals, Verdict.connectionDrop()).orElse(Behaviour.acceptAll()));
        ApnsProvider provider = provider(ApnsProvider.builder());

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.RetryLater.class);
        assertThat(apns.ledger().acceptedCount()).isZero();

        String otherToken = "f".repeat(64);
        assertThat(send(provider, Requests.apns(otherToken))).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(apns.ledger().countsByToken()).containsOnlyKeys(otherToken);
    }

    @Test
    void anOutageWindowIsRetryLaterOnlyWhileItLasts() {
        MutableClock mockClock = new MutableClock(Instant.parse("2030-01-02T03:04:05Z"));
        Instant from = mockClock.instant().plusSeconds(10);
        apns.behaviour(Behaviour.during(mockClock, from, from.plusSeconds(30), Verdict.serviceUnavailable(null)).orElse(Behaviour.acceptAll()));
        ApnsProvider provider = provider(ApnsProvider.builder());

        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        mockClock.advance(Duration.ofSeconds(10));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.RetryLater("ServiceUnavailable", null));
        mockClock.advance(Duration.ofSeconds(30));
        assertThat(send(provider, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
    }

    private ApnsProvider provider(ApnsProvider.Builder builder) {
        return providerFor(apns, builder);
    }

    private ApnsProvider providerFor(MockApns target, ApnsProvider.Builder builder) {
        ApnsProvider provider = builder
                .server(target.host(), target.port())
                .trustedServerCertificatePem(target.trustedCertificatePem())
                .signingKey(target.signingMaterial().pkcs8Pem(), target.signingMaterial().teamId(), target.signingMaterial().keyId())
                .build();
        providers.add(provider);
        return provider;
    }

    private static PushOutcome send(PushProvider provider, PushRequest request) {
        return provider.send(request).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
