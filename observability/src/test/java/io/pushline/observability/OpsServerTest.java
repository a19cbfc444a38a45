package io.pushline.observability;

import io.pushline.testkit.Waits;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.WorkerMetrics;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operations endpoints: Prometheus text, liveness, readiness with its reason, the dashboard and its API, and bad requests. */
class OpsServerTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<String> notReady = new AtomicReference<>("the topology is REBALANCING");
    private final HttpClient http = HttpClient.newHttpClient();
    private OpsServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsLivenessAndReadiness() throws Exception {
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, notReady::get);
        registry.counter("pushline.test.pushes", "lane", "high").increment(3);

        HttpResponse<String> metrics = request("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(metrics.body()).contains("pushline_test_pushes_total{lane=\"high\"} 3.0");

        assertThat(request("GET", "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = request("GET", "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"reason\":\"the topology is REBALANCING\"");
        notReady.set(null);
        assertThat(request("GET", "/health/ready").statusCode()).isEqualTo(200);
        HttpResponse<String> head = request("HEAD", "/metrics");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void aFatalFailureTurnsLivenessAndReadinessDownWithItsReason() throws Exception {
        AtomicReference<String> fatal = new AtomicReference<>();
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> null, fatal::get);
        assertThat(request("GET", "/health/live").statusCode()).isEqualTo(200);
        assertThat(request("GET", "/health/ready").statusCode()).isEqualTo(200);

        fatal.set("the bulk worker: unexpected IllegalStateException: boom");

        HttpResponse<String> live = request("GET", "/health/live");
        assertThat(live.statusCode()).isEqualTo(503);
        assertThat(live.body()).contains("\"status\":\"DOWN\"")
                .contains("\"reason\":\"the bulk worker: unexpected IllegalStateException: boom\"");
        HttpResponse<String> ready = request("GET", "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"reason\":\"the bulk worker: unexpected IllegalStateException: boom\"");
    }

    @Test
    void badRequestsGetClearAnswers() throws Exception {
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> "a reason with \"quotes\"\n");
        HttpResponse<String> missing = request("GET", "/admin");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("/metrics").contains("/dashboard");
        HttpResponse<String> post = request("POST", "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(request("GET", "/health/ready").body()).contains("a reason with \\\"quotes\\\"\\u000a");
    }

    @Test
    void readinessReasonsAndBadRequestsAreEscapedJson() throws Exception {
        String escaped = "a\\\"b\\\\c\\u003c/script>&'/\\u000a\\u0009\\u000d\\u0008\\u000c\\u0001\\u001f\u007f"
                + "\\u2028\\u2029\u00e9\uD83D\uDE00>";
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> DashboardJsonGoldenTest.AWKWARD);
        assertThat(request("GET", "/health/ready").body()).isEqualTo("{\"status\":\"DOWN\",\"reason\":\"" + escaped + "\"}\n");
        HttpResponse<String> bad = request("GET", "/api/dashboard?since="
                + java.net.URLEncoder.encode(DashboardJsonGoldenTest.AWKWARD, StandardCharsets.UTF_8));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).isEqualTo("{\"error\":\"bad since \\\"" + escaped + "\\\": give the instant after which to send "
                + "samples, in milliseconds since the epoch (since=1700000000000)\"}\n");
    }

    @Test
    void aTakenPortIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> OpsServer.start(new InetSocketAddress("127.0.0.1", taken.getLocalPort()), registry, () -> null))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("--http-address");
        }
    }

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private OpsServer startWithHandSampler(DashboardSampler sampler) {
        return OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> null, sampler);
    }

    private DashboardSampler handSampler() {
        return new DashboardSampler(registry, DashboardSampler.CAPACITY, Clock.fixed(T0.plusSeconds(10), ZoneOffset.UTC));
    }

    @Test
    void theRootRedirectsToTheDashboardWhichLoadsOnlyItsOwnAssets() throws Exception {
        server = startWithHandSampler(handSampler());
        HttpResponse<String> root = request("GET", "/");
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValue("/dashboard");
        assertThat(request("GET", "/dashboard/").headers().firstValue("Location")).hasValue("/dashboard");

        HttpResponse<String> page = request("GET", "/dashboard");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("default-src 'none'").contains("connect-src 'self'"));
        assertThat(page.body()).contains("<title>Pushline").contains("waiting for data");
        // Every src and href is relative to the page (no scheme, no host): nothing external, and it works behind a proxy prefix.
        Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(page.body());
        int assets = 0;
        while (refs.find()) {
            String ref = refs.group(1);
            assertThat(ref).as("a reference of the page").doesNotContain("//").doesNotStartWith("/");
            if (ref.startsWith("dashboard/")) {
                HttpResponse<String> asset = request("GET", "/" + ref);
                assertThat(asset.statusCode()).as(ref).isEqualTo(200);
                // The one URL allowed: SVG's namespace, a name rather than a resource.
                assertThat(asset.body().replace("'http://www.w3.org/2000/svg'", "")).as(ref)
                        .doesNotContain("http://").doesNotContain("https://").doesNotContain("@import");
                assets++;
            }
        }
        assertThat(assets).isEqualTo(2);
        assertThat(request("GET", "/dashboard/dashboard.js").headers().firstValue("Content-Type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(request("GET", "/dashboard/dashboard.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(request("HEAD", "/dashboard").body()).isEmpty();
    }

    @Test
    void unknownAssetsAndTraversalAreNotFound() throws Exception {
        server = startWithHandSampler(handSampler());
        for (String path : new String[]{"/dashboard/index.html", "/dashboard/nope.js", "/dashboard/../metrics",
                "/dashboard/..%2fOpsServer.class", "/dashboard/%2e%2e/%2e%2e/pom.xml", "/dashboard/dashboard.js/", "/dashboard//dashboard.js"}) {
            HttpResponse<String> r = request("GET", path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.body()).as(path).contains("dashboard.css and dashboard.js").doesNotContain("class");
        }
        // What a client that does not normalise sends on the wire, byte for byte.
        assertThat(rawGet("/dashboard/../../OpsServer.class")).startsWith("HTTP/1.1 404");
        assertThat(rawGet("/dashboard/..\\OpsServer.class")).startsWith("HTTP/1.1 4");
        HttpResponse<String> post = request("POST", "/api/dashboard");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(request("DELETE", "/dashboard").statusCode()).isEqualTo(405);
    }

    private String rawGet(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theApiServesTheSamplesAndOnlyNewerOnesSinceAnInstant() throws Exception {
        DashboardSampler sampler = handSampler();
        server = startWithHandSampler(sampler);
        ObjectMapper json = new ObjectMapper();

        HttpResponse<String> none = request("GET", "/api/dashboard");
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(none.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(none.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode empty = json.readTree(none.body());
        assertThat(empty.get("now").asLong()).isEqualTo(T0.plusSeconds(10).toEpochMilli());
        assertThat(empty.get("samples")).isEmpty();

        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "fcm", "outcome", "delivered").increment(10);
        sampler.sample(T0);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "fcm", "outcome", "delivered").increment(50);
        registry.counter(TopologyMetrics.DEVICES_EXPANDED).increment(100);
        sampler.sample(T0.plusSeconds(1));
        sampler.sample(T0.plusSeconds(2));

        JsonNode all = json.readTree(request("GET", "/api/dashboard").body());
        assertThat(all.get("samples")).hasSize(3);
        JsonNode second = all.get("samples").get(1);
        assertThat(second.get("t").asLong()).isEqualTo(T0.plusSeconds(1).toEpochMilli());
        assertThat(second.get("rates").get("pushesByOutcome").get("delivered").asDouble()).isEqualTo(50.0);
        assertThat(second.get("rates").get("devicesExpanded").asDouble()).isEqualTo(100.0);
        assertThat(second.get("totals").get("pushesByOutcome").get("delivered").asDouble()).isEqualTo(60.0);

        JsonNode newer = json.readTree(request("GET", "/api/dashboard?since=" + T0.plusSeconds(1).toEpochMilli()).body());
        assertThat(newer.get("samples")).hasSize(1);
        assertThat(newer.get("samples").get(0).get("t").asLong()).isEqualTo(T0.plusSeconds(2).toEpochMilli());
        assertThat(json.readTree(request("GET", "/api/dashboard?since=" + T0.plusSeconds(2).toEpochMilli()).body()).get("samples")).isEmpty();
        assertThat(json.readTree(request("GET", "/api/dashboard?since=0").body()).get("samples")).hasSize(3);

        // Large answers are compressed for clients that accept it.
        for (int i = 3; i < 60; i++) {
            sampler.sample(T0.plusSeconds(i));
        }
        HttpResponse<byte[]> zipped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/dashboard"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            assertThat(json.readTree(in).get("samples")).hasSize(60);
        }
    }

    @Test
    void aBadSinceIsABadRequestSayingWhy() throws Exception {
        server = startWithHandSampler(handSampler());
        for (String query : new String[]{"since=yesterday", "since=", "since=1.5", "since=-1", "since=99999999999999999999"}) {
            HttpResponse<String> bad = request("GET", "/api/dashboard?" + query);
            assertThat(bad.statusCode()).as(query).isEqualTo(400);
            assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(bad.body()).as(query).contains("\"error\":\"bad since").contains("milliseconds since the epoch");
        }
        HttpResponse<String> unknown = request("GET", "/api/dashboard?from=1");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown parameter \\\"from\\\"").contains("since=EPOCH_MILLIS");
    }

    @Test
    void theServerSamplesOnItsOwnAndStopsWhenClosed() throws Exception {
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> null);
        ObjectMapper json = new ObjectMapper();
        Waits.until(() -> {
            try {
                return json.readTree(request("GET", "/api/dashboard").body()).get("samples").size() >= 2;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, java.time.Duration.ofSeconds(10), () -> "two samples served by a started server");
        server.close();
        server = null;
        // close() waits for the sampler's executor to terminate; its thread may take a moment longer to exit.
        Waits.until(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().equals("pushline-dashboard-sampler") && t.isAlive()),
                java.time.Duration.ofSeconds(10), () -> "the sampler thread to exit after close");
    }
}
