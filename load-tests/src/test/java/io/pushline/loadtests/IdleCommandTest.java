package io.pushline.loadtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench idle}: bad options are usage errors, and a short run writes a complete report. */
class IdleCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--seconds 0|--seconds must be between 1 and 3600, was 0",
            "--seconds 3601|--seconds must be between 1 and 3600",
            "--warmup-seconds -1|--warmup-seconds must be between 0 and 600",
            "--owners 0|--owners must be between 1 and 10000",
            "--seconds 3600 --timeout 60|--timeout (60 minutes) is too short",
            "--bootstrap-servers 127.0.0.1:9092|bench idle measures a broker of its own",
            "--seconds soon|Invalid value for option '--seconds'"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("idle", line);
    }

    @Test
    void theDefaultsAreValid() {
        IdleCommand idle = BenchCli.parse(IdleCommand.class, "idle", "--report", "x");
        assertThat(idle.seconds).isEqualTo(60);
        assertThat(idle.warmupSeconds).isEqualTo(30);
        BenchCli.assertValid(idle::validate);
    }

    @Test
    void threadsAreGroupedByTheirNames() {
        assertThat(ThreadCpu.group("pushline-coordinators-1f2e-StreamThread-1")).isEqualTo("coordinators' stream threads");
        assertThat(ThreadCpu.group("pushline-topology-1f2e-StreamThread-2")).isEqualTo("topology's stream threads");
        assertThat(ThreadCpu.group("kafka-producer-network-thread | producer-3")).isEqualTo("producers' network threads");
        assertThat(ThreadCpu.group("pushline-worker-bulk")).isEqualTo("workers' poll threads");
        assertThat(ThreadCpu.group("pushline-receipts")).isEqualTo("receipts and send-time checks");
        assertThat(ThreadCpu.group("pushline-apns-3-1")).isEqualTo("providers (APNs, FCM, web push clients)");
        assertThat(ThreadCpu.group("pushline-webpush")).isEqualTo("providers (APNs, FCM, web push clients)");
        assertThat(ThreadCpu.group("pushline-mock-webpush")).isEqualTo("mock providers");
        assertThat(ThreadCpu.group("pushline-mock-apns-2-1")).isEqualTo("mock providers");
        assertThat(ThreadCpu.group("pushline-fake-fcm-7")).isEqualTo("mock providers");
        assertThat(ThreadCpu.group("pushline-ingest-io-1-2")).isEqualTo("ingest");
        assertThat(ThreadCpu.group("main")).isEqualTo("other (bench harness)");
    }

    @Test
    @Tag("integration")
    @Tag(BenchRuns.TAG)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aShortIdleRunMeasuresThePipelineAndTheBrokerAgainstTheBrokerAlone(@TempDir Path dir) throws Exception {
        BenchCommandTest.Result result = BenchCommandTest.run("idle", "--report", dir.toString(), "--seconds", "2", "--warmup-seconds", "0",
                "--owners", "1", "--partitions", "1", "--data-dir", dir.resolve("data").toString());
        assertThat(result.code()).as(result.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(r.get("scenario").asText()).isEqualTo("idle");
        JsonNode figures = r.get("figures");
        assertThat(figures.get("pipelineCpuPercentOfCore").asDouble()).isPositive();
        assertThat(figures.get("brokerCpuPercentOfCore").asDouble()).isPositive();
        assertThat(figures.get("brokerAloneCpuPercentOfCore").asDouble()).isPositive();
        assertThat(figures.get("warmupLikes").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(figures.get("pipelineByThreadGroup").has("coordinators' stream threads")).isTrue();
        assertThat(figures.get("busiestThreads").size()).isPositive();
        assertThat(r.get("baseline").get("name").asText()).isEqualTo("broker-alone-cpu-percent");
    }
}
