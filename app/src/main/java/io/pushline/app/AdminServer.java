package io.pushline.app;


import io.pushline.admin.AdminCredentials;
import io.pushline.admin.AdminMetrics;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
 * <p>Each request runs the very command the CLI runs, in this process, with this process's Kafka settings
 * ({@code --bootstrap-servers}, {@code --kafka-config}): one implementation of each operation, with its bounds, its
 * messages and its safety notes (see {@link DlqCommand}). Query values are handed to the command as
 * {@code --option=value}, so a value can never become another option. Exit code 0 answers 200 with the command's JSON
 * (retry and discard: {@code {"output": ...}}); 2 (a bad value) answers 400 and 1 (not parked, Kafka refused or timed
 * out) 409, both with {@code {"error": ...}} holding the command's message. One operation runs at a time (they scan
 * whole topics); another meanwhile gets 429 with {@code Retry-After}. Every operation is logged with the admin's name
 * and its outcome, never a token.
 */
final class AdminServer implements AutoCloseable {
    static final String PREFIX = "/v1/admin/";
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String REALM = "Bearer realm=\"pushline-admin\"";
    private static final Pattern COORDINATOR_ACTION = Pattern.compile("coordinators/([^/]{1,200})/(retry|discard)");
    private static final Set<String> LIST_PARAMS = Set.of("since", "reason");
    private static final Set<String> REPLAY_PARAMS = Set.of("since", "reason", "limit", "dryRun");
    private static final Set<String> ACT_PARAMS = Set.of("note", "wait");
    private static final int MAX_QUERY_CHARS = 2048;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String OPERATION = "pushline.admin.operation";

    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final AdminCredentials admins;
    private final List<String> cluster;
    private final Semaphore oneAtATime = new Semaphore(1);
    private final MeterRegistry registry;

    private AdminServer(HttpServer server, ThreadPoolExecutor workers, AdminCredentials admins, List<String> cluster,
                        MeterRegistry registry) {
        this.server = server;
        this.workers = workers;
        this.admins = admins;
        this.cluster = cluster;
        this.registry = registry;
    }

    /**
     * Serves the admin API at {@code address}; the commands talk to {@code bootstrapServers} with the settings in
     * {@code kafkaConfig} (null: none). Requests are counted in {@code registry} ({@link AdminMetrics#ADMIN_REQUESTS}).
     */
    static AdminServer start(InetSocketAddress address, AdminCredentials admins, String bootstrapServers, Path kafkaConfig,
                             MeterRegistry registry) {
        List<String> cluster = new ArrayList<>(List.of("--bootstrap-servers=" + bootstrapServers));
        if (kafkaConfig != null) {
            cluster.add("--kafka-config=" + kafkaConfig.toAbsolutePath());
        }
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
        AdminServer admin = new AdminServer(server, workers, admins, List.copyOf(cluster), registry);
        server.createContext("/", admin::handle);
        server.start();
        return admin;
    }

    /** The port served (useful when started on port 0). */
    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) { // the API reads no body; closing the exchange discards one
            String path = exchange.getRequestURI().getRawPath();
            if (!path.startsWith(PREFIX)) {
                send(exchange, 404, error("not found: the admin API is under " + PREFIX));
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
                query = query(exchange.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                send(exchange, 400, error(e.getMessage()));
                return;
            }
            List<String> args = new ArrayList<>();
            Set<String> allowed;
            boolean jsonOutput = true;
            var act = COORDINATOR_ACTION.matcher(route);
            exchange.setAttribute(OPERATION, "unknown");
            if (route.equals("coordinators")) {
                exchange.setAttribute(OPERATION, "coordinators list");
                allowed = Set.of();
                args.addAll(List.of("coordinators", "list", "--format=json"));
            } else if (act.matches()) {
                allowed = ACT_PARAMS;
                exchange.setAttribute(OPERATION, "coordinators " + act.group(2));
                args.addAll(List.of("coordinators", act.group(2)));
                jsonOutput = false;
            } else if (route.equals("dead-letters")) {
                allowed = LIST_PARAMS;
                exchange.setAttribute(OPERATION, "dlq list");
                args.addAll(List.of("dlq", "list", "--format=json"));
            } else if (route.equals("dead-letters/replay")) {
                allowed = REPLAY_PARAMS;
                exchange.setAttribute(OPERATION, "dlq replay");
                args.addAll(List.of("dlq", "replay", "--format=json"));
            } else {
                send(exchange, 404, error("no such admin operation: " + printable(route)));
                return;
            }
            boolean reads = route.equals("coordinators") || route.equals("dead-letters");
            if (!method.equals(reads ? "GET" : "POST")) {
                exchange.getResponseHeaders().set("Allow", reads ? "GET" : "POST");
                send(exchange, 405, error(method + " not allowed: use " + (reads ? "GET" : "POST")));
                return;
            }
            for (String name : query.keySet()) {
                if (!allowed.contains(name)) {
                    send(exchange, 400, error("unknown parameter '" + printable(name) + "'" + (allowed.isEmpty() ? "" : " (known: "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")")));
                    return;
                }
            }
            query.forEach((name, value) -> {
                if (name.equals("dryRun")) {
                    if (value.isEmpty() || value.equalsIgnoreCase("true")) {
                        args.add("--dry-run");
                    } else if (!value.equalsIgnoreCase("false")) {
                        args.add("--dry-run=" + value); // picocli refuses it by name
                    }
                } else {
                    args.add("--" + name + "=" + value);
                }
            });
            args.addAll(cluster);
            if (act.matches()) {
                args.add("--");
                args.add(URLDecoder.decode(act.group(1), StandardCharsets.UTF_8));
            }
            if (!oneAtATime.tryAcquire()) {
                exchange.getResponseHeaders().set("Retry-After", "5");
                send(exchange, 429, error("another admin operation is running; try again shortly"));
                return;
            }
            Answer answer;
            try {
                answer = run(admin, args, jsonOutput);
            } finally {
                oneAtATime.release();   // before answering: a client that sends its next request at once finds it free
            }
            send(exchange, answer.status(), answer.body());
        } catch (RuntimeException e) {
            LOG.warn("admin request failed with {}", e.getClass().getName(), e);
            try {
                send(exchange, 500, error("internal error (" + e.getClass().getSimpleName() + ")"));
            } catch (IOException | RuntimeException ignored) {
                // the response was already under way
            }
        }
    }

    private record Answer(int status, byte[] body) {
    }

    /** Runs the command and says what to answer. */
    private Answer run(String admin, List<String> args, boolean jsonOutput) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long started = System.nanoTime();
        int code = PushlineCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        String shown = shown(args);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String problem = err.toString().strip();
        if (code == 0) {
            LOG.info("admin operation by '{}': {} succeeded in {} ms", admin, shown, millis);
            return new Answer(200, jsonOutput ? out.toString().getBytes(StandardCharsets.UTF_8)
                    : json(Map.of("output", out.toString().strip())));
        }
        LOG.warn("admin operation by '{}': {} failed (exit {}) in {} ms: {}", admin, shown, code, millis, firstLine(problem));
        return new Answer(code == 2 ? 400 : 409, error(problem.isEmpty() ? "failed (exit " + code + ")" : usageMessage(problem)));
    }

    /** The admin's name, or null after answering 401. */
    private String authenticate(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM);
            send(exchange, 401, error("give an admin's token: Authorization: Bearer TOKEN"));
            return null;
        }
        String admin = admins.authenticate(authorization.substring(7).trim()).orElse(null);
        if (admin == null) {
            // Logged before answering, so that whoever saw the answer can find the line.
            LOG.warn("admin API: a request with an unknown token from {}", exchange.getRemoteAddress().getAddress().getHostAddress());
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM + ", error=\"invalid_token\"");
            send(exchange, 401, error("not an admin's token"));
        }
        return admin;
    }

    /** The query's parameters, decoded; a repeated or over-long one is refused. */
    static Map<String, String> query(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        if (raw.length() > MAX_QUERY_CHARS) {
            throw new IllegalArgumentException("query longer than " + MAX_QUERY_CHARS + " characters");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the query is not URL-encoded properly");
            }
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("parameter '" + printable(name) + "' given twice");
            }
        }
        return params;
    }

    /** The command line without the cluster settings, for the log. */
    private String shown(List<String> args) {
        return String.join(" ", args.stream().filter(a -> !cluster.contains(a)).map(AdminServer::printable).toList());
    }

    /** A usage error's first line (picocli follows it with the whole usage text). */
    private static String usageMessage(String problem) {
        int usage = problem.indexOf("\nUsage:");
        return (usage < 0 ? problem : problem.substring(0, usage)).strip();
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    /** {@code s} for a message or log line: control characters as {@code ?}, at most 200 characters. */
    private static String printable(String s) {
        return DlqCommand.oneLine(s, 200);
    }

    private static byte[] error(String message) {
        return json(Map.of("error", message));
    }

    private static byte[] json(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a request asked for, as a metric tag: the command it runs, or why it ran none. */
    private static String operation(HttpExchange exchange) {
        Object op = exchange.getAttribute(OPERATION);
        return op == null ? "none" : op.toString();
    }

    private void count(HttpExchange exchange, int status) {
        registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", operation(exchange), "status", Integer.toString(status)).increment();
    }

    private void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        count(exchange, status);
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
