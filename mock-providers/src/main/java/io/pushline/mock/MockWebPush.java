package io.pushline.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local web push service (RFC 8030) for tests, on loopback over plain HTTP: it hands out subscriptions as a browser's
 * {@code PushManager.subscribe} would (an endpoint, {@code keys.p256dh}, {@code keys.auth}), keeping each subscriber's
 * private key, and for every push to an endpoint it checks what a real push service checks and what only the browser
 * could: the VAPID authorization (RFC 8292: ES256 JWT, {@code aud} the service's origin, {@code exp} within 24 h, a
 * {@code sub}, and {@code k} equal to the {@code applicationServerKey} the subscription was made with), the
 * {@code TTL} header, {@code Content-Encoding: aes128gcm}, and it decrypts the body (RFC 8291) with the subscriber's
 * keys, with crypto of its own ({@link WebPushCrypto}), not a sender library's. A push that passes is answered
 * 201 and recorded in the {@link PushLedger} under the subscription id, with its push id (the decrypted JSON's
 * {@code pushline_push_id}, at the top or under {@code data}) and the decrypted payload as the wire body.
 *
 * <p>Answers a {@link Behaviour} decides, per subscription id and push id, as push services word them: unregistered
 * → 410 Gone; bad device token → 404; too many requests → 429 with {@code Retry-After}; payload too large → 413;
 * service unavailable → 503 with {@code Retry-After}; internal error → 500; a VAPID or auth fault → 403; a topic
 * fault → 400; a dropped connection → no answer. A push that fails a check is answered 400 (bad headers, bad
 * encryption), 401 (no or a bad VAPID authorization) or 403 ({@code k} not the subscription's key), and counted in
 * {@link #refusals()} with its reason.
 *
 * <p>Thread-safe. Must be closed.
 */
public final class MockWebPush implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MockWebPush.class);
    /** The data key that carries Pushline's push id inside the decrypted payload. */
    public static final String PUSH_ID_DATA_KEY = "pushline_push_id";
    private static final int MAX_BODY_BYTES = 8192;

    /**
     * A subscription as {@code PushSubscription.toJSON()} gives it to the web app (what the app sends to its server).
     *
     * @param id       the subscription's id (the last path segment of its endpoint)
     * @param endpoint where pushes to it are POSTed
     * @param p256dh   the subscriber's public key, base64url, 65 bytes decoded
     * @param auth     the subscriber's auth secret, base64url, 16 bytes decoded
     */
    public record Subscription(String id, URI endpoint, String p256dh, String auth) {
        public Subscription {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(p256dh, "p256dh");
            Objects.requireNonNull(auth, "auth");
        }
    }

    /** What the service keeps of a subscriber: its keys (a browser keeps them) and the VAPID key it subscribed with. */
    private record Subscriber(KeyPair keys, byte[] auth, String applicationServerKey) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Clock clock;
    private final PushLedger ledger = new PushLedger();
    private final ObjectMapper json = new ObjectMapper();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Subscriber> subscribers = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Behaviour behaviour = Behaviour.acceptAll();

    private MockWebPush(int port, Clock clock) throws IOException {
        this.clock = clock;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        this.executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "pushline-mock-webpush");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/push/", this::handle);
        server.start();
    }

    /** A push service on a free loopback port, on the system clock. */
    public static MockWebPush start() {
        return start(0, Clock.systemUTC());
    }

    /** A push service on {@code port} (0: a free one), judging VAPID expiry by {@code clock}. */
    public static MockWebPush start(int port, Clock clock) {
        try {
            return new MockWebPush(port, Objects.requireNonNull(clock, "clock"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the mock web push service on port " + port, e);
        }
    }

    /** A new P-256 key pair, for a web app's VAPID keys in tests and the demo. */
    public static KeyPair newVapidKeys() {
        return WebPushCrypto.newKeyPair();
    }

    /** A VAPID public key as a web app gives it to {@code pushManager.subscribe}: base64url of the uncompressed point. */
    public static String applicationServerKey(ECPublicKey key) {
        return WebPushCrypto.B64URL.encodeToString(WebPushCrypto.uncompressed(key));
    }

    /** {@code http://127.0.0.1:PORT}: the push service's origin, which a VAPID JWT's {@code aud} must equal. */
    public String origin() {
        InetSocketAddress address = server.getAddress();
        return "http://" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /**
     * A new subscription for a web app whose {@code applicationServerKey} (its VAPID public key, base64url of the
     * 65-byte point) is {@code applicationServerKey}: pushes to it must carry that key as {@code k}.
     */
    public Subscription subscribe(String applicationServerKey) {
        Objects.requireNonNull(applicationServerKey, "applicationServerKey");
        String id = UUID.randomUUID().toString();
        KeyPair keys = WebPushCrypto.newKeyPair();
        byte[] auth = new byte[16];
        random.nextBytes(auth);
        subscribers.put(id, new Subscriber(keys, auth, applicationServerKey));
        return new Subscription(id, URI.create(origin() + "/push/" + id),
                WebPushCrypto.B64URL.encodeToString(WebPushCrypto.uncompressed((ECPublicKey) keys.getPublic())),
                WebPushCrypto.B64URL.encodeToString(auth));
    }

    /** Forgets a subscription, as a browser does when the user revokes permission: pushes to it get 410 from now on. */
    public void unsubscribe(String id) {
        subscribers.remove(id);
    }

    public MockWebPush behaviour(Behaviour value) {
        this.behaviour = Objects.requireNonNull(value, "behaviour");
        return this;
    }

    public PushLedger ledger() {
        return ledger;
    }

    /** Requests received at push endpoints, answered or not. */
    public long receivedCount() {
        return received.get();
    }

    /** Pushes refused by a check (not by the behaviour), by reason. */
    public Map<String, Long> refusals() {
        Map<String, Long> out = new java.util.TreeMap<>();
        refusals.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "MockWebPush[" + origin() + ", accepted=" + ledger.acceptedCount() + "]";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            received.incrementAndGet();
            String id = exchange.getRequestURI().getPath().substring("/push/".length());
            if (!"POST".equals(exchange.getRequestMethod())) {
                Exchanges.drain(exchange);
                respond(exchange, 405, "use POST", null);
                return;
            }
            byte[] body = read(exchange);
            if (body == null) {
                refuse(exchange, 413, "body over " + MAX_BODY_BYTES + " bytes");
                return;
            }
            Subscriber subscriber = subscribers.get(id);
            if (subscriber == null) {
                respond(exchange, 410, "no such subscription", null);
                return;
            }
            String checked = check(exchange, subscriber);
            if (checked != null) {
                refuse(exchange, checked.startsWith("vapid") ? 401 : checked.startsWith("key") ? 403 : 400, checked);
                return;
            }
            byte[] plaintext;
            try {
                plaintext = WebPushCrypto.decrypt(body, subscriber.keys(), subscriber.auth());
            } catch (GeneralSecurityException | RuntimeException e) {
                refuse(exchange, 400, "cannot decrypt: " + e.getMessage());
                return;
            }
            String payload = new String(plaintext, StandardCharsets.UTF_8);
            String pushId = pushId(payload);
            Verdict verdict = behaviour.decide(id, pushId);
            if (verdict == null) {
                verdict = Verdict.accept();
            }
            RequestStats.pause(verdict.delay());
            if (verdict instanceof Verdict.Reject reject) {
                reject(exchange, reject);
                return;
            }
            ledger.record(id, pushId, clock.instant(), headers(exchange), payload);
            exchange.getResponseHeaders().set("Location", origin() + "/message/" + UUID.randomUUID());
            respond(exchange, 201, "", null);
        } catch (RuntimeException e) {
            log.warn("mock web push failed to answer a request", e);
        }
    }

    /** Null if the headers are what a push service requires; else why not ("vapid ...", "key ...", or another). */
    private String check(HttpExchange exchange, Subscriber subscriber) {
        String ttl = exchange.getRequestHeaders().getFirst("TTL");
        if (ttl == null || !ttl.matches("[0-9]{1,10}")) {
            return "TTL header missing or not a number of seconds";
        }
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        if (!"aes128gcm".equalsIgnoreCase(encoding)) {
            return "Content-Encoding is not aes128gcm";
        }
        String urgency = exchange.getRequestHeaders().getFirst("Urgency");
        if (urgency != null && !Set.of("very-low", "low", "normal", "high").contains(urgency)) {
            return "Urgency is not one of very-low, low, normal, high";
        }
        String topic = exchange.getRequestHeaders().getFirst("Topic");
        if (topic != null && !topic.matches("[A-Za-z0-9_-]{1,32}")) {
            return "Topic is not up to 32 base64url characters";
        }
        String key;
        try {
            key = WebPushCrypto.verifyVapid(exchange.getRequestHeaders().getFirst("Authorization"), origin(),
                    clock.instant().getEpochSecond());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return "vapid: " + e.getMessage();
        }
        if (!key.equals(subscriber.applicationServerKey())) {
            return "key: k= is not the applicationServerKey this subscription was made with";
        }
        return null;
    }

    private String pushId(String payload) {
        try {
            JsonNode root = json.readTree(payload);
            if (root == null || !root.isObject()) {
                return "";
            }
            return root.path(PUSH_ID_DATA_KEY).asText(root.path("data").path(PUSH_ID_DATA_KEY).asText(""));
        } catch (IOException e) {
            return "";   // a payload that is not JSON is still a push; it has no push id
        }
    }

    private static Map<String, String> headers(HttpExchange exchange) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (String name : new String[] {"TTL", "Urgency", "Topic", "Content-Encoding", "Authorization"}) {
            String value = exchange.getRequestHeaders().getFirst(name);
            if (value != null) {
                out.put(name, value);
            }
        }
        return out;
    }

    private void refuse(HttpExchange exchange, int status, String reason) throws IOException {
        refusals.computeIfAbsent(reason.length() > 40 ? reason.substring(0, 40) : reason, k -> new AtomicLong()).incrementAndGet();
        log.debug("mock web push refused a push: {}", reason);
        respond(exchange, status, reason, null);
    }

    private static void reject(HttpExchange exchange, Verdict.Reject reject) throws IOException {
        Duration retryAfter = reject.retryAfter();
        switch (reject.fault()) {
            case UNREGISTERED -> respond(exchange, 410, "push subscription has unsubscribed or expired", null);
            case BAD_DEVICE_TOKEN -> respond(exchange, 404, "push subscription not found", null);
            case TOO_MANY_REQUESTS -> respond(exchange, 429, "too many requests", retryAfter);
            case SERVICE_UNAVAILABLE -> respond(exchange, 503, "service unavailable", retryAfter);
            case INTERNAL_ERROR -> respond(exchange, 500, "internal error", null);
            case PAYLOAD_TOO_LARGE -> respond(exchange, 413, "payload too large", null);
            // Closing an exchange before any response headers closes the connection (JDK HttpServer).
            case CONNECTION_DROP -> log.debug("mock web push drops a connection (scripted)");
            case BAD_TOPIC, TOPIC_DISALLOWED -> respond(exchange, 400, "bad request", null);
            case SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR -> respond(exchange, 403, "VAPID credentials rejected", null);
        }
    }

    /** The body, or null if it exceeds {@link #MAX_BODY_BYTES}. */
    private static byte[] read(HttpExchange exchange) throws IOException {
        return Exchanges.readAtMost(exchange, MAX_BODY_BYTES);
    }

    private static void respond(HttpExchange exchange, int status, String body, Duration retryAfter) throws IOException {
        Exchanges.respond(exchange, status, "text/plain; charset=UTF-8", body, retryAfter);
    }
}
