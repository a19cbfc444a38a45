package io.pushline.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.interaso.webpush.VapidKeys;
import com.interaso.webpush.WebPush;
import io.micrometer.core.instrument.MeterRegistry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends web pushes (RFC 8030) to browsers' push services: the payload encrypted for the subscriber ({@code aes128gcm},
 * RFC 8291) and the request signed with the app's VAPID keys (RFC 8292), both by {@code com.interaso:webpush}, a small
 * library on the JDK's own crypto (Vaadin moved to it; the older {@code nl.martijndwars:web-push} pulls an old
 * BouncyCastle and a vulnerable async-http-client). The transport is the JDK's {@link HttpClient}, HTTP/2 where the push
 * service offers it, one client (its connection pool) for every push service host.
 *
 * <p>Keys: a VAPID key set (subject and keys) per {@code appId}, or one default for apps without their own. Keys are
 * never logged; a request for an app with no keys is rejected ({@code NoVapidKeys}), counted as a misconfiguration.
 *
 * <p>Bounds: at most {@code maxInFlight} pushes in flight over all push services, and at most
 * {@code maxInFlightPerHost} to any one host, so one slow push service cannot hold the others' share; beyond them up
 * to {@code maxQueued} wait, and further pushes answer {@code RetryLater} at once (not sent). Hosts beyond
 * {@link #MAX_HOSTS} share one bound (a flood of made-up endpoints cannot grow the map).
 *
 * <p>Answers: 201/202 → {@code Delivered} (the {@code Location} header, else the push id); 404/410 → the subscription
 * is gone ({@code Rejected}, token invalid, as of now; so is one past its {@code expirationTime}, unsent); 413 → {@code Rejected(PayloadTooLarge)}; 429 and 5xx →
 * {@code RetryLater}, honouring {@code Retry-After} (seconds or an HTTP date); 400/401/403 → {@code Rejected} as a
 * configuration rejection (counted, logged at most once a minute, like APNs' and FCM's); a lost connection or no
 * answer within the request timeout → {@code RetryLater}. A payload over 4,096 bytes once encrypted is rejected without
 * a round trip. Headers: {@code TTL} from the push's expiry, {@code Urgency} from its priority (high, else normal),
 * {@code Topic} from its collapse key (as is when it is 1–32 base64url characters, else the first 32 of its
 * SHA-256 in base64url).
 *
 * <p>Thread-safe; one per process. Must be {@linkplain #close() closed}.
 */
public final class WebPushProvider implements PushProvider {
    /** The largest encrypted body a push service must accept (RFC 8030 section 7.2). */
    public static final int MAX_ENCRYPTED_BYTES = 4096;
    /**
     * What {@code aes128gcm} adds to a payload sent as one record: salt 16, record size 4, key id length 1, the sender's
     * key 65, the padding delimiter 1 and the GCM tag 16 bytes. So the size check needs no encryption.
     */
    static final int AES128GCM_OVERHEAD = 103;
    /** Push service hosts with a bound of their own; the rest share one. */
    static final int MAX_HOSTS = 256;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_HOST = 500;
    public static final int DEFAULT_MAX_QUEUED = 1000;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(20);
    /** TTL when a push has no expiry: four weeks, the longest push services keep a message. */
    static final long DEFAULT_TTL_SECONDS = 28L * 24 * 3600;
    private static final String OTHER_HOSTS = "";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Vapid> vapidByApp;
    private final Vapid defaultVapid;
    private final HttpClient http;
    private final ExecutorService executor;
    private final InFlightLimiter limiter;
    private final Map<String, InFlightLimiter> perHost = new ConcurrentHashMap<>();
    private final int maxInFlightPerHost;
    private final int maxQueued;
    private final Duration requestTimeout;
    private final boolean allowLoopbackHttp;
    private final PushMeters meters;
    private final MeterRegistry registry;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger onTheWire = new java.util.concurrent.atomic.AtomicInteger();
    /** Completed once the provider is closed and no request is on the wire. */
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private WebPushProvider(Builder b) {
        Map<String, Vapid> byApp = new HashMap<>();
        b.vapidByApp.forEach((app, webPush) -> byApp.put(app, new Vapid(webPush, b.clock)));
        this.vapidByApp = Map.copyOf(byApp);
        this.defaultVapid = b.defaultVapid == null ? null : new Vapid(b.defaultVapid, b.clock);
        this.limiter = new InFlightLimiter(b.maxInFlight, b.maxQueued);
        this.maxInFlightPerHost = b.maxInFlightPerHost;
        this.maxQueued = b.maxQueued;
        this.requestTimeout = b.requestTimeout;
        this.allowLoopbackHttp = b.allowLoopbackHttp;
        this.clock = b.clock;
        // The client's threads, and the encryption's: as many as there are cores (at least 2).
        this.executor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "pushline-webpush");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).executor(executor).build();
        this.meters = PushMeters.create(b.registry, Platform.WEBPUSH, limiter);
        this.registry = b.registry;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Platform platform() {
        return Platform.WEBPUSH;
    }

    @Override
    public CompletableFuture<PushOutcome> send(PushRequest request) {
        if (request.platform() != Platform.WEBPUSH) {
            throw new IllegalArgumentException("a " + request.platform() + " push sent to the web push provider");
        }
        if (closed.get()) {
            return CompletableFuture.completedFuture(meters.refused(PushMeters.Refusal.CLOSED,
                    PushOutcome.RetryLater.notSent("provider closed", null)));
        }
        WebPushSubscription subscription = request.webPush();
        if (subscription.expiresAt() != null && !clock.instant().isBefore(subscription.expiresAt())) {
            // The browser said when it would stop accepting pushes: a push after that is not sent; the device goes.
            return done(new PushOutcome.Rejected("SubscriptionExpired", true, subscription.expiresAt()));
        }
        if (subscription.endpoint().getScheme().equalsIgnoreCase("http") && !allowLoopbackHttp) {
            return done(new PushOutcome.Rejected("InsecureEndpoint: http: endpoints are for loopback test servers only", false, null));
        }
        Vapid vapid = request.appId() == null ? defaultVapid : vapidByApp.getOrDefault(request.appId(), defaultVapid);
        if (vapid == null) {
            return done(new PushOutcome.Rejected("NoVapidKeys: no VAPID keys for app " + request.appId(), false, null));
        }
        byte[] plaintext = payload(request);
        if (plaintext.length + AES128GCM_OVERHEAD > MAX_ENCRYPTED_BYTES) {
            return CompletableFuture.completedFuture(meters.refused(PushMeters.Refusal.PAYLOAD_TOO_LARGE, new PushOutcome.Rejected(
                    "PayloadTooLarge: " + (plaintext.length + AES128GCM_OVERHEAD) + " bytes encrypted, over " + MAX_ENCRYPTED_BYTES,
                    false, null)));
        }
        InFlightLimiter host = hostLimiter(subscription.endpoint());
        // The host's bound first: pushes queued for a slow push service wait there, holding none of the total's slots,
        // which only pushes on the wire hold. A push is encrypted and signed only once it has its slots, so a refused
        // one costs no public-key work. Refusals are counted where they happen; answers once, as they come.
        // A push counts as on the wire from its admission until the future its caller holds is complete (not merely the
        // exchange inside it): close() returns only once every admitted push's own future is answered.
        AtomicBoolean admitted = new AtomicBoolean();
        CompletableFuture<PushOutcome> answer = host.submit(() -> limiter.submit(() -> {
            admitted.set(true);
            onTheWire.incrementAndGet();
            return exchange(vapid, subscription, plaintext, request).thenApply(meters::outcome);
        }, this::refused), this::refused);
        answer.whenComplete((outcome, failure) -> {
            if (admitted.get() && onTheWire.decrementAndGet() == 0 && closed.get()) {
                drained.complete(null);
            }
        });
        return answer;
    }

    /** A push ready to go, or the outcome that stops it (a subscription the library cannot encrypt for). */
    private record Signed(HttpRequest request, PushOutcome outcome) {
    }

    /**
     * Encrypts and signs the push on the provider's own threads (an ephemeral key and an ECDH: a millisecond or more
     * of CPU, which must not hold up the caller, a worker's poll loop), sends it, and maps the answer; never completes
     * exceptionally.
     */
    private CompletableFuture<PushOutcome> exchange(Vapid vapid, WebPushSubscription subscription, byte[] plaintext, PushRequest push) {
        CompletableFuture<PushOutcome> answered;
        try {
            answered = CompletableFuture.supplyAsync(() -> sign(vapid, subscription, plaintext, push), executor)
                    .thenCompose(signed -> signed.outcome() != null ? CompletableFuture.completedFuture(signed.outcome())
                            : this.http.sendAsync(signed.request(), HttpResponse.BodyHandlers.discarding())
                            .handle((response, failure) -> failure != null
                                    ? new PushOutcome.RetryLater("connection: " + rootCause(failure).getClass().getSimpleName(), null)
                                    : outcome(response.statusCode(), response.headers().firstValue("Location").orElse(null),
                                    response.headers().firstValue("Retry-After").orElse(null), push)))
                    .exceptionally(failure -> new PushOutcome.RetryLater("not sent: " + rootCause(failure).getClass().getSimpleName(),
                            null, false));
        } catch (RuntimeException e) {
            // The executor refused (closing): nothing was sent.
            answered = CompletableFuture.completedFuture(new PushOutcome.RetryLater("not sent: " + e.getClass().getSimpleName(), null, false));
        }
        return answered;
    }

    /** The encrypted, signed request of a push, or a {@code BadSubscription} rejection if its keys cannot be used. */
    private Signed sign(Vapid vapid, WebPushSubscription subscription, byte[] plaintext, PushRequest push) {
        HttpRequest.Builder request = HttpRequest.newBuilder(subscription.endpoint()).timeout(requestTimeout);
        try {
            request.POST(HttpRequest.BodyPublishers.ofByteArray(vapid.webPush.getBody(plaintext, subscription.p256dh(), subscription.auth())));
            vapid.headers(subscription.endpoint(), ttlSeconds(push), topic(push.collapseKey()),
                    push.priority() == Priority.HIGH ? "high" : "normal").forEach(request::header);
        } catch (RuntimeException e) {
            // A key the library cannot use (a broken subscription): nothing secret is in the class name.
            return new Signed(null, new PushOutcome.Rejected(
                    "BadSubscription: cannot encrypt for it (" + e.getClass().getSimpleName() + ")", true, clock.instant()));
        }
        return new Signed(request.build(), null);
    }

    /** The outcome of a push service's answer. */
    PushOutcome outcome(int status, String location, String retryAfter, PushRequest push) {
        return switch (status) {
            case 200, 201, 202 -> new PushOutcome.Delivered(location != null ? location : push.pushId());
            case 404, 410 -> new PushOutcome.Rejected(status == 410 ? "Gone" : "NotFound", true, clock.instant());
            case 413 -> new PushOutcome.Rejected("PayloadTooLarge: the push service refused the size", false, null);
            case 400 -> new PushOutcome.Rejected("BadRequest: the push service refused the request's headers", false, null);
            case 401, 403 -> new PushOutcome.Rejected("Forbidden: the push service refused the VAPID credentials (" + status + ")",
                    false, null);
            default -> status == 429 || status >= 500
                    ? new PushOutcome.RetryLater("push service answered " + status,
                    retryAfter == null ? null : FcmOutcomes.parseRetryAfter(retryAfter.trim(), clock))
                    : new PushOutcome.Rejected("Unexpected: the push service answered " + status, false, null);
        };
    }

    private PushOutcome refused(InFlightLimiter.Refusal refusal) {
        return refusal == InFlightLimiter.Refusal.CLOSED
                ? meters.refused(PushMeters.Refusal.CLOSED, PushOutcome.RetryLater.notSent("provider closed", null))
                : meters.refused(PushMeters.Refusal.SATURATED, PushOutcome.RetryLater.notSent("in-flight limit reached", null));
    }

    private InFlightLimiter hostLimiter(URI endpoint) {
        String host = endpoint.getHost().toLowerCase(Locale.ROOT) + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
        InFlightLimiter own = perHost.get(host);
        if (own != null) {
            return own;
        }
        if (perHost.size() >= MAX_HOSTS) {
            return perHost.computeIfAbsent(OTHER_HOSTS, this::newHostLimiter);
        }
        return perHost.computeIfAbsent(host, this::newHostLimiter);
    }

    /** A push service host's bound, shown by the host's gauges ({@code other} for the hosts past {@link #MAX_HOSTS}). */
    private InFlightLimiter newHostLimiter(String host) {
        InFlightLimiter limiter = new InFlightLimiter(maxInFlightPerHost, maxQueued);
        LimiterGauges.add(registry, PushMetrics.WEBPUSH_HOST_IN_FLIGHT, hostTags(host), limiter, InFlightLimiter::inFlight);
        LimiterGauges.add(registry, PushMetrics.WEBPUSH_HOST_QUEUED, hostTags(host), limiter, InFlightLimiter::queued);
        return limiter;
    }

    private static io.micrometer.core.instrument.Tags hostTags(String host) {
        return io.micrometer.core.instrument.Tags.of(PushMetrics.TAG_HOST, host.equals(OTHER_HOSTS) ? "other" : host);
    }

    /** The JSON the service worker receives: title, body, badge, sound (when an alert) and data with the push id. */
    static byte[] payload(PushRequest request) {
        ObjectNode root = JSON.createObjectNode();
        if (request.pushType() == PushType.ALERT) {
            if (request.title() != null) {
                root.put("title", request.title());
            }
            if (request.body() != null) {
                root.put("body", request.body());
            }
            if (request.badge() != null) {
                root.put("badge", request.badge());
            }
            if (request.sound() != null) {
                root.put("sound", request.sound());
            }
        }
        ObjectNode data = root.putObject("data");
        request.data().forEach(data::put);
        data.put(PushRequest.PUSH_ID_DATA_KEY, request.pushId());
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private long ttlSeconds(PushRequest request) {
        if (request.expiresAt() == null) {
            return DEFAULT_TTL_SECONDS;
        }
        return Math.max(0, Duration.between(clock.instant(), request.expiresAt()).toSeconds());
    }

    /** The {@code Topic} header for a collapse key: itself if it is 1–32 base64url characters, else a hash of it. */
    static String topic(String collapseKey) {
        if (collapseKey == null) {
            return null;
        }
        if (collapseKey.matches("[A-Za-z0-9_-]{1,32}")) {
            return collapseKey;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(collapseKey.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private CompletableFuture<PushOutcome> done(PushOutcome outcome) {
        return CompletableFuture.completedFuture(meters.outcome(outcome));
    }

    /**
     * Stops accepting pushes; those queued answer {@code RetryLater} (not sent); waits for those on the wire (at most
     * the request timeout and a second); then releases the client's threads.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        limiter.close();
        meters.close();
        perHost.forEach((host, bound) -> {
            bound.close();
            LimiterGauges.remove(registry, PushMetrics.WEBPUSH_HOST_IN_FLIGHT, hostTags(host), bound);
            LimiterGauges.remove(registry, PushMetrics.WEBPUSH_HOST_QUEUED, hostTags(host), bound);
        });
        if (onTheWire.get() == 0) {
            drained.complete(null);
        }
        try {
            // Those on the wire end within the request timeout: wait for them (bounded), then stop the client's threads.
            drained.get(requestTimeout.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // Past the bound: the client's threads stop below; those pushes' futures complete as connection failures.
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    /**
     * One app's VAPID keys and the JWTs signed with them, one per push service origin, kept for
     * {@link #TOKEN_LIFETIME} and signed again when less than {@link #TOKEN_MARGIN} is left: an ES256 signature is a
     * P-256 operation (about a millisecond here), and a push service accepts the same token for every push until it
     * expires (RFC 8292 section 2). At most {@link #MAX_HOSTS} origins are kept; past that the cache starts again.
     */
    private static final class Vapid {
        static final Duration TOKEN_LIFETIME = Duration.ofHours(12);
        static final Duration TOKEN_MARGIN = Duration.ofHours(1);

        private record Token(String authorization, Instant renewAt) {
        }

        final WebPush webPush;
        private final String k;
        private final Clock clock;
        private final Map<String, Token> tokens = new ConcurrentHashMap<>();

        Vapid(WebPush webPush, Clock clock) {
            this.webPush = webPush;
            this.k = Base64.getUrlEncoder().withoutPadding().encodeToString(webPush.getVapidKeys().getApplicationServerKey());
            this.clock = clock;
        }

        /** What {@code WebPush.getHeaders} sends, with the VAPID JWT of the endpoint's origin reused while it is fresh. */
        Map<String, String> headers(URI endpoint, long ttlSeconds, String topic, String urgency) {
            Map<String, String> headers = new HashMap<>();
            headers.put("Authorization", authorization(webPush.getAudience(endpoint.toString())));
            headers.put("Content-Encoding", "aes128gcm");
            headers.put("Content-Type", "application/octet-stream");
            headers.put("TTL", Long.toString(ttlSeconds));
            headers.put("Urgency", urgency);
            if (topic != null) {
                headers.put("Topic", topic);
            }
            return headers;
        }

        private String authorization(String audience) {
            Instant now = clock.instant();
            Token token = tokens.get(audience);
            if (token == null || !now.isBefore(token.renewAt())) {
                if (tokens.size() >= MAX_HOSTS) {
                    tokens.clear();
                }
                String jwt = webPush.getToken(audience, (int) TOKEN_LIFETIME.toSeconds());
                token = new Token("vapid t=" + jwt + ", k=" + k, now.plus(TOKEN_LIFETIME.minus(TOKEN_MARGIN)));
                tokens.put(audience, token);
            }
            return token.authorization();
        }
    }

    /** Builds a {@link WebPushProvider}; at least one VAPID key set is required. */
    public static final class Builder {
        private final Map<String, WebPush> vapidByApp = new HashMap<>();
        private WebPush defaultVapid;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxInFlightPerHost = DEFAULT_MAX_IN_FLIGHT_PER_HOST;
        private int maxQueued = DEFAULT_MAX_QUEUED;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private boolean allowLoopbackHttp;
        private MeterRegistry registry;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * The VAPID keys of {@code appId} (null: the default for apps without keys of their own): the subject (a
         * {@code mailto:} or {@code https:} contact) and the key pair, as base64url of the 65-byte public point and the
         * 32-byte private scalar (what {@code web-push generate-vapid-keys} prints).
         *
         * @throws IllegalArgumentException naming the app and what is wrong (never the key itself)
         */
        public Builder vapid(String appId, String subject, String publicKey, String privateKey) {
            String who = appId == null ? "the default VAPID keys" : "the VAPID keys of app " + appId;
            java.security.interfaces.ECPublicKey publicPoint;
            java.security.interfaces.ECPrivateKey privateScalar;
            try {
                byte[] point = Base64.getUrlDecoder().decode(Objects.requireNonNull(publicKey, "publicKey").replace("=", ""));
                if (!onP256(point)) {
                    throw new IllegalArgumentException("not on the curve");
                }
                publicPoint = com.interaso.webpush.CryptoKt.generatePublicKeyFromUncompressedBytes(point);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(who + ": the public key is not a P-256 point in base64url (65 bytes uncompressed)");
            }
            try {
                byte[] scalar = Base64.getUrlDecoder().decode(Objects.requireNonNull(privateKey, "privateKey").replace("=", ""));
                if (scalar.length != 32) {
                    throw new IllegalArgumentException("not 32 bytes");
                }
                privateScalar = com.interaso.webpush.CryptoKt.generatePrivateKeyFromUncompressedBytes(scalar);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(who + ": the private key is not a P-256 key in base64url (32 bytes)");
            }
            return vapid(appId, subject, publicPoint, privateScalar);
        }

        /** Whether {@code point} is an uncompressed P-256 point (0x04, x, y) on the curve: y² = x³ − 3x + b (mod p). */
        static boolean onP256(byte[] point) {
            if (point.length != 65 || point[0] != 4) {
                return false;
            }
            java.math.BigInteger p = new java.math.BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
            java.math.BigInteger b = new java.math.BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);
            java.math.BigInteger x = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(point, 1, 33));
            java.math.BigInteger y = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(point, 33, 65));
            if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
                return false;
            }
            java.math.BigInteger right = x.pow(3).subtract(x.multiply(java.math.BigInteger.valueOf(3))).add(b).mod(p);
            return y.pow(2).mod(p).equals(right);
        }

        /** As {@link #vapid(String, String, String, String)}, with the keys as Java keys (generated, or read elsewhere). */
        public Builder vapid(String appId, String subject, java.security.interfaces.ECPublicKey publicKey,
                             java.security.interfaces.ECPrivateKey privateKey) {
            String who = appId == null ? "the default VAPID keys" : "the VAPID keys of app " + appId;
            Objects.requireNonNull(subject, "subject");
            if (!subject.startsWith("mailto:") && !subject.startsWith("https:")) {
                throw new IllegalArgumentException(who + ": the subject must be a mailto: or https: contact");
            }
            if (!com.interaso.webpush.CryptoKt.areKeysValidPair(Objects.requireNonNull(privateKey, "privateKey"),
                    Objects.requireNonNull(publicKey, "publicKey"))) {
                throw new IllegalArgumentException(who + ": the public key is not the private key's");
            }
            WebPush webPush = new WebPush(subject, new VapidKeys(publicKey, privateKey));
            if (appId == null) {
                defaultVapid = webPush;
            } else {
                vapidByApp.put(appId, webPush);
            }
            return this;
        }

        public Builder maxInFlight(int total, int perHost, int queued) {
            if (total < 1 || perHost < 1 || queued < 0) {
                throw new IllegalArgumentException("in-flight bounds must be >= 1 (queued >= 0), were " + total + ", " + perHost + ", " + queued);
            }
            this.maxInFlight = total;
            this.maxInFlightPerHost = perHost;
            this.maxQueued = queued;
            return this;
        }

        public Builder requestTimeout(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive, was " + value);
            }
            this.requestTimeout = value;
            return this;
        }

        /** Accepts {@code http:} endpoints on loopback addresses: for local test push services only. */
        public Builder allowLoopbackHttp(boolean value) {
            this.allowLoopbackHttp = value;
            return this;
        }

        public Builder meterRegistry(MeterRegistry value) {
            this.registry = value;
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        public WebPushProvider build() {
            if (defaultVapid == null && vapidByApp.isEmpty()) {
                throw new IllegalStateException("web push needs VAPID keys: give a default set or one per app");
            }
            return new WebPushProvider(this);
        }
    }
}
