package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FcmProviderBuilderTest {

    private final GoogleCredentials fake = GoogleCredentials.create(new AccessToken("fake", Date.from(Instant.now().plusSeconds(86_400))));

    @Test
    void needsExactlyOneKindOfCredentials(@TempDir Path dir) {
        assertThatIllegalArgumentException().isThrownBy(() -> FcmProvider.builder().projectId("p").build())
                .withMessage("exactly one of credentials(...) or serviceAccountJson(...) must be set, got neither");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> FcmProvider.builder().projectId("p").credentials(fake).serviceAccountJson(dir.resolve("sa.json")).build())
                .withMessage("exactly one of credentials(...) or serviceAccountJson(...) must be set, got both");
    }

    @Test
    void namesTheFieldAndTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> valid().maxConcurrency(0).build())
                .withMessage("maxConcurrency must be >= 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().maxQueued(-2).build())
                .withMessage("maxQueued must be >= 0, was -2");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().endpoint(URI.create("ftp://127.0.0.1:21")).build())
                .withMessage("endpoint must be an absolute http(s) URI without query or fragment, was ftp://127.0.0.1:21");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().projectId(null).build())
                .withMessage("projectId must be set (or come from serviceAccountJson), was null");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().maxBatchSize(501).build())
                .withMessage("maxBatchSize must be within 1..500, was 501");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().batchLinger(java.time.Duration.ofMillis(-5)).build())
                .withMessage("batchLinger must be >= 0, was PT-0.005S");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().maxBatchesInFlight(0).build())
                .withMessage("maxBatchesInFlight must be >= 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> valid().sdkThreads(0).build())
                .withMessage("sdkThreads must be >= 1, was 0");
    }

    @Test
    void anUnreadableServiceAccountIsReportedWithoutItsContent(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("sa.json");
        Files.writeString(json, "{\"type\":\"service_account\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nc2VjcmV0LWtleS1ieXRlcw==\\n\"}");

        assertThatIllegalArgumentException().isThrownBy(() -> FcmProvider.builder().serviceAccountJson(json).build())
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("serviceAccountJson " + json + " is not a readable service account key (")
                            .doesNotContain("c2VjcmV0");
                    assertThat(e.getCause()).isNull();
                });
        assertThatIllegalArgumentException().isThrownBy(() -> FcmProvider.builder().serviceAccountJson(dir.resolve("missing.json")).build())
                .withMessageContaining("missing.json is not a readable service account key (NoSuchFileException)");
    }

    @Test
    void projectIdComesFromTheServiceAccount(@TempDir Path dir) throws Exception {
        Path json = FcmProviderTest.serviceAccountJson(dir, "http://127.0.0.1:9/token");
        try (FcmProvider provider = FcmProvider.builder().serviceAccountJson(json).build()) {
            assertThat(provider.platform()).isEqualTo(Platform.FCM);
        }
    }

    @Test
    void buildsWithTheSdksOwnTransportForRealFcm() {
        try (FcmProvider provider = valid().build()) {
            assertThat(provider.toString()).startsWith("FcmProvider[app=pushline-fcm-").contains("inFlight=0/" + FcmProvider.DEFAULT_MAX_CONCURRENCY);
        }
    }

    private FcmProvider.Builder valid() {
        return FcmProvider.builder().projectId("demo-project").credentials(fake);
    }
}
