package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.interaso.webpush.VapidKeys;
import io.pushline.testkit.RequiredProgram;
import io.pushline.testkit.Waits;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link WebPushProvider} against a push service nobody on the project wrote: the npm package {@code web-push-testing}
 * (pinned in {@code ops/web-push-testing}, installed by {@code .ci/run} with {@code npm ci}), which checks the VAPID
 * authorization against the subscription's {@code applicationServerKey} and decrypts the {@code aes128gcm} body. It
 * needs Node 20: without it, or without the package, the test is skipped with the reason (and fails under
 * {@code CI=true}).
 */
@Timeout(120)
class WebPushInteropTest {
    private static final Path SERVER = Path.of("..", "ops", "web-push-testing", "node_modules", "web-push-testing", "src", "bin", "server.js");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Node's major version, or 0 if there is no {@code node} on the PATH. */
    private static int nodeMajor() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.matches("v[0-9]+\\..*")) {
                return 0;
            }
            return Integer.parseInt(out.substring(1, out.indexOf('.')));
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private JsonNode post(String url, String json) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s: %s", url, response.body()).isEqualTo(200);
        String body = response.body().trim();
        return body.startsWith("{") ? JSON.readTree(body) : JSON.createObjectNode();   // some answers are a bare "OK"
    }

    private boolean up(String base) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/status")).timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void webPushTestingReceivesAndDecryptsAPushThenAnExpiredSubscriptionIsGone() throws Exception {
        int node = nodeMajor();
        RequiredProgram.require(node >= 20, "node 20 or later is needed to run the web-push-testing server (found: "
                + (node == 0 ? "none" : "v" + node) + ")");
        RequiredProgram.require(Files.isRegularFile(SERVER), "the web-push-testing package is not installed: run "
                + "'npm ci --prefix ops/web-push-testing' (.ci/run does)");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path log = Files.createTempFile("web-push-testing", ".log");
        Process server = new ProcessBuilder("node", SERVER.toString(), Integer.toString(port)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        String base = "http://localhost:" + port;
        VapidKeys vapid = VapidKeys.generate();
        String publicKey = B64.encodeToString(vapid.getApplicationServerKey());
        try (WebPushProvider provider = WebPushProvider.builder().vapid(null, "mailto:ops@pushline.example", vapid.getPublicKey(),
                vapid.getPrivateKey()).allowLoopbackHttp(true).build()) {
            Waits.until(() -> up(base) || !server.isAlive(), Duration.ofSeconds(30), "web-push-testing to answer on " + base);
            assertThat(server.isAlive()).as("web-push-testing running (its log: %s)", log).isTrue();

            // userVisibleOnly as the string it expects (as a form would send it).
            JsonNode subscription = post(base + "/subscribe", JSON.createObjectNode().put("userVisibleOnly", "true")
                    .put("applicationServerKey", publicKey).toString()).path("data");
            String clientHash = subscription.path("clientHash").asText();
            WebPushSubscription target = WebPushSubscription.of(subscription.path("endpoint").asText(),
                    subscription.path("keys").path("p256dh").asText(), subscription.path("keys").path("auth").asText());
            PushRequest request = new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, clientHash, null, "Ada",
                    "liked your post", Map.of("postId", "p-1"), "post-p-1", Instant.now().plus(Duration.ofHours(1)), Priority.HIGH,
                    PushType.ALERT, null, null, target);

            assertThat(provider.send(request).join()).as("web-push-testing's answer").isInstanceOf(PushOutcome.Delivered.class);

            JsonNode messages = post(base + "/get-notifications", JSON.createObjectNode().put("clientHash", clientHash).toString())
                    .path("data").path("messages");
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).asText()).as("the payload it decrypted")
                    .isEqualTo(new String(WebPushProvider.payload(request), StandardCharsets.UTF_8));

            post(base + "/expire-subscription/" + clientHash, "{}");
            PushRequest again = new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, clientHash, null, "Ada", "again",
                    null, null, null, Priority.NORMAL, PushType.ALERT, null, null, target);
            assertThat(provider.send(again).join()).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                    r -> assertThat(r.tokenInvalid()).as("410 for an expired subscription").isTrue());
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }
}
