package io.pushline.loadtests;

import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.LatencyMs;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.pushline.loadtests.Reports.finish;
import static io.pushline.loadtests.Reports.latencyFigure;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench history}: a restart of a deployment with months of history against the same restart of an
 * empty one, in the same run ({@link HistoryScenario}). The goals: heap after collections at most 256 MiB with 20
 * million receipts of history, and the first push after the restart within twice the empty deployment's time and 15 s.
 * Verdict in the exit code: 0 if no like of either deployment was lost or duplicated, else 1; the goals are stated in
 * the output and the report.
 */
@Command(name = "history", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A deployment with months of history, restarted: --receipts push receipts spread over --history-days,",
                "--devices devices (one per user), --follows follow edges and --finished-likes finished like coordinators,",
                "written straight to the topics, taken in by the pipeline, which is then stopped and started again. Measured:",
                "from the start to the first like's push at a mock (restartToFirstPushMs), the heap after collections",
                "(peakHeapMb) and the receipts the workers hold. Baseline: the same restart of an empty deployment, first,",
                "in the same run. Goals: peakHeapMb <= 256, restartToFirstPushMs <= 2x the baseline's and < 15 s. With the",
                "defaults it takes about 15-25 minutes and up to a few GB of disk under --data-dir (deleted afterwards)."})
final class HistoryCommand implements Callable<Integer> {
    static final double GOAL_PEAK_HEAP_MB = 256;
    static final double GOAL_RESTART_RATIO = 2;
    static final long GOAL_RESTART_MS = 15_000;

    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--receipts", paramLabel = "N", defaultValue = "20000000", description = "Push receipts of history, 0..200000000 (default: ${DEFAULT-VALUE}).")
    long receipts;

    @Option(names = "--devices", paramLabel = "N", defaultValue = "2000000", description = "Devices, one per user, 0..20000000 (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--follows", paramLabel = "N", defaultValue = "5000000", description = "Follow edges, 0..100000000 (default: ${DEFAULT-VALUE}).")
    long follows;

    @Option(names = "--finished-likes", paramLabel = "N", defaultValue = "1000000", description = "Finished like coordinators, 0..100000000 (default: ${DEFAULT-VALUE}).")
    long finishedLikes;

    @Option(names = "--history-days", paramLabel = "D", defaultValue = "180", description = "How far back the history goes, 1..3650 days (default: ${DEFAULT-VALUE}).")
    int historyDays;

    @Option(names = "--likes", paramLabel = "N", defaultValue = "500", description = "Likes after the restart's first, sent 50 a second, 1..100000 (default: ${DEFAULT-VALUE}).")
    int likes;

    @Option(names = "--owners", paramLabel = "N", defaultValue = "100", description = "Post owners the likes go to, one device each, 1..10000 (default: ${DEFAULT-VALUE}).")
    int owners;

    @Override
    public Integer call() throws Exception {
        validate();
        HistoryScenario.Sizes sizes = new HistoryScenario.Sizes(receipts, devices, follows, finishedLikes, historyDays);
        System.out.printf("pushline bench history: %,d receipts over %d days, %,d devices, %,d follows, %,d finished likes; "
                + "a restart of it against a restart of an empty deployment (first)%n", receipts, historyDays, devices, follows, finishedLikes);
        Instant start = Instant.now();
        Path runDir = options.dataDir.toAbsolutePath().resolve("history-" + start.toEpochMilli());
        HistoryScenario.Result empty = HistoryScenario.run("empty (baseline)", runDir.resolve("empty"), HistoryScenario.Sizes.empty(historyDays),
                owners, likes, options.partitions, options.inFlight, options.timeout(), System.out);
        HistoryScenario.Result history = HistoryScenario.run("history", runDir.resolve("history"), sizes, owners, likes,
                options.partitions, options.inFlight, Duration.between(Instant.now(), start.plus(options.timeout())), System.out);

        double restartRatio = empty.restartToFirstPushMs() <= 0 ? Double.NaN
                : history.restartToFirstPushMs() / (double) empty.restartToFirstPushMs();
        boolean heapMet = history.peakHeapMb() <= GOAL_PEAK_HEAP_MB;
        boolean restartMet = Double.isFinite(restartRatio) && restartRatio <= GOAL_RESTART_RATIO
                && history.restartToFirstPushMs() < GOAL_RESTART_MS;

        Map<String, Object> params = options.params();
        params.put("receipts", receipts);
        params.put("devices", devices);
        params.put("follows", follows);
        params.put("finishedLikes", finishedLikes);
        params.put("historyDays", historyDays);
        params.put("receiptsRetentionHours", HistoryScenario.RECEIPTS_RETENTION.toHours());
        params.put("likes", likes);
        params.put("likesPerSec", 50);
        params.put("owners", owners);
        params.put("order", "empty deployment (baseline): start, seed owners, take in, measured restart; then the same with the history");

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("restartToFirstPushMs", history.restartToFirstPushMs());
        figures.put("emptyRestartToFirstPushMs", empty.restartToFirstPushMs());
        figures.put("restartRatio", Double.isFinite(restartRatio) ? round3(restartRatio) : "not measured");
        figures.put("receiptsHeld", history.receiptsHeld());
        figures.put("emptyReceiptsHeld", empty.receiptsHeld());
        figures.put("receiptsWithinRetention", history.receiptsWithinRetention());
        figures.put("receiptsOnTopicAtRestart", history.receiptsOnTopic());
        figures.put("peakHeapMb", round(history.peakHeapMb()));
        figures.put("emptyPeakHeapMb", round(empty.peakHeapMb()));
        figures.put("goalPeakHeapMb", GOAL_PEAK_HEAP_MB);
        figures.put("goalRestart", "<= " + GOAL_RESTART_RATIO + "x the empty deployment's and < " + GOAL_RESTART_MS + " ms");
        figures.put("heapGoalMet", heapMet);
        figures.put("restartGoalMet", restartMet);
        figures.put("seedingMs", history.seedingMs());
        figures.put("takeInMs", history.takeInMs());
        figures.put("emptyTakeInMs", empty.takeInMs());
        figures.put("likeLatencyMs", latencyFigure(LatencyMs.of(history.likeLatencyMicros())));
        figures.put("emptyLikeLatencyMs", latencyFigure(LatencyMs.of(empty.likeLatencyMicros())));
        figures.put("likesLost", history.lost());
        figures.put("likesDuplicates", history.duplicates());
        figures.put("emptyLikesLost", empty.lost());
        figures.put("emptyLikesDuplicates", empty.duplicates());
        figures.put("note", "restartToFirstPushMs runs from the pipeline's start (a like already waiting on the events topic) to "
                + "its push's acceptance at a mock; the restart keeps the state directory, as a process restart does. peakHeapMb "
                + "is the whole bench JVM (pipeline, mock providers, harness) after collections during the restart and its likes, "
                + "and once more after a full collection at their end. The history is written straight to the topics: devices "
                + "and follows to the state topics the expansion and the coordinators consume, finished likes to the coordinators' "
                + "facts changelog, receipts (one shared value; the workers read key, status header and timestamp) in time order");

        long lost = empty.lost() + history.lost();
        long duplicates = empty.duplicates() + history.duplicates();
        BenchReport report = new BenchReport("history", params, round(history.likesDeliveredPerSec()), LatencyMs.of(history.likeLatencyMicros()),
                new Baseline("empty-deployment", round(empty.likesDeliveredPerSec())),
                Double.isFinite(restartRatio) ? round3(restartRatio) : Double.NaN, lost, duplicates, round(history.peakHeapMb()),
                Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
        finish(options, report, new Recording());
        System.out.printf("  restart to the first push: %,d ms with the history vs %,d ms empty: ratio %s; goal <= %.0fx and < %,d ms %s%n",
                history.restartToFirstPushMs(), empty.restartToFirstPushMs(),
                Double.isFinite(restartRatio) ? String.format("%.2f", restartRatio) : "-", GOAL_RESTART_RATIO, GOAL_RESTART_MS,
                restartMet ? "met" : "NOT met");
        System.out.printf("  heap after collections: %.0f MiB with the history vs %.0f MiB empty; goal <= %.0f MiB %s%n",
                history.peakHeapMb(), empty.peakHeapMb(), GOAL_PEAK_HEAP_MB, heapMet ? "met" : "NOT met");
        System.out.printf("  receipts held: %,d (of %,d on the topic; %,d within the %d h retention); lost %,d, duplicates %,d%n",
                history.receiptsHeld(), history.receiptsOnTopic(), history.receiptsWithinRetention(),
                HistoryScenario.RECEIPTS_RETENTION.toHours(), lost, duplicates);
        return lost == 0 && duplicates == 0 ? 0 : 1;
    }

    void validate() {
        options.validate(spec.commandLine());
        if (options.bootstrapServers != null) {
            throw new ParameterException(spec.commandLine(), "bench history starts brokers of its own (one per deployment); "
                    + "--bootstrap-servers is not supported");
        }
        range("--receipts", receipts, 0, 200_000_000);
        range("--devices", devices, 0, 20_000_000);
        range("--follows", follows, 0, 100_000_000);
        range("--finished-likes", finishedLikes, 0, 100_000_000);
        range("--history-days", historyDays, 1, 3650);
        range("--likes", likes, 1, 100_000);
        range("--owners", owners, 1, 10_000);
        if (devices > 0 && devices < owners) {
            throw new ParameterException(spec.commandLine(), "--devices (" + devices + ") must be 0 or at least --owners (" + owners + ")");
        }
    }

    private void range(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), String.format("%s must be between %d and %d, was %d", name, min, max, value));
        }
    }
}
