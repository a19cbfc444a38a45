package io.pushline.mock;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FakeFcmTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeFcm fcm;

    @BeforeEach
    void start() {
        fcm = FakeFcm.start();
    }

    @AfterEach
    void stop() {
        fcm.close();
    }

    @Test
    void acceptsASendAndRecordsTokenAndPushId() throws Exception {
        HttpResponse<String> response = post("/v1/projects/demo/messages:send",
                "{\"validate_only\":false,\"message\":{\"token\":\"tok-1\",\"data\":{\"pushline_push_id\":\"p-1\",\"k\":\"v\"}}}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).matches("\\{\"name\":\"projects/demo/messages/fake-\\d+\"}");
        assertThat(fcm.ledger().accepted()).singleElement().satisfies(accepted -> {
            assertThat(accepted.token()).isEqualTo("tok-1");
            assertThat(accepted.pushId()).isEqualTo("p-1");
        });
        assertThat(fcm.authorizations()).containsExactly("Bearer test");
    }

    @Test
    void validateOnlyIsAnsweredButNotRecorded() throws Exception {
        HttpResponse<String> response = post("/v1/projects/demo/messages:send", "{\"validate_only\":true,\"message\":{\"token\":\"t\"}}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(fcm.ledger().acceptedCount()).isZero();
    }

    @Test
    void badJsonIs400InvalidArgumentAndUnknownPathIs404() throws Exception {
        HttpResponse<String> bad = post("/v1/projects/demo/messages:send", "{not json");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("\"status\":\"INVALID_ARGUMENT\"", "\"errorCode\":\"INVALID_ARGUMENT\"", "FcmError");

        assertThat(post("/v1/projects/demo/somethingElse", "{}").statusCode()).isEqualTo(404);
        assertThat(fcm.unmatchedRequests()).isEqualTo(1);
        assertThat(fcm.ledger().acceptedCount()).isZero();
    }

    @Test
    void scriptedFaultsUseFcmErrorCodesAndRetryAfter() throws Exception {
        fcm.behaviour(Behaviour.forTokens("gone"::equals, Verdict.unregistered(java.time.Instant.now()))
                .orElse(Behaviour.always(Verdict.tooManyRequests(Duration.ofSeconds(42)))));

        HttpResponse<String> gone = post("/v1/projects/demo/messages:send", "{\"message\":{\"token\":\"gone\"}}");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("\"errorCode\":\"UNREGISTERED\"");

        HttpResponse<String> limited = post("/v1/projects/demo/messages:send", "{\"message\":{\"token\":\"other\"}}");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("\"errorCode\":\"QUOTA_EXCEEDED\"");
        assertThat(limited.headers().firstValue("Retry-After")).contains("42");

        fcm.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));
        assertThat(post("/v1/projects/demo/messages:send", "{\"message\":{\"token\":\"x\"}}").statusCode()).isEqualTo(503);
        assertThat(fcm.ledger().acceptedCount()).isZero();
        assertThat(fcm.receivedCount()).isEqualTo(3);
    }

    @Test
    void answersTheOAuthTokenEndpoint() throws Exception {
        HttpResponse<String> response = post("/token", "grant_type=x");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("access_token");
        assertThat(fcm.tokenRequests()).isEqualTo(1);
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(fcm.baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer test")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
