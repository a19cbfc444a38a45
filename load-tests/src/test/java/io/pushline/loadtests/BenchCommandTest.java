package io.pushline.loadtests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bench runner's behaviour (not its speed): bad options are usage errors, an unreachable broker fails fast, and
 * small runs of every scenario write complete reports with nothing lost.
 */
class BenchCommandTest {

    record Result(int code, String err) {}

    /** Runs {@code pushline bench ARGS}, capturing stderr. */
    static Result run(String... args) {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Result(BenchCommand.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(originalErr);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "fanout|Missing required option: '--report=DIR'",
            "fanout --report x --devices 5|--devices must be between 100",
            "fanout --report x --devices lots|Invalid value for option '--devices'",
            "limits --report x --records 10|--records must be between 1000",
            "limits --report x --partitions 0|--partitions must be between 1 and 1000",
            "limits --report x --timeout 0|--timeout must be between 1 and 1440",
            "storm --report x|Unmatched argument",
            "fanout --report x --nope|Unknown option: '--nope'",
            "providers --report x --pushes 3|--pushes must be between 1000",
            "providers|Missing required option: '--report=DIR'",
            "slow-provider --report x --devices 5|--devices must be between 100",
            "slow-provider --report x --in-flight 0|--in-flight must be between 1 and 100000",
            "mixed --report x --like-rate 0|--like-rate must be between 1 and 10000",
            "mixed --report x --like-seconds 0|--like-seconds must be between 1 and 3600",
            "mixed --report x --like-warmup -1|--like-warmup must be between 0 and 600",
            "mixed --report x --devices 5|--devices must be between 100"
    })
    void badOptionsAreUsageErrors(String line) {
        String[] parts = line.split("\\|");
        Result result = run(parts[0].split(" "));
        assertThat(result.code()).as(parts[0]).isEqualTo(2);
        assertThat(result.err()).as(parts[0]).contains(parts[1]).contains("Usage:");
    }

    @Test
    void anUnreachableBrokerFailsFastWithAClearMessage(@TempDir Path dir) throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Result result = run("limits", "--report", dir.toString(), "--bootstrap-servers", "127.0.0.1:" + closedPort);
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("cannot reach Kafka at 127.0.0.1:" + closedPort);
    }

    @Test
    @Tag("integration")
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void smallRunsOfBothScenariosWriteCompleteReports(@TempDir Path dir) throws Exception {
        Path limits = dir.resolve("limits");
        assertThat(run("limits", "--report", limits.toString(), "--records", "5000", "--pushes", "1000", "--partitions", "3",
                "--data-dir", dir.resolve("data").toString()).code()).isZero();
        JsonNode l = new ObjectMapper().readTree(limits.resolve("report.json").toFile());
        assertThat(l.get("scenario").asText()).isEqualTo("limits");
        assertThat(l.get("figures").get("kafkaProduceRecordsPerSec").asDouble()).isPositive();
        assertThat(l.get("figures").get("bareMixedPushesPerSec").asDouble()).isPositive();
        assertThat(l.get("figures").get("bareProviderErrors").asLong()).isZero();

        Path fanout = dir.resolve("fanout");
        assertThat(run("fanout", "--report", fanout.toString(), "--devices", "3000", "--baseline-pushes", "1000",
                "--partitions", "3", "--data-dir", dir.resolve("data").toString()).code()).isZero();
        JsonNode f = new ObjectMapper().readTree(fanout.resolve("report.json").toFile());
        for (String field : new String[]{"scenario", "params", "throughputPerSec", "latencyMs", "baseline", "ratio", "lost",
                "duplicates", "peakHeapMb", "elapsedMs", "machine"}) {
            assertThat(f.has(field)).as(field).isTrue();
        }
        assertThat(f.get("lost").asLong()).isZero();
        assertThat(f.get("duplicates").asLong()).isZero();
        assertThat(f.get("figures").get("pushesDelivered").asLong()).isEqualTo(3000);
        assertThat(f.get("params").get("webShare").asInt()).as("a fifth of the audience on web push").isEqualTo(20);
        assertThat(f.get("figures").get("bareWebPushesPerSec").asDouble()).as("the web push library in the baseline's mix").isPositive();
        assertThat(f.get("figures").get("cpuMicrosPerPushByThreadGroup").get("workers' poll threads").asDouble())
                .as("where the CPU per push went, by thread group").isPositive();
        assertThat(f.get("latencyMs").get("p50").asDouble()).isPositive();
        assertThat(f.get("baseline").get("throughputPerSec").asDouble()).isPositive();
        assertThat(Files.readString(fanout.resolve("report.html"))).contains("data:image/png;base64,");
    }

    @Test
    @Tag("integration")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void providersComparesOursWithTheBareClientsInOneRun(@TempDir Path dir) throws Exception {
        assertThat(run("providers", "--report", dir.toString(), "--pushes", "1000").code()).isZero();
        JsonNode figures = new ObjectMapper().readTree(dir.resolve("report.json").toFile()).get("figures");
        for (String rate : new String[]{"ourApnsPushesPerSec", "bareApnsPushesPerSec", "ourFcmPushesPerSec", "bareFcmPushesPerSec",
                "ourApnsCpuMicrosPerPush", "ourFcmCpuMicrosPerPush", "ourWebPushesPerSec", "bareWebPushesPerSec", "webRatio"}) {
            assertThat(figures.get(rate).asDouble()).as(rate).isPositive();
        }
        assertThat(figures.get("ourFailures").asLong()).isZero();
        assertThat(figures.get("bareFailures").asLong()).isZero();
    }

    @Test
    @Tag("integration")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aSlowProviderBacksUpIntoTheWorkersReadAheadAndItsLagDrains(@TempDir Path dir) throws Exception {
        // --in-flight 32: demand runs out at once and stays out, so the tasks wait in the worker's read-ahead (bounded:
        // 20,000; past it every partition pauses, which 300 devices never reach) whatever the machine's speed.
        assertThat(run("slow-provider", "--report", dir.toString(), "--devices", "300", "--baseline-pushes", "1000",
                "--partitions", "3", "--in-flight", "32", "--data-dir", dir.resolve("data").toString()).code()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertComplete(r, "slow-provider");
        JsonNode figures = r.get("figures");
        assertThat(figures.get("pushesDelivered").asLong()).isEqualTo(300);
        assertThat(figures.get("targetPushesPerSec").asDouble()).isPositive();
        assertThat(figures.get("delayChoice").asText()).contains("ms per push");
        assertThat(figures.get("bulkMaxReadAhead").asLong()).isBetween(1L, 300L);
        assertThat(figures.get("bulkMaxPausedPartitions").asLong()).isZero();
        assertThat(figures.get("bulkMaxInFlight").asLong()).isBetween(1L, 32L);
        assertThat(figures.get("bulkMaxLag").asLong()).isPositive();
        assertThat(figures.get("bulkFinalLag").asLong()).isZero();
        assertThat(figures.get("peakHeapWithinLimit").asBoolean()).isTrue();
        assertThat(figures.has("heapFlat")).isTrue();
        assertThat(Files.readString(dir.resolve("report.html"))).contains("data:image/png;base64,");
    }

    @Test
    @Tag("integration")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void mixedMeasuresLikesAloneAndDuringAFanout(@TempDir Path dir) throws Exception {
        assertThat(run("mixed", "--report", dir.toString(), "--devices", "1000", "--baseline-pushes", "1000", "--like-rate", "100",
                "--like-warmup", "1", "--like-seconds", "2", "--partitions", "3", "--data-dir", dir.resolve("data").toString()).code()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertComplete(r, "mixed");
        JsonNode figures = r.get("figures");
        assertThat(figures.get("pushesDelivered").asLong()).isEqualTo(1000);
        assertThat(figures.get("likesAlone").asLong()).isEqualTo(200);
        assertThat(figures.get("likesDuringFanout").asLong()).isPositive();
        assertThat(figures.get("likesLost").asLong()).isZero();
        assertThat(figures.get("likeLatencyAloneMs").get("p99").asDouble()).isPositive();
        assertThat(figures.get("likeLatencyDuringFanoutMs").get("p99").asDouble()).isPositive();
        assertThat(figures.get("likeP99RatioDuringFanout").asDouble()).isPositive();
        assertThat(Files.readString(dir.resolve("report.html"))).contains("data:image/png;base64,");
    }

    @Test
    @Tag("integration")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void tenantsMeasuresTheSmallAppAloneAndDuringTheBigAppsFanout(@TempDir Path dir) throws Exception {
        assertThat(run("tenants", "--report", dir.toString(), "--devices-a", "3000", "--devices-b", "100", "--b-after", "0",
                "--partitions", "3", "--data-dir", dir.resolve("data").toString()).code()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertComplete(r, "tenants");
        JsonNode figures = r.get("figures");
        assertThat(figures.get("pushesDelivered").asLong()).isEqualTo(2 * 3000 + 2 * 100);
        assertThat(figures.get("bLatencyAloneMs").get("p99").asDouble()).isPositive();
        assertThat(figures.get("bLatencyDuringAMs").get("p99").asDouble()).isPositive();
        assertThat(figures.get("bP99RatioDuringA").asDouble()).isPositive();
        assertThat(figures.get("aPushesPerSecAlone").asDouble()).isPositive();
        assertThat(r.get("baseline").get("name").asText()).isEqualTo("app-a-alone");
    }

    private static void assertComplete(JsonNode report, String scenario) {
        for (String field : new String[]{"scenario", "params", "throughputPerSec", "latencyMs", "baseline", "ratio", "lost",
                "duplicates", "peakHeapMb", "elapsedMs", "machine", "figures"}) {
            assertThat(report.has(field)).as(field).isTrue();
        }
        assertThat(report.get("scenario").asText()).isEqualTo(scenario);
        assertThat(report.get("lost").asLong()).isZero();
        assertThat(report.get("duplicates").asLong()).isZero();
        assertThat(report.get("figures").get("unexpected").asLong()).isZero();
        assertThat(report.get("latencyMs").get("p99").asDouble()).isPositive();
        assertThat(report.get("baseline").get("throughputPerSec").asDouble()).isPositive();
    }
}
