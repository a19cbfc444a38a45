package io.pushline.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fake FCM: plain HTTP/1.1 on 127.0.0.1 implementing FCM HTTP v1
 * {@code POST /v1/projects/{project}/messages:send}, enough for the Firebase Admin SDK pointed
 * at {@link #baseUrl()}.
 *
 * <p>Each push ({@code message.token} or {@code message.fid}, {@code message.data.pushline_push_id}) is answered as the
 * current {@link Behaviour} decides (default: accept all). Accepted pushes are recorded in
 * {@link #ledger()} and answered {@code 200 {"name":"projects/<p>/messages/<id>"}}; rejections
 * use FCM's error JSON ({@code error.status} and a {@code FcmError} detail with the
 * {@code errorCode} the SDK maps to {@code MessagingErrorCode}). Requests with
 * {@code validate_only: true} are answered but not recorded. {@link Verdict#connectionDrop()} closes
 * the connection without an answer. Bad JSON gets 400
 * {@code INVALID_ARGUMENT}, unknown paths 404.
 *
 * <p>It also answers {@code POST /token} with a fake OAuth access token, so a service-account
 * JSON whose {@code token_uri} points here works without Google; {@link #tokenRequests()} counts
 * such calls. Requests are served by at most {@value #THREADS} threads, so at most that many
 * pushes are answered at once.
 *
 * <p>Thread-safe. Must be {@linkplain #close() closed}.
 */
public final class FakeFcm implements AutoCloseable {

    /** The data key carrying the push id (Pushline's {@code PushRequest.PUSH_ID_DATA_KEY}). */
    public static final String PUSH_ID_DATA_KEY = "pushline_push_id";

    static final int THREADS = 16;
    private static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

    private static final Logger log = LoggerFactory.getLogger(FakeFcm.class);
    private static final Pattern SEND_PATH = Pattern.compile("^/v1/projects/([^/]+)/messages:send$");
    private static final String FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    private static final int MAX_BODY_BYTES = 1 << 20;

    private final ObjectMapper json = new ObjectMapper();
    private final PushLedger ledger = new PushLedger();
    private final RequestStats stats = new RequestStats();
    private final Clock clock = Clock.systemUTC();
    private final AtomicLong messageIds = new AtomicLong();
    private final AtomicLong tokenRequests = new AtomicLong();
    private final AtomicLong unmatchedRequests = new AtomicLong();
    private final Set<String> authorizations = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final HttpServer server;
    private final ExecutorService executor;
    private volatile Behaviour behaviour = Behaviour.acceptAll();

    private FakeFcm(int port) throws IOException {
        AtomicInteger threadNumber = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "pushline-fake-fcm-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        ((ThreadPoolExecutor) executor).allowCoreThreadTimeOut(true);
        // The JDK server leaves Nagle's algorithm on; with the client's delayed ACKs every answer then waits ~40 ms, a
        // latency real FCM does not have (and which made every FCM figure a measure of it). The JDK reads this once, at
        // its first HttpServer; an explicit setting by the embedding application wins.
        if (System.getProperty(NODELAY_PROPERTY) == null) {
            System.setProperty(NODELAY_PROPERTY, "true");
        }
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        log.info("fake FCM listening on {}", baseUrl());
    }

    /** Starts a fake FCM on an ephemeral port. */
    public static FakeFcm start() {
        return start(0);
    }

    /** Starts a fake FCM on {@code port} (0 for an ephemeral port). */
    public static FakeFcm start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, was " + port);
        }
        try {
            return new FakeFcm(port);
        } catch (IOException e) {
            throw new IllegalStateException("could not start the fake FCM server on port " + port, e);
        }
    }

    /** Where clients send requests, e.g. {@code http://127.0.0.1:PORT}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public PushLedger ledger() {
        return ledger;
    }

    /** Replaces how pushes are answered from now on; {@code null} restores accept-all. Returns this fake. */
    public FakeFcm behaviour(Behaviour behaviour) {
        this.behaviour = behaviour == null ? Behaviour.acceptAll() : behaviour;
        return this;
    }

    /** Every well-formed send request that reached the fake, whatever the answer. */
    public long receivedCount() {
        return stats.received();
    }

    /** The most send requests the fake was answering at the same moment. */
    public int maxConcurrentRequests() {
        return stats.maxInProgress();
    }

    /** Calls to the fake OAuth token endpoint {@code POST /token}. */
    public long tokenRequests() {
        return tokenRequests.get();
    }

    /** Requests to paths the fake does not serve (answered 404). */
    public long unmatchedRequests() {
        return unmatchedRequests.get();
    }

    /** Every distinct {@code Authorization} header seen on send requests. */
    public Set<String> authorizations() {
        return Set.copyOf(authorizations);
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
        return "FakeFcm[" + baseUrl() + ", accepted=" + ledger.acceptedCount() + "]";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean post = "POST".equals(exchange.getRequestMethod());
            Matcher send = SEND_PATH.matcher(path);
            if (post && send.matches()) {
                handleSend(exchange, send.group(1));
            } else if (post && "/token".equals(path)) {
                tokenRequests.incrementAndGet();
                drain(exchange);
                respond(exchange, 200, "{\"access_token\":\"fake-fcm-access-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}", null);
            } else {
                unmatchedRequests.incrementAndGet();
                drain(exchange);
                respond(exchange, 404, error(404, "NOT_FOUND", "No such endpoint: " + exchange.getRequestMethod() + " " + path, null), null);
            }
        } catch (RuntimeException e) {
            log.warn("fake FCM failed to answer a request", e);
        }
    }

    private void handleSend(HttpExchange exchange, String project) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            authorizations.add(authorization);
        }
        JsonNode message;
        boolean validateOnly;
        try {
            JsonNode root = json.readTree(read(exchange));
            message = root == null ? null : root.get("message");
            validateOnly = root != null && root.path("validate_only").asBoolean(false);
        } catch (JsonProcessingException e) {
            respond(exchange, 400, error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", "INVALID_ARGUMENT"), null);
            return;
        }
        // FCM v1 is moving from "token" to "fid" (Firebase Installation ID); accept either.
        String token = message == null ? null : message.path("token").asText(message.path("fid").asText(null));
        if (token == null || token.isEmpty()) {
            respond(exchange, 400, error(400, "INVALID_ARGUMENT", "Recipient of the message is not set.", "INVALID_ARGUMENT"), null);
            return;
        }
        String pushId = message.path("data").path(PUSH_ID_DATA_KEY).asText("");

        stats.begin();
        try {
            Verdict verdict = behaviour.decide(token, pushId);
            if (verdict == null) {
                verdict = Verdict.accept();
            }
            RequestStats.pause(verdict.delay());
            if (verdict instanceof Verdict.Reject reject) {
                reject(exchange, reject);
                return;
            }
            String name = "projects/" + project + "/messages/" + (validateOnly ? "fake_message_id" : "fake-" + messageIds.incrementAndGet());
            if (!validateOnly) {
                ledger.record(token, pushId, clock.instant(), Map.of(), message.toString());
            }
            respond(exchange, 200, json.createObjectNode().put("name", name).toString(), null);
        } finally {
            stats.end();
        }
    }

    private void reject(HttpExchange exchange, Verdict.Reject reject) throws IOException {
        Duration retryAfter = reject.retryAfter();
        switch (reject.fault()) {
            case UNREGISTERED -> respond(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"), null);
            case BAD_DEVICE_TOKEN -> respond(exchange, 400,
                    error(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"), null);
            case TOO_MANY_REQUESTS -> respond(exchange, 429,
                    error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for the sending rate.", "QUOTA_EXCEEDED"), retryAfter);
            case SERVICE_UNAVAILABLE -> respond(exchange, 503, error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"), retryAfter);
            case INTERNAL_ERROR -> respond(exchange, 500, error(500, "INTERNAL", "Internal error encountered.", "INTERNAL"), null);
            // Closing an exchange before any response headers closes the connection (JDK HttpServer).
            case CONNECTION_DROP -> log.debug("fake FCM drops a connection (scripted)");
            case BAD_TOPIC, TOPIC_DISALLOWED, SENDER_ID_MISMATCH -> respond(exchange, 403,
                    error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"), null);
            case PAYLOAD_TOO_LARGE -> respond(exchange, 400,
                    error(400, "INVALID_ARGUMENT", "Request contains an invalid argument: message is too big", "INVALID_ARGUMENT"), null);
            case THIRD_PARTY_AUTH_ERROR -> respond(exchange, 401,
                    error(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"), null);
        }
    }

    private String error(int code, String status, String message, String fcmErrorCode) {
        ObjectNode error = json.createObjectNode();
        ObjectNode body = error.putObject("error").put("code", code).put("message", message).put("status", status);
        if (fcmErrorCode != null) {
            body.putArray("details").addObject().put("@type", FCM_ERROR_TYPE).put("errorCode", fcmErrorCode);
        }
        return error.toString();
    }

    private static byte[] read(HttpExchange exchange) throws IOException {
        byte[] body = Exchanges.readAtMost(exchange, MAX_BODY_BYTES);
        if (body == null) {
            throw new IOException("request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        return body;
    }

    private static void drain(HttpExchange exchange) throws IOException {
        Exchanges.drain(exchange);
    }

    private static void respond(HttpExchange exchange, int status, String body, Duration retryAfter) throws IOException {
        Exchanges.respond(exchange, status, "application/json; charset=UTF-8", body, retryAfter);
    }
}
