package io.pushline.loadtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench likes}: bad options are usage errors, and a small run writes a complete report. */
class LikesCommandTest {

    private static BenchCommandTest.Result run(String... args) {
        return BenchCommandTest.run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "likes|Missing required option: '--report=DIR'",
            "likes --report x --rate 0|--rate must be between 1 and 20000",
            "likes --report x --rate 20001|--rate must be between 1 and 20000",
            "likes --report x --rate fast|Invalid value for option '--rate'",
            "likes --report x --seconds 0|--seconds must be between 1 and 3600",
            "likes --report x --seconds 3601|--seconds must be between 1 and 3600",
            "likes --report x --owners 0|--owners must be between 1 and 100000",
            "likes --report x --owners 100001|--owners must be between 1 and 100000",
            "likes --report x --warmup-seconds -1|--warmup-seconds must be between 0 and 600",
            "likes --report x --warmup-seconds 601|--warmup-seconds must be between 0 and 600",
            "likes --report x --seconds 3600|--timeout (30 minutes) is too short",
            "likes --report x --partitions 0|--partitions must be between 1 and 1000",
            "likes --report x --nope|Unknown option: '--nope'"
    })
    void badOptionsAreUsageErrors(String line) {
        String[] parts = line.split("\\|");
        BenchCommandTest.Result result = run(parts[0].split(" "));
        assertThat(result.code()).as(parts[0]).isEqualTo(2);
        assertThat(result.err()).as(parts[0]).contains(parts[1]).contains("Usage:");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "--commit-interval-ms 0|--commit-interval-ms must be between 1 and 10000, was 0",
            "--commit-interval-ms 10001|--commit-interval-ms must be between 1 and 10000, was 10001",
            "--rate 0|--rate must be between 1 and 20000 likes per second, was 0",
            "--timeout 4|--timeout (4 minutes) is too short for two phases of --warmup-seconds + --seconds and their drains (260 s)"
    })
    void theCommitIntervalAndTheTimeoutAreCheckedToo(String line) {
        BenchCli.assertUsageError("likes", line);
    }

    @Test
    void theDefaultsAreValid() {
        LikesCommand likes = BenchCli.parse(LikesCommand.class, "likes", "--report", "x");
        assertThat(likes.rate).isEqualTo(1000);
        assertThat(likes.seconds).isEqualTo(60);
        assertThat(likes.owners).isEqualTo(1000);
        assertThat(likes.warmupSeconds).isEqualTo(10);
        assertThat(likes.commitIntervalMs).as("-1: pushline run's interval").isEqualTo(-1);
        BenchCli.assertValid(likes::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--rate 1 --seconds 1 --owners 1 --warmup-seconds 0 --commit-interval-ms 1 --timeout 3",
            "--rate 20000 --seconds 3600 --owners 100000 --warmup-seconds 600 --commit-interval-ms 10000 --timeout 1440"})
    void theEdgesAreAccepted(String options) {
        LikesCommand likes = BenchCli.parse(LikesCommand.class, ("likes --report x " + options).split(" "));
        BenchCli.assertValid(likes::validate);
    }

    @Test
    void theScenarioListNamesLikes() {
        BenchCommandTest.Result result = run();
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("a scenario is required").contains("likes");
    }

    @Test
    @Tag("integration")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aSmallRunOfLikesThroughTheCoordinatorsLosesNothing(@TempDir Path dir) throws Exception {
        BenchCommandTest.Result result = run("likes", "--report", dir.toString(), "--rate", "50", "--seconds", "3", "--owners", "20",
                "--warmup-seconds", "1", "--partitions", "3", "--data-dir", dir.resolve("data").toString());
        assertThat(result.code()).as(result.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        for (String field : new String[]{"scenario", "params", "throughputPerSec", "latencyMs", "baseline", "ratio", "lost",
                "duplicates", "peakHeapMb", "elapsedMs", "machine", "figures"}) {
            assertThat(r.has(field)).as(field).isTrue();
        }
        assertThat(r.get("scenario").asText()).isEqualTo("likes");
        assertThat(r.get("lost").asLong()).isZero();
        assertThat(r.get("duplicates").asLong()).isZero();
        assertThat(r.get("latencyMs").get("p99").asDouble()).isPositive();
        assertThat(r.get("baseline").get("throughputPerSec").asDouble()).isPositive();
        assertThat(r.get("params").get("coordinatorCommitIntervalMs").asLong()).isPositive();
        JsonNode figures = r.get("figures");
        assertThat(figures.get("likesSent").asLong()).isEqualTo(150);
        assertThat(figures.get("likesDelivered").asLong()).isEqualTo(150);
        assertThat(figures.get("directDelivered").asLong()).isEqualTo(150);
        assertThat(figures.get("likeP99Ms").asDouble()).isPositive();
        assertThat(figures.get("directHighLaneP99Ms").asDouble()).isPositive();
        assertThat(figures.get("p99Ratio").asDouble()).isPositive();
        assertThat(figures.has("goalMet")).isTrue();
        assertThat(figures.get("cpuMicrosPerLike").asDouble()).isPositive();
        assertThat(figures.get("cpuMicrosPerLikeByThreadGroup").get("coordinators' stream threads").asDouble()).isPositive();
        assertThat(figures.get("cpuMicrosPerDirectPushByThreadGroup").get("workers' poll threads").asDouble()).isPositive();
        assertThat(figures.get("coordinatorTransitionsPerLike").asDouble()).isPositive();
        assertThat(figures.get("likeStagesMs").get("observed").asLong()).isPositive();
        assertThat(Files.readString(dir.resolve("report.html"))).contains("data:image/png;base64,");
    }
}
