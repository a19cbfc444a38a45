package io.pushline.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.interaso.webpush.VapidKeys;
import com.interaso.webpush.WebPush;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MockWebPush} against a sender nobody on the project wrote ({@code com.interaso:webpush}, the library
 * Pushline's web push provider builds on): the mock's own RFC 8291 decryption and RFC 8292 VAPID check must accept
 * what that library writes, recover the exact payload, and refuse what a push service refuses.
 */
@Timeout(60)
class MockWebPushTest {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final VapidKeys vapid = VapidKeys.generate();
    private final WebPush sender = new WebPush("mailto:ops@pushline.example", vapid);
    private final MockWebPush service = MockWebPush.start();

    @AfterEach
    void close() {
        service.close();
    }

    private String applicationServerKey(VapidKeys keys) {
        return B64.encodeToString(keys.getApplicationServerKey());
    }

    /** What a sender POSTs: the library's encrypted body and headers (VAPID, TTL, encoding, urgency, topic). */
    private HttpResponse<String> push(WebPush from, MockWebPush.Subscription to, String payload, Map<String, String> extra)
            throws Exception {
        byte[] body = from.getBody(payload.getBytes(StandardCharsets.UTF_8), UNB64.decode(to.p256dh()), UNB64.decode(to.auth()));
        HttpRequest.Builder request = HttpRequest.newBuilder(to.endpoint()).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        from.getHeaders(to.endpoint().toString(), 60, "likes", WebPush.Urgency.High).forEach((k, v) -> {
            if (!k.equalsIgnoreCase("Content-Length")) {
                request.header(k, v);
            }
        });
        extra.forEach(request::setHeader);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void decryptsWhatTheLibrarySendsAndRecordsItByPushId() throws Exception {
        MockWebPush.Subscription subscription = service.subscribe(applicationServerKey(vapid));
        assertThat(UNB64.decode(subscription.p256dh())).hasSize(65);
        assertThat(UNB64.decode(subscription.auth())).hasSize(16);
        String pushId = UUID.randomUUID().toString();
        String payload = "{\"title\":\"Ada liked your post\",\"body\":\"Café ☕\",\"data\":{\"" + MockWebPush.PUSH_ID_DATA_KEY
                + "\":\"" + pushId + "\"}}";

        HttpResponse<String> answer = push(sender, subscription, payload, Map.of());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        assertThat(answer.headers().firstValue("Location")).isPresent();
        assertThat(service.ledger().countsByPushId()).containsExactly(Map.entry(pushId, 1));
        PushLedger.WireRequest wire = service.ledger().wireRequest(pushId).orElseThrow();
        assertThat(wire.body()).as("the decrypted payload").isEqualTo(payload);
        assertThat(wire.headers()).containsEntry("TTL", "60").containsEntry("Urgency", "high").containsEntry("Topic", "likes")
                .containsEntry("Content-Encoding", "aes128gcm");
        assertThat(service.refusals()).isEmpty();
    }

    @Test
    void refusesWhatAPushServiceRefuses() throws Exception {
        MockWebPush.Subscription subscription = service.subscribe(applicationServerKey(vapid));

        // Another application server's keys: the JWT verifies, but k= is not the key the subscription was made with.
        WebPush stranger = new WebPush("mailto:someone@else.example", VapidKeys.generate());
        assertThat(push(stranger, subscription, "{}", Map.of()).statusCode()).isEqualTo(403);
        // No VAPID at all, a signature that does not verify, and no TTL.
        assertThat(push(sender, subscription, "{}", Map.of("Authorization", "WebPush nothing")).statusCode()).isEqualTo(401);
        String authorization = sender.getHeaders(subscription.endpoint().toString(), 60, null, null).get("Authorization");
        String forged = authorization.replaceFirst("t=([^.]+)\\.([^.]+)\\.", "t=$1." + B64.encodeToString("{\"aud\":\"x\"}".getBytes()) + ".");
        assertThat(push(sender, subscription, "{}", Map.of("Authorization", forged)).statusCode()).isEqualTo(401);
        assertThat(push(sender, subscription, "{}", Map.of("TTL", "soon")).statusCode()).isEqualTo(400);
        assertThat(service.refusals()).hasSize(4);

        // A body for another subscriber's keys does not decrypt.
        MockWebPush.Subscription other = service.subscribe(applicationServerKey(vapid));
        byte[] wrongBody = sender.getBody("{}".getBytes(StandardCharsets.UTF_8), UNB64.decode(other.p256dh()), UNB64.decode(other.auth()));
        HttpRequest.Builder request = HttpRequest.newBuilder(subscription.endpoint()).POST(HttpRequest.BodyPublishers.ofByteArray(wrongBody));
        sender.getHeaders(subscription.endpoint().toString(), 60, null, null).forEach((k, v) -> {
            if (!k.equalsIgnoreCase("Content-Length")) {
                request.header(k, v);
            }
        });
        assertThat(http.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
        assertThat(service.ledger().acceptedCount()).isZero();

        service.unsubscribe(subscription.id());
        assertThat(push(sender, subscription, "{}", Map.of()).statusCode()).as("a revoked subscription").isEqualTo(410);
    }

    @Test
    void aJwtExpiringMoreThanADayAheadIsRefused() throws Exception {
        // The service's clock is two days behind the sender's: any exp the library sets is then more than 24 h ahead.
        try (MockWebPush behind = MockWebPush.start(0, Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC))) {
            MockWebPush.Subscription subscription = behind.subscribe(applicationServerKey(vapid));
            assertThat(push(sender, subscription, "{}", Map.of()).statusCode()).isEqualTo(401);
            assertThat(behind.refusals().keySet()).anyMatch(reason -> reason.contains("exp"));
        }
    }

    @Test
    void answersAsScriptedPerSubscription() throws Exception {
        MockWebPush.Subscription gone = service.subscribe(applicationServerKey(vapid));
        MockWebPush.Subscription throttled = service.subscribe(applicationServerKey(vapid));
        MockWebPush.Subscription large = service.subscribe(applicationServerKey(vapid));
        MockWebPush.Subscription failing = service.subscribe(applicationServerKey(vapid));
        MockWebPush.Subscription fine = service.subscribe(applicationServerKey(vapid));
        service.behaviour(Behaviour.forTokens(gone.id()::equals, Verdict.unregistered(Instant.now()))
                .orElse(Behaviour.forTokens(throttled.id()::equals, Verdict.tooManyRequests(Duration.ofSeconds(7))))
                .orElse(Behaviour.forTokens(large.id()::equals, Verdict.misconfigured(Fault.PAYLOAD_TOO_LARGE)))
                .orElse(Behaviour.forTokens(failing.id()::equals, Verdict.serviceUnavailable(Duration.ofSeconds(3))))
                .orElse(Behaviour.acceptAll()));

        assertThat(push(sender, gone, "{}", Map.of()).statusCode()).isEqualTo(410);
        HttpResponse<String> slowDown = push(sender, throttled, "{}", Map.of());
        assertThat(slowDown.statusCode()).isEqualTo(429);
        assertThat(slowDown.headers().firstValue("Retry-After")).contains("7");
        assertThat(push(sender, large, "{}", Map.of()).statusCode()).isEqualTo(413);
        HttpResponse<String> unavailable = push(sender, failing, "{}", Map.of());
        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertThat(unavailable.headers().firstValue("Retry-After")).contains("3");
        assertThat(push(sender, fine, "{\"" + MockWebPush.PUSH_ID_DATA_KEY + "\":\"p-1\"}", Map.of()).statusCode()).isEqualTo(201);
        assertThat(service.ledger().countsByPushId()).containsExactly(Map.entry("p-1", 1));
    }
}
