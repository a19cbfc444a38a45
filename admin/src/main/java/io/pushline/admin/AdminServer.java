package io.pushline.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API: the operator commands of {@code pushline coordinators} and {@code pushline dlq} over HTTP, for
 * operators and tools without Kafka credentials of their own. Served by {@code pushline run --admin-address} on an
 * address of its own (never the ingest's or the metrics'), so it can be bound to an internal interface and firewalled
 * apart; every request needs an admin's bearer token ({@link AdminCredentials}), which is never a publisher's.
 *
 * <table>
 *   <caption>Endpoints (JSON answers)</caption>
 *   <tr><td>{@code GET /v1/admin/coordinators}</td><td>{@code coordinators list --format json}</td></tr>
 *   <tr><td>{@code POST /v1/admin/coordinators/ID/retry?note=&wait=}</td><td>{@code coordinators retry ID}</td></tr>
 *   <tr><td>{@code POST /v1/admin/coordinators/ID/discard?note=&wait=}</td><td>{@code coordinators discard ID}</td></tr>
 *   <tr><td>{@code GET /v1/admin/dead-letters?since=&reason=}</td><td>{@code dlq list --format json}</td></tr>
 *   <tr><td>{@code POST /v1/admin/dead-letters/replay?reason=&since=&limit=&dryRun=}</td><td>{@code dlq replay --format json}</td></tr>
 * </table>
 *
 * <p>Each request runs the service its CLI command runs ({@link ParkedCoordinators}, {@link DeadLetterService}), with
 * this process's Kafka settings: one implementation of each operation, with its bounds, its messages and its safety
 * notes. A query value is checked as the value of the command's option of the same name ({@link AdminQuery}), never
 * read as another option. A success answers 200 with the command's JSON (retry and discard: {@code {"output": ...}}); a
 * bad value answers 400, and an operation that could not be done (not parked, still parked, Kafka refused or timed
 * out) 409, both with {@code {"error": ...}} holding the command's message. One operation runs at a time (they scan
 * whole topics); another meanwhile gets 429 with {@code Retry-After}. Every operation is logged with the admin's name
 * and its outcome, never a token; requests are counted in {@link AdminMetrics#ADMIN_REQUESTS}.
 *
 * <p>Lifecycle: {@link #start} serves at once, on two threads of its own; {@link #close} stops it. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
    /** Where the API is served. */
    public static final String PREFIX = "/v1/admin/";
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String REALM = "Bearer realm=\"pushline-admin\"";
    private static final Pattern COORDINATOR_ACTION = Pattern.compile("coordinators/([^/]{1,200})/(retry|discard)");
    /** The exit codes of the command line, which the log lines quote: a bad value, and an operation that failed. */
    private static final int USAGE = 2;
    private static final int FAILED = 1;

    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final AdminCredentials admins;
    private final Map<String, Object> clients;
    private final Clock clock;
    private final Semaphore oneAtATime = new Semaphore(1);
    private final MeterRegistry registry;

    private AdminServer(HttpServer server, ThreadPoolExecutor workers, AdminCredentials admins, Map<String, Object> clients,
                        Clock clock, MeterRegistry registry) {
        this.server = server;
        this.workers = workers;
        this.admins = admins;
        this.clients = clients;
        this.clock = clock;
        this.registry = registry;
    }

    /**
     * Serves the admin API at {@code address}; the operations run with the Kafka client settings {@code clients}
     * ({@link AdminArguments#clients}: bootstrap servers and the admin principal's security settings). Requests are
     * counted in {@code registry}.
     *
     * @throws UncheckedIOException naming the address, if it cannot be served
     */
    public static AdminServer start(InetSocketAddress address, AdminCredentials admins, Map<String, Object> clients,
                                    MeterRegistry registry) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the admin API at " + address.getHostString() + ":" + address.getPort()
                    + " (" + e.getMessage() + ")", e);
        }
        // Two threads: one operation at a time, and one to answer the others (401, 404, 429) meanwhile.
        ThreadPoolExecutor workers = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(32), r -> {
            Thread t = new Thread(r, "pushline-admin");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        server.setExecutor(workers);
        AdminServer admin = new AdminServer(server, workers, admins, Collections.unmodifiableMap(new HashMap<>(clients)),
                Clock.systemUTC(), registry);
        server.createContext("/", admin::handle);
        server.start();
        return admin;
    }

    /** The port served (useful when started on port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        // What the request asked for, as the metric's tag: the operation, or why it ran none. (Not an exchange
        // attribute: the JDK's server keeps those per context, shared by every request.)
        String[] operation = {"none"};
        try (exchange) { // the API reads no body; closing the exchange discards one
            String path = exchange.getRequestURI().getRawPath();
            if (!path.startsWith(PREFIX)) {
                send(exchange, operation[0], 404, error("not found: the admin API is under " + PREFIX));
                return;
            }
            String admin = authenticate(exchange);
            if (admin == null) {
                return;
            }
            String route = path.substring(PREFIX.length());
            String method = exchange.getRequestMethod();
            Map<String, String> query;
            try {
                query = AdminQuery.parse(exchange.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                send(exchange, operation[0], 400, error(e.getMessage()));
                return;
            }
            Set<String> allowed;
            Matcher act = COORDINATOR_ACTION.matcher(route);
            String id = null;
            if (route.equals("coordinators")) {
                operation[0] = "coordinators list";
                allowed = Set.of();
            } else if (act.matches()) {
                operation[0] = "coordinators " + act.group(2);
                allowed = AdminQuery.ACT_PARAMS;
                id = URLDecoder.decode(act.group(1), StandardCharsets.UTF_8);
            } else if (route.equals("dead-letters")) {
                operation[0] = "dlq list";
                allowed = AdminQuery.LIST_PARAMS;
            } else if (route.equals("dead-letters/replay")) {
                operation[0] = "dlq replay";
                allowed = AdminQuery.REPLAY_PARAMS;
            } else {
                send(exchange, "unknown", 404, error("no such admin operation: " + AdminText.printable(route)));
                return;
            }
            boolean reads = route.equals("coordinators") || route.equals("dead-letters");
            if (!method.equals(reads ? "GET" : "POST")) {
                exchange.getResponseHeaders().set("Allow", reads ? "GET" : "POST");
                send(exchange, operation[0], 405, error(method + " not allowed: use " + (reads ? "GET" : "POST")));
                return;
            }
            for (String name : query.keySet()) {
                if (!allowed.contains(name)) {
                    send(exchange, operation[0], 400, error("unknown parameter '" + AdminText.printable(name) + "'" + (allowed.isEmpty() ? ""
                            : " (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")")));
                    return;
                }
            }
            if (!oneAtATime.tryAcquire()) {
                exchange.getResponseHeaders().set("Retry-After", "5");
                send(exchange, operation[0], 429, error("another admin operation is running; try again shortly"));
                return;
            }
            Answer answer;
            try {
                answer = run(admin, operation[0], query, id);
            } finally {
                oneAtATime.release();   // before answering: a client that sends its next request at once finds it free
            }
            send(exchange, operation[0], answer.status(), answer.body());
        } catch (RuntimeException e) {
            LOG.warn("admin request failed with {}", e.getClass().getName(), e);
            try {
                send(exchange, operation[0], 500, error("internal error (" + e.getClass().getSimpleName() + ")"));
            } catch (IOException | RuntimeException ignored) {
                // the response was already under way
            }
        }
    }

    private record Answer(int status, byte[] body) {
    }

    /** Validates the request, runs its operation, logs the outcome and says what to answer. */
    private Answer run(String admin, String operation, Map<String, String> query, String id) {
        String shown = AdminQuery.shown(operation, query, id);
        long started = System.nanoTime();
        AdminOperations.Outcome outcome = perform(operation, query, id);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (outcome.exitCode() == 0) {
            LOG.info("admin operation by '{}': {} succeeded in {} ms", admin, shown, millis);
            return new Answer(200, outcome.body());
        }
        String problem = outcome.problem().strip();
        LOG.warn("admin operation by '{}': {} failed (exit {}) in {} ms: {}", admin, shown, outcome.exitCode(), millis, firstLine(problem));
        return new Answer(outcome.exitCode() == USAGE ? 400 : 409,
                error(problem.isEmpty() ? "failed (exit " + outcome.exitCode() + ")" : problem));
    }

    private AdminOperations.Outcome perform(String operation, Map<String, String> query, String id) {
        AdminRequest request;
        try {
            request = request(operation, query, id);
        } catch (IllegalArgumentException bad) {
            return AdminOperations.Outcome.failed(USAGE, bad.getMessage());
        } catch (RuntimeException e) {
            return AdminOperations.Outcome.failed(FAILED, AdminOperations.unexpected(operation.substring(operation.indexOf(' ') + 1), e));
        }
        return AdminOperations.run(request, clients, clock);
    }

    /** The request, validated as the command line validates its options. */
    private AdminRequest request(String operation, Map<String, String> query, String id) {
        return switch (operation) {
            case "coordinators list" -> new AdminRequest.ListParked();
            case "coordinators retry" -> AdminQuery.act(CoordinatorAction.RETRY, id, query);
            case "coordinators discard" -> AdminQuery.act(CoordinatorAction.DISCARD, id, query);
            case "dlq list" -> AdminQuery.listDeadLetters(query, clock);
            case "dlq replay" -> AdminQuery.replay(query, clock);
            default -> throw new IllegalStateException("no such operation: " + operation);
        };
    }

    /** The admin's name, or null after answering 401. */
    private String authenticate(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM);
            send(exchange, "none", 401, error("give an admin's token: Authorization: Bearer TOKEN"));
            return null;
        }
        String admin = admins.authenticate(authorization.substring(7).trim()).orElse(null);
        if (admin == null) {
            // Logged before answering, so that whoever saw the answer can find the line.
            LOG.warn("admin API: a request with an unknown token from {}", exchange.getRemoteAddress().getAddress().getHostAddress());
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM + ", error=\"invalid_token\"");
            send(exchange, "none", 401, error("not an admin's token"));
        }
        return admin;
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    private static byte[] error(String message) {
        return AdminText.compactJson(Map.of("error", message));
    }

    private void send(HttpExchange exchange, String operation, int status, byte[] body) throws IOException {
        registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", operation, "status", Integer.toString(status)).increment();
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
