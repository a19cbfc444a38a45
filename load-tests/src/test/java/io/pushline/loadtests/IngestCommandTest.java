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

/**
 * {@code pushline bench ingest}: bad options are usage errors, and a tiny run writes a complete report in which every
 * event answered 202 was read back from {@code pushline.events}. Never asserts speed.
 */
class IngestCommandTest {

    private static BenchCommandTest.Result run(String... args) {
        return BenchCommandTest.run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ingest|Missing required option: '--report=DIR'",
            "ingest --report x --events 10|--events must be between 1000 and 10000000",
            "ingest --report x --seconds 0|--seconds must be between 1 and 3600",
            "ingest --report x --clients 0|--clients must be between 1 and 1024",
            "ingest --report x --batch 1|--batch must be between 2 and 500",
            "ingest --report x --warmup-seconds -1|--warmup-seconds must be between 0 and 600",
            "ingest --report x --open-fraction 1.5|--open-fraction must be between 0.01 and 0.99",
            "ingest --report x --saturation-factor 1|--saturation-factor must be between 1.1 and 50",
            "ingest --report x --saturation-in-flight-bytes 10|--saturation-in-flight-bytes must be between 1024",
            "ingest --report x --seconds 3600|--timeout (30 minutes) is too short",
            "ingest --report x --ingest-threads 0|--ingest-threads must be between 1 and 1024",
            "ingest --report x --nope|Unknown option: '--nope'"
    })
    void badOptionsAreUsageErrors(String line) {
        String[] parts = line.split("\\|");
        BenchCommandTest.Result result = run(parts[0].split(" "));
        assertThat(result.code()).as(parts[0]).isEqualTo(2);
        assertThat(result.err()).as(parts[0]).contains(parts[1]).contains("Usage:");
    }

    @Test
    void theScenarioListNamesIngest() {
        BenchCommandTest.Result result = run();
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("a scenario is required").contains("ingest");
    }

    @Test
    @Tag("integration")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aTinyRunReportsTheFiguresAndEveryAcceptedEventIsOnTheTopic(@TempDir Path dir) throws Exception {
        BenchCommandTest.Result result = run("ingest", "--report", dir.toString(), "--events", "2000", "--seconds", "1", "--clients", "4",
                "--batch", "5", "--warmup-seconds", "0", "--saturation-clients", "32", "--partitions", "3",
                "--data-dir", dir.resolve("data").toString());
        assertThat(result.code()).as(result.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        for (String field : new String[]{"scenario", "params", "throughputPerSec", "latencyMs", "baseline", "ratio", "lost",
                "duplicates", "peakHeapMb", "elapsedMs", "machine", "figures"}) {
            assertThat(r.has(field)).as(field).isTrue();
        }
        assertThat(r.get("scenario").asText()).isEqualTo("ingest");
        assertThat(r.get("lost").asLong()).isZero();
        assertThat(r.get("duplicates").asLong()).isZero();
        assertThat(r.get("baseline").get("throughputPerSec").asDouble()).isPositive();
        assertThat(r.get("throughputPerSec").asDouble()).isPositive();
        assertThat(r.get("ratio").asDouble()).isPositive();
        assertThat(r.get("latencyMs").get("p99").asDouble()).isPositive();
        JsonNode f = r.get("figures");
        assertThat(f.get("baselineAcked").asLong()).isEqualTo(2000);
        assertThat(f.get("batchRatio").asDouble()).isPositive();
        assertThat(f.get("singleCpuMicrosPerRequestByThreadGroup").get("ingest").asDouble()).as("the ingest's own threads' CPU per request")
                .isPositive();
        for (String phase : new String[]{"closedSingle", "closedBatch", "openLoop", "saturation"}) {
            JsonNode p = f.get(phase);
            assertThat(p.get("requests").asLong()).as(phase).isPositive();
            assertThat(p.get("latencyMs").get("p99").asDouble()).as(phase).isPositive();
            assertThat(p.has("byStatus")).as(phase).isTrue();
        }
        assertThat(f.get("closedSingle").get("acceptedEvents").asLong()).isPositive();
        assertThat(f.get("closedBatch").get("acceptedEvents").asLong()).isPositive();
        assertThat(f.get("openLoop").get("serviceLatencyMs").get("p99").asDouble()).isPositive();
        for (String figure : new String[]{"openP99Ms", "openGoalMet", "ratioGoalMetSingle", "ratioGoalMetBatch", "saturation202",
                "saturation429", "saturation429WithRetryAfter", "saturationTimeouts", "saturationErrors", "saturationGoalMet"}) {
            assertThat(f.has(figure)).as(figure).isTrue();
        }
        JsonNode readBack = f.get("readBack");
        assertThat(readBack.get("accepted").asLong()).isPositive();
        assertThat(readBack.get("found").asLong()).isEqualTo(readBack.get("accepted").asLong());
        assertThat(readBack.get("lost").asLong()).isZero();
        assertThat(readBack.get("duplicates").asLong()).isZero();
        assertThat(readBack.get("baselineMissing").asLong()).isZero();
        assertThat(f.get("acceptedEqualsReadBack").asBoolean()).isTrue();
        assertThat(Files.readString(dir.resolve("report.html"))).contains("data:image/png;base64,");
    }
}
