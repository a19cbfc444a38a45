package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.interaso.webpush.VapidKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.Behaviour;
import io.pushline.mock.Fault;
import io.pushline.mock.MockWebPush;
import io.pushline.mock.PushLedger;
import io.pushline.mock.Verdict;
import io.pushline.testkit.Waits;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link WebPushProvider} against {@link MockWebPush}, a push service that decrypts every body with the subscriber's
 * keys and checks the VAPID JWT with crypto of its own: what arrives is what was sent, and each answer maps to its
 * outcome.
 */
@Timeout(60)
class WebPushProviderTest {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final VapidKeys vapid = VapidKeys.generate();
    private final MockWebPush service = MockWebPush.start();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private WebPushProvider provider;

    @AfterEach
    void close() {
        if (provider != null) {
            provider.close();
        }
        service.close();
    }

    private static String publicKey(VapidKeys keys) {
        return B64.encodeToString(keys.getApplicationServerKey());
    }

    /** The 32-byte private scalar, base64url: the form {@code web-push generate-vapid-keys} prints. */
    private static String privateKey(VapidKeys keys) {
        byte[] raw = keys.getPrivateKey().getS().toByteArray();
        byte[] scalar = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, scalar, 32 - copy, copy);
        return B64.encodeToString(scalar);
    }

    private WebPushProvider provider() {
        provider = WebPushProvider.builder().vapid(null, "mailto:ops@pushline.example", publicKey(vapid), privateKey(vapid))
                .allowLoopbackHttp(true).meterRegistry(registry).build();
        return provider;
    }

    private static PushRequest push(MockWebPush.Subscription to, String title, String collapseKey, Instant expiresAt) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, to.id(), null, title, "liked your post",
                Map.of("postId", "p-1"), collapseKey, expiresAt, Priority.HIGH, PushType.ALERT, null, null,
                WebPushSubscription.of(to.endpoint().toString(), to.p256dh(), to.auth()));
    }

    @Test
    void aPushArrivesDecryptedAsSentWithItsHeaders() {
        WebPushProvider web = provider();
        MockWebPush.Subscription subscription = service.subscribe(publicKey(vapid));
        PushRequest request = push(subscription, "Ada", "post:p-1 likes", Instant.now().plus(Duration.ofHours(1)));

        PushOutcome outcome = web.send(request).join();

        assertThat(outcome).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(service.ledger().countsByPushId()).containsExactly(Map.entry(request.pushId(), 1));
        PushLedger.WireRequest wire = service.ledger().wireRequest(request.pushId()).orElseThrow();
        assertThat(wire.body()).isEqualTo(new String(WebPushProvider.payload(request), StandardCharsets.UTF_8))
                .contains("\"title\":\"Ada\"").contains("\"pushline_push_id\":\"" + request.pushId() + "\"");
        assertThat(wire.headers()).containsEntry("Urgency", "high").containsEntry("Topic", WebPushProvider.topic("post:p-1 likes"));
        assertThat(Long.parseLong(wire.headers().get("TTL"))).isBetween(3500L, 3600L);
        assertThat(registry.get(PushMetrics.OUTCOMES).tag(PushMetrics.TAG_PLATFORM, "webpush").tag("outcome", "delivered")
                .counter().count()).isEqualTo(1);

        // A second push to the same push service reuses the signed VAPID token (one ES256 signature per origin, not per push).
        PushRequest second = push(service.subscribe(publicKey(vapid)), "Bob", null, null);
        assertThat(web.send(second).join()).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(service.ledger().wireRequest(second.pushId()).orElseThrow().headers().get("Authorization"))
                .startsWith("vapid t=").isEqualTo(wire.headers().get("Authorization"));
        assertThat(service.ledger().wireRequest(second.pushId()).orElseThrow().headers()).doesNotContainKey("Topic")
                .containsEntry("TTL", Long.toString(WebPushProvider.DEFAULT_TTL_SECONDS));
    }

    @Test
    void eachAnswerMapsToItsOutcome() {
        WebPushProvider web = provider();
        MockWebPush.Subscription gone = service.subscribe(publicKey(vapid));
        MockWebPush.Subscription throttled = service.subscribe(publicKey(vapid));
        MockWebPush.Subscription large = service.subscribe(publicKey(vapid));
        MockWebPush.Subscription failing = service.subscribe(publicKey(vapid));
        MockWebPush.Subscription refused = service.subscribe(publicKey(vapid));
        MockWebPush.Subscription badRequest = service.subscribe(publicKey(vapid));
        service.behaviour(Behaviour.forTokens(badRequest.id()::equals, Verdict.misconfigured(Fault.BAD_TOPIC))
                .orElse(Behaviour.forTokens(gone.id()::equals, Verdict.unregistered(Instant.now())))
                .orElse(Behaviour.forTokens(throttled.id()::equals, Verdict.tooManyRequests(Duration.ofSeconds(7))))
                .orElse(Behaviour.forTokens(large.id()::equals, Verdict.misconfigured(Fault.PAYLOAD_TOO_LARGE)))
                .orElse(Behaviour.forTokens(failing.id()::equals, Verdict.internalError()))
                .orElse(Behaviour.forTokens(refused.id()::equals, Verdict.misconfigured(Fault.THIRD_PARTY_AUTH_ERROR)))
                .orElse(Behaviour.acceptAll()));

        assertThat(web.send(push(gone, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class, r -> {
            assertThat(r.tokenInvalid()).as("410: the subscription is gone").isTrue();
            assertThat(r.invalidatedAt()).isNotNull();
        });
        assertThat(web.send(push(throttled, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.RetryLater.class,
                r -> assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
        assertThat(web.send(push(large, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                r -> assertThat(r.reason()).startsWith("PayloadTooLarge").satisfies(x -> assertThat(r.tokenInvalid()).isFalse()));
        assertThat(web.send(push(failing, "t", null, null)).join()).isInstanceOf(PushOutcome.RetryLater.class);
        assertThat(web.send(push(refused, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                r -> assertThat(PushMeters.code(r.reason())).isEqualTo("Forbidden"));
        assertThat(registry.get(PushMetrics.CONFIG_REJECTIONS).tag(PushMetrics.TAG_REASON, "Forbidden").counter().count()).isEqualTo(1);
        assertThat(web.send(push(badRequest, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                r -> assertThat(PushMeters.code(r.reason())).isEqualTo("BadRequest"));
        assertThat(registry.get(PushMetrics.CONFIG_REJECTIONS).tag(PushMetrics.TAG_REASON, "BadRequest").counter().count())
                .as("400: a configuration rejection, counted like 401/403").isEqualTo(1);
    }

    @Test
    void keysOfAnotherAppAreRefusedByThePushServiceAndAnAppWithoutKeysIsRejectedHere() {
        VapidKeys other = VapidKeys.generate();
        provider = WebPushProvider.builder().vapid("app-a", "mailto:a@pushline.example", publicKey(vapid), privateKey(vapid))
                .vapid("app-b", "https://pushline.example/contact", publicKey(other), privateKey(other))
                .allowLoopbackHttp(true).meterRegistry(registry).build();
        MockWebPush.Subscription forA = service.subscribe(publicKey(vapid));
        PushRequest base = push(forA, "t", null, null);
        PushRequest asA = withApp(base, "app-a");
        PushRequest asB = withApp(base, "app-b");
        PushRequest asC = withApp(base, "app-c");

        assertThat(provider.send(asA).join()).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(provider.send(asB).join()).as("signed with app B's keys, subscribed with A's")
                .isInstanceOf(PushOutcome.Rejected.class);
        assertThat(provider.send(asC).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                r -> assertThat(r.reason()).startsWith("NoVapidKeys"));
    }

    private static PushRequest withApp(PushRequest r, String appId) {
        return new PushRequest(UUID.randomUUID().toString(), r.platform(), r.token(), appId, r.title(), r.body(), r.data(), r.collapseKey(),
                r.expiresAt(), r.priority(), r.pushType(), r.badge(), r.sound(), r.webPush());
    }

    @Test
    void aSlowPushServiceHoldsOnlyItsOwnShareOfTheInFlightBound() throws Exception {
        try (MockWebPush slow = MockWebPush.start()) {
            slow.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofSeconds(1))));
            provider = WebPushProvider.builder().vapid(null, "mailto:ops@pushline.example", publicKey(vapid), privateKey(vapid))
                    .allowLoopbackHttp(true).maxInFlight(4, 2, 100).meterRegistry(registry).build();
            MockWebPush.Subscription slowOne = slow.subscribe(publicKey(vapid));
            List<CompletableFuture<PushOutcome>> slowPushes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                slowPushes.add(provider.send(push(slowOne, "slow", null, null)));
            }
            // Two are on the wire to the slow service and six wait for its bound, holding none of the total's four slots:
            // a push to another service goes at once and is answered while the slow service still holds most of its pushes.
            PushOutcome fast = provider.send(push(service.subscribe(publicKey(vapid)), "fast", null, null)).get(30, TimeUnit.SECONDS);
            assertThat(fast).isInstanceOf(PushOutcome.Delivered.class);
            assertThat(slowPushes.stream().filter(f -> !f.isDone()).count()).as("slow pushes still waiting").isGreaterThanOrEqualTo(4);
            // The slow host's own gauges show it: its bound's two on the wire, the rest waiting (as long as they wait).
            String slowHost = slowOne.endpoint().getHost() + ":" + slowOne.endpoint().getPort();
            Waits.until(() -> registry.get(PushMetrics.WEBPUSH_HOST_IN_FLIGHT).tag(PushMetrics.TAG_HOST, slowHost).gauge().value() == 2.0
                    && registry.get(PushMetrics.WEBPUSH_HOST_QUEUED).tag(PushMetrics.TAG_HOST, slowHost).gauge().value() >= 1.0,
                    Duration.ofSeconds(2), "the slow host's gauges: two on the wire, the rest waiting");
            assertThat(CompletableFuture.allOf(slowPushes.toArray(CompletableFuture[]::new))
                    .thenApply(x -> slowPushes.stream().allMatch(f -> f.join() instanceof PushOutcome.Delivered)).get(60, TimeUnit.SECONDS))
                    .as("every slow push delivered in the end").isTrue();
        }
    }

    @Test
    void closeAnswersTheQueuedAndWaitsForThoseOnTheWire() {
        service.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofMillis(500))));
        provider = WebPushProvider.builder().vapid(null, "mailto:ops@pushline.example", publicKey(vapid), privateKey(vapid))
                .allowLoopbackHttp(true).maxInFlight(2, 2, 10).build();
        MockWebPush.Subscription subscription = service.subscribe(publicKey(vapid));
        List<CompletableFuture<PushOutcome>> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(provider.send(push(subscription, "t", null, null)));
        }
        Waits.until(() -> service.receivedCount() == 2, Duration.ofSeconds(30), "two pushes on the wire");

        provider.close();

        assertThat(sent).as("every push answered by close").allMatch(CompletableFuture::isDone);
        assertThat(sent.stream().map(CompletableFuture::join).filter(o -> o instanceof PushOutcome.Delivered).count())
                .as("those on the wire delivered").isEqualTo(2);
        assertThat(sent.stream().map(CompletableFuture::join).filter(o -> o instanceof PushOutcome.RetryLater r && !r.reachedProvider())
                .count()).as("the queued answered RetryLater, not sent").isEqualTo(3);
        assertThat(provider.send(push(subscription, "t", null, null)).join()).isInstanceOf(PushOutcome.RetryLater.class);
    }

    @Test
    void aPayloadTooLargeOnceEncryptedIsRejectedWithoutARoundTrip() {
        WebPushProvider web = provider();
        MockWebPush.Subscription subscription = service.subscribe(publicKey(vapid));
        PushOutcome outcome = web.send(push(subscription, "x".repeat(4000), null, null)).join();
        assertThat(outcome).isInstanceOfSatisfying(PushOutcome.Rejected.class, r -> assertThat(r.reason()).startsWith("PayloadTooLarge"));
        assertThat(service.receivedCount()).isZero();
    }

    @Test
    void theSizeCheckKnowsWhatEncryptionAdds() {
        // The provider refuses an oversized push before encrypting it, by this constant: hold it to the library.
        MockWebPush.Subscription s = service.subscribe(publicKey(vapid));
        com.interaso.webpush.WebPush library = new com.interaso.webpush.WebPush("mailto:ops@pushline.example", vapid);
        for (int n : new int[] {0, 1, 100, 4096 - WebPushProvider.AES128GCM_OVERHEAD}) {
            assertThat(library.getBody(new byte[n], Base64.getUrlDecoder().decode(s.p256dh()), Base64.getUrlDecoder().decode(s.auth())))
                    .hasSize(n + WebPushProvider.AES128GCM_OVERHEAD);
        }
    }

    @Test
    void aSubscriptionPastItsExpirationTimeIsGoneWithoutARoundTrip() {
        WebPushProvider web = provider();
        MockWebPush.Subscription to = service.subscribe(publicKey(vapid));
        long expired = System.currentTimeMillis() - 1_000;
        PushRequest request = new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, to.id(), null, "t", "b", Map.of(),
                null, null, Priority.HIGH, PushType.ALERT, null, null,
                WebPushSubscription.of(to.endpoint().toString(), to.p256dh(), to.auth(), expired));
        assertThat(web.send(request).join()).isEqualTo(new PushOutcome.Rejected("SubscriptionExpired", true, Instant.ofEpochMilli(expired)));
        assertThat(service.receivedCount()).isZero();
        PushRequest later = new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, to.id(), null, "t", "b", Map.of(),
                null, null, Priority.HIGH, PushType.ALERT, null, null,
                WebPushSubscription.of(to.endpoint().toString(), to.p256dh(), to.auth(), System.currentTimeMillis() + 3_600_000));
        assertThat(web.send(later).join()).isInstanceOf(PushOutcome.Delivered.class);
    }

    @Test
    void anHttpEndpointIsRefusedUnlessLoopbackHttpIsAllowed() {
        provider = WebPushProvider.builder().vapid(null, "mailto:ops@pushline.example", publicKey(vapid), privateKey(vapid)).build();
        MockWebPush.Subscription subscription = service.subscribe(publicKey(vapid));
        assertThat(provider.send(push(subscription, "t", null, null)).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                r -> assertThat(r.reason()).startsWith("InsecureEndpoint"));
        assertThat(service.receivedCount()).isZero();
    }

    @Test
    void badVapidKeysAreRefusedAtStartWithAClearMessageThatHoldsNoKey() {
        VapidKeys other = VapidKeys.generate();
        String secret = privateKey(vapid);
        assertThatThrownBy(() -> WebPushProvider.builder().vapid("app-a", "mailto:a@x.example", publicKey(other), secret))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("app-a").hasMessageContaining("not the private key's")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        assertThatThrownBy(() -> WebPushProvider.builder().vapid(null, "mailto:a@x.example", "AAAA", secret))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("default VAPID keys").hasMessageContaining("public key")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        assertThatThrownBy(() -> WebPushProvider.builder().vapid(null, "mailto:a@x.example", publicKey(vapid), "c2hvcnQ"))
                .hasMessageContaining("private key is not");
        assertThatThrownBy(() -> WebPushProvider.builder().vapid(null, "ops@x.example", publicKey(vapid), secret))
                .hasMessageContaining("mailto: or https:");
        assertThatThrownBy(() -> WebPushProvider.builder().build()).hasMessageContaining("VAPID keys");
    }

    @Test
    void aSubscriptionIsValidatedAndNeverShowsItsEndpointPath() {
        MockWebPush.Subscription s = service.subscribe(publicKey(vapid));
        WebPushSubscription ok = WebPushSubscription.of(s.endpoint().toString(), s.p256dh(), s.auth() + "==");
        assertThat(ok.onLoopback()).isTrue();
        assertThat(ok.toString()).doesNotContain(s.id());
        assertThatThrownBy(() -> WebPushSubscription.of("http://push.example.com/x", s.p256dh(), s.auth()))
                .hasMessageContaining("https:");
        assertThatThrownBy(() -> WebPushSubscription.of(s.endpoint().toString(), s.auth(), s.auth()))
                .hasMessageContaining("p256dh");
        assertThatThrownBy(() -> WebPushSubscription.of(s.endpoint().toString(), s.p256dh(), s.p256dh()))
                .hasMessageContaining("keys.auth must be 16 bytes");
        assertThatThrownBy(() -> WebPushSubscription.of(s.endpoint().toString(), "not base64!", s.auth()))
                .hasMessageContaining("base64url");
        assertThatThrownBy(() -> new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, "t", null, "a", "b", null, null, null,
                Priority.NORMAL, PushType.ALERT, null, null, null)).hasMessageContaining("webPush");
        assertThatThrownBy(() -> new PushRequest(UUID.randomUUID().toString(), Platform.FCM, "t", null, "a", "b", null, null, null,
                Priority.NORMAL, PushType.ALERT, null, null, ok)).hasMessageContaining("WEBPUSH only");
        assertThat(Arrays.equals(ok.p256dh(), Base64.getUrlDecoder().decode(s.p256dh()))).isTrue();
        assertThat(URI.create(ok.origin())).isEqualTo(URI.create(service.origin()));
    }
}
