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

/** {@code pushline bench history}: bad options are usage errors, and a small run writes a complete report. */
class HistoryCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--receipts -1|--receipts must be between 0 and 200000000, was -1",
            "--receipts 200000001|--receipts must be between 0 and 200000000",
            "--devices -1|--devices must be between 0 and 20000000",
            "--follows -1|--follows must be between 0 and 100000000",
            "--finished-likes -1|--finished-likes must be between 0 and 100000000",
            "--history-days 0|--history-days must be between 1 and 3650",
            "--likes 0|--likes must be between 1 and 100000",
            "--owners 0|--owners must be between 1 and 10000",
            "--devices 50 --owners 100|--devices (50) must be 0 or at least --owners (100)",
            "--bootstrap-servers 127.0.0.1:9092|bench history starts brokers of its own",
            "--receipts many|Invalid value for option '--receipts'"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("history", line);
    }

    @Test
    void theDefaultsAreTheIssuesHistory() {
        HistoryCommand history = BenchCli.parse(HistoryCommand.class, "history", "--report", "x");
        assertThat(history.receipts).isEqualTo(20_000_000L);
        assertThat(history.devices).isEqualTo(2_000_000);
        assertThat(history.follows).isEqualTo(5_000_000L);
        assertThat(history.finishedLikes).isEqualTo(1_000_000L);
        assertThat(history.historyDays).isEqualTo(180);
        BenchCli.assertValid(history::validate);
    }

    @Test
    @Tag("integration")
    @Tag(BenchRuns.TAG)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aSmallHistoryIsRestartedAndMeasuredAgainstAnEmptyDeployment(@TempDir Path dir) throws Exception {
        // 20,000 receipts over 10 days: about 580 within the 7 h retention, the only ones the workers may hold.
        BenchCommandTest.Result result = BenchCommandTest.run("history", "--report", dir.toString(), "--receipts", "20000",
                "--devices", "2000", "--follows", "5000", "--finished-likes", "1000", "--history-days", "10", "--likes", "8",
                "--owners", "4", "--partitions", "1", "--data-dir", dir.resolve("data").toString());
        assertThat(result.code()).as(result.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(r.get("scenario").asText()).isEqualTo("history");
        assertThat(r.get("lost").asLong()).isZero();
        assertThat(r.get("duplicates").asLong()).isZero();
        assertThat(r.get("peakHeapMb").asDouble()).isPositive();
        assertThat(r.get("baseline").get("name").asText()).isEqualTo("empty-deployment");
        JsonNode figures = r.get("figures");
        assertThat(figures.get("restartToFirstPushMs").asLong()).isPositive();
        assertThat(figures.get("emptyRestartToFirstPushMs").asLong()).isPositive();
        assertThat(figures.get("restartRatio").asDouble()).isPositive();
        long within = figures.get("receiptsWithinRetention").asLong();
        assertThat(within).isBetween(500L, 650L);
        // The broker deletes the receipts' older segments by itself (retention.ms, segments rolled by record time): what
        // is left on the topic is at least what is within the retention, and at most the whole history.
        assertThat(figures.get("receiptsOnTopicAtRestart").asLong()).isBetween(within, 20_000L);
        // What the workers hold: the receipts within the retention, plus the pushes of this run's own likes.
        assertThat(figures.get("receiptsHeld").asLong()).isBetween(within, within + 50);
        assertThat(figures.get("emptyReceiptsHeld").asLong()).isLessThanOrEqualTo(50);
        assertThat(figures.has("heapGoalMet")).isTrue();
        assertThat(figures.has("restartGoalMet")).isTrue();
        assertThat(Files.exists(dir.resolve("report.html"))).isTrue();
        try (var left = Files.list(dir.resolve("data"))) {
            assertThat(left.flatMap(p -> {
                try {
                    return Files.list(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            })).as("each deployment's broker and state deleted afterwards").isEmpty();
        }
    }
}
