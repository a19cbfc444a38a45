package io.pushline.observability;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

/**
 * The operations endpoints of a Pushline process, on a small HTTP server of the JDK's:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter in Prometheus' text format;</li>
 *   <li>{@code GET /health/live}: 200 while the process can go on, else (its {@link Liveness} names a fatal
 *       failure: a worker whose poll loop ended, a Streams application in {@code ERROR}) 503 with the reason;</li>
 *   <li>{@code GET /health/ready}: 200 once its roles are running (topics exist, state restored, partitions
 *       assigned), else 503 with the reason; a fatal failure is also a reason not to be ready;</li>
 *   <li>{@code GET /dashboard}: a live operations page (plain HTML, CSS and JavaScript from the class path, no external
 *       resource), with its assets under {@code /dashboard/}; {@code GET /} redirects to it;</li>
 *   <li>{@code GET /api/dashboard}: what the page shows, as JSON: the last ten minutes of {@link DashboardSampler}'s
 *       samples, or with {@code ?since=EPOCH_MILLIS} only those taken after that instant.</li>
 * </ul>
 *
 * Anything else is 404, and a method other than GET or HEAD 405. Nothing here reads a request body, and nothing it
 * answers carries a secret: meters carry no credentials or tokens.
 */
public final class OpsServer implements AutoCloseable {
    /** The readiness of the process: null when ready, else why not. */
    public interface Readiness extends Supplier<String> {
    }

    /** The liveness of the process: null while it can go on, else the fatal failure that stops it. */
    public interface Liveness extends Supplier<String> {
        /** Always alive: a process whose liveness only means that it runs. */
        Liveness ALWAYS = () -> null;
    }

    /** The dashboard's assets, by the name under {@code /dashboard/}, with their content types. */
    private static final Map<String, String> ASSETS = Map.of(
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8");
    private static final String PAGE = "index.html";
    /** The page loads nothing but its own assets and the API: a stray external reference fails loudly in the browser. */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String API = "/api/dashboard";
    private static final int GZIP_ABOVE_BYTES = 8192;

    private final HttpServer server;
    private final ExecutorService executor;
    private final DashboardSampler sampler;

    private OpsServer(HttpServer server, ExecutorService executor, DashboardSampler sampler) {
        this.server = server;
        this.executor = executor;
        this.sampler = sampler;
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free one), and sampling {@code registry} for the dashboard once a
     * second until closed.
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    public static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness) {
        return start(address, registry, readiness, Liveness.ALWAYS);
    }

    /**
     * As above, with {@code /health/live} answering 503 and the reason while {@code liveness} names a fatal failure
     * (and {@code /health/ready} too, whatever {@code readiness} says).
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    public static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness,
                                  Liveness liveness) {
        DashboardSampler sampler = new DashboardSampler(registry, DashboardSampler.CAPACITY, Clock.systemUTC());
        OpsServer server = start(address, registry, readiness, liveness, sampler);
        sampler.start();
        return server;
    }

    /**
     * Starts serving on {@code address} with the dashboard's samples from {@code sampler}, which this server closes when
     * closed; it is for the caller to start it (tests sample by hand).
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness,
                           DashboardSampler sampler) {
        return start(address, registry, readiness, Liveness.ALWAYS, sampler);
    }

    /** As above, with {@code liveness} for {@code /health/live}. */
    static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness,
                           Liveness liveness, DashboardSampler sampler) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(liveness, "liveness");
        Objects.requireNonNull(sampler, "sampler");
        Map<String, byte[]> files = loadDashboard();
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve the dashboard, metrics and health on " + address.getHostString() + ":"
                    + address.getPort() + ": " + e.getMessage() + " (is the port in use? choose another with --http-address)", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pushline-ops-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, registry, readiness, liveness, sampler, files));
        server.start();
        return new OpsServer(server, executor, sampler);
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The page and its assets from the class path, read once; a missing one is a packaging error, reported at start. */
    private static Map<String, byte[]> loadDashboard() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(List.of(PAGE));
        names.addAll(ASSETS.keySet());
        for (String name : names) {
            String resource = "dashboard/" + name;
            try (InputStream in = OpsServer.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the dashboard's " + name + " is missing from the class path (expected "
                            + OpsServer.class.getPackageName().replace('.', '/') + "/" + resource + "): a broken build?");
                }
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the dashboard's " + name + " from the class path", e);
            }
        }
        return Map.copyOf(files);
    }

    private static void handle(HttpExchange exchange, PrometheusMeterRegistry registry, Readiness readiness,
                               Liveness liveness, DashboardSampler sampler, Map<String, byte[]> files) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            boolean known = path.equals("/") || path.equals("/metrics") || path.equals("/health/live") || path.equals("/health/ready")
                    || path.equals(API) || path.equals("/dashboard") || path.startsWith("/dashboard/");
            if (!known) {
                send(exchange, 404, "text/plain; charset=utf-8", "not found: try /dashboard, /metrics, /health/live or /health/ready\n");
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "method " + method + " not allowed: use GET\n");
                return;
            }
            switch (path) {
                case "/" -> redirect(exchange, "/dashboard");
                case "/dashboard/" -> redirect(exchange, "/dashboard");
                case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
                case "/health/live" -> {
                    String fatal = liveness.get();
                    if (fatal == null) {
                        sendJson(exchange, 200, Health.UP);
                    } else {
                        sendJson(exchange, 503, new Health("DOWN", fatal));
                    }
                }
                case "/health/ready" -> {
                    String fatal = liveness.get();
                    String notReady = fatal != null ? fatal : readiness.get();
                    if (notReady == null) {
                        sendJson(exchange, 200, Health.UP);
                    } else {
                        sendJson(exchange, 503, new Health("DOWN", notReady));
                    }
                }
                case "/dashboard" -> {
                    exchange.getResponseHeaders().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
                    exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
                    sendFile(exchange, "text/html; charset=utf-8", files.get(PAGE));
                }
                case API -> dashboardData(exchange, sampler);
                default -> {
                    // Only the known names: no lookup by a path that came from the request, so nothing to traverse.
                    String name = path.substring("/dashboard/".length());
                    String type = ASSETS.get(name);
                    if (type == null) {
                        send(exchange, 404, "text/plain; charset=utf-8", "not found: the dashboard's assets are "
                                + String.join(" and ", ASSETS.keySet().stream().sorted().toList()) + "\n");
                    } else {
                        sendFile(exchange, type, files.get(name));
                    }
                }
            }
        }
    }

    private static void dashboardData(HttpExchange exchange, DashboardSampler sampler) throws IOException {
        long since = Long.MIN_VALUE;
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (!name.equals("since")) {
                    badRequest(exchange, "unknown parameter \"" + name + "\": " + API + " takes only since=EPOCH_MILLIS");
                    return;
                }
                try {
                    since = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    badRequest(exchange, "bad since \"" + value + "\": give the instant after which to send samples, "
                            + "in milliseconds since the epoch (since=1700000000000)");
                    return;
                }
                if (since < 0) {
                    badRequest(exchange, "bad since \"" + value + "\": milliseconds since the epoch cannot be negative");
                    return;
                }
            }
        }
        Instant now = sampler.now();
        List<DashboardView.Sample> samples = since == Long.MIN_VALUE ? sampler.samples() : sampler.samplesAfter(since);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        byte[] body = DashboardJson.page(now, sampler.capacity(), samples).getBytes(StandardCharsets.UTF_8);
        String accepted = exchange.getRequestHeaders().getFirst("Accept-Encoding");
        if (body.length > GZIP_ABOVE_BYTES && accepted != null && accepted.contains("gzip")) {
            ByteArrayOutputStream zipped = new ByteArrayOutputStream(body.length / 4);
            try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                gzip.write(body);
            }
            body = zipped.toByteArray();
            exchange.getResponseHeaders().set("Content-Encoding", "gzip");
        }
        exchange.getResponseHeaders().set("Vary", "Accept-Encoding");
        send(exchange, 200, "application/json", body);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static void badRequest(HttpExchange exchange, String message) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        sendJson(exchange, 400, new BadRequest(message));
    }

    private static void redirect(HttpExchange exchange, String location) throws IOException {
        exchange.getResponseHeaders().set("Location", location);
        send(exchange, 302, "text/plain; charset=utf-8", "see " + location + "\n");
    }

    private static void sendFile(HttpExchange exchange, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        send(exchange, 200, contentType, body);
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** {@code body} as JSON, on a line of its own. */
    private static void sendJson(HttpExchange exchange, int status, Object body) throws IOException {
        send(exchange, status, "application/json", DashboardJson.write(body) + "\n");
    }

    /** The body of {@code /health/live} and {@code /health/ready}: {@code UP}, or {@code DOWN} and why. */
    @JsonPropertyOrder({"status", "reason"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Health(String status, String reason) {
        static final Health UP = new Health("UP", null);
    }

    /** The body of a 400: what was wrong with the request, and what to send instead. */
    record BadRequest(String error) {
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        sampler.close();
    }
}
