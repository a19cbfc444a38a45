package io.pushline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline demo}, small, as a user runs it: its own broker as a child process, every role, the mock providers,
 * and a summary whose verdict is computed at the mock providers.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DemoCommandTest {

    @Test
    void smallDemoDeliversEveryPushOnceAndWritesItsSummary(@TempDir Path dir) throws Exception {
        Path summary = dir.resolve("out/summary.json");
        int code = PushlineCommand.execute("demo", "--users", "300", "--devices", "700", "--posts", "2",
                "--partitions", "3", "--kafka-port", "0", "--http-address", "off", "--data-dir", dir.resolve("data").toString(),
                "--summary-json", summary.toString(), "--timeout", "3m");

        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(code).as("exit code, summary %s", json).isZero();
        assertThat(json.get("pushesExpected").asLong()).isPositive();
        assertThat(json.get("pushesDelivered").asLong()).isEqualTo(json.get("pushesExpected").asLong());
        assertThat(json.get("lost").asLong()).isZero();
        assertThat(json.get("duplicates").asLong()).isZero();
        assertThat(json.get("unexpected").asLong()).isZero();
        assertThat(json.get("deadLettered").asLong()).isEqualTo(json.get("malformedPublished").asLong());
        assertThat(json.get("apnsAccepted").asLong()).isPositive();
        assertThat(json.get("fcmAccepted").asLong()).isPositive();
        for (String field : new String[]{"published", "elapsedMs"}) {
            assertThat(json.has(field)).as(field).isTrue();
        }
    }
}
