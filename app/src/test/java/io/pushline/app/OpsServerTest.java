package io.pushline.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operations endpoints: Prometheus text, liveness, readiness with its reason, and bad requests. */
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
    void badRequestsGetClearAnswers() throws Exception {
        server = OpsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> "a reason with \"quotes\"\n");
        HttpResponse<String> missing = request("GET", "/admin");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("/metrics");
        HttpResponse<String> post = request("POST", "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(request("GET", "/health/ready").body()).contains("a reason with \\\"quotes\\\"\\u000a");
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
}
