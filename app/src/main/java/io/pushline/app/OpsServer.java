package io.pushline.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoints of a Pushline process, on a small HTTP server of the JDK's:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter in Prometheus' text format;</li>
 *   <li>{@code GET /health/live}: 200 while the process runs;</li>
 *   <li>{@code GET /health/ready}: 200 once its roles are running (topics exist, state restored, partitions
 *       assigned), else 503 with the reason.</li>
 * </ul>
 *
 * Anything else is 404, and a method other than GET or HEAD 405. Nothing here reads a request body, and nothing it
 * answers carries a secret: meters carry no credentials or tokens.
 */
final class OpsServer implements AutoCloseable {
    /** The readiness of the process: null when ready, else why not. */
    interface Readiness extends Supplier<String> {
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private OpsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free one).
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(readiness, "readiness");
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve metrics and health on " + address.getHostString() + ":" + address.getPort()
                    + ": " + e.getMessage() + " (is the port in use? choose another with --http-address)", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pushline-ops-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, registry, readiness));
        server.start();
        return new OpsServer(server, executor);
    }

    /** The port it listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    private static void handle(HttpExchange exchange, PrometheusMeterRegistry registry, Readiness readiness) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            boolean known = path.equals("/metrics") || path.equals("/health/live") || path.equals("/health/ready");
            if (!known) {
                send(exchange, 404, "text/plain; charset=utf-8", "not found: try /metrics, /health/live or /health/ready\n");
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "method " + method + " not allowed: use GET\n");
                return;
            }
            switch (path) {
                case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
                case "/health/live" -> send(exchange, 200, "application/json", "{\"status\":\"UP\"}\n");
                default -> {
                    String notReady = readiness.get();
                    if (notReady == null) {
                        send(exchange, 200, "application/json", "{\"status\":\"UP\"}\n");
                    } else {
                        send(exchange, 503, "application/json", "{\"status\":\"DOWN\",\"reason\":\"" + jsonEscape(notReady) + "\"}\n");
                    }
                }
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String jsonEscape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
