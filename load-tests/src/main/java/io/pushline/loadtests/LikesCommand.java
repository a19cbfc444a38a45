package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
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
 * {@code pushline bench likes}: likes through the coordinators against the same rate of push tasks straight to the high
 * lane, measured first in the same run; the goal is a like's p99 from its ce_time to the mock's acceptance. Verdict in
 * the exit code: 0 if no push of either phase was lost or duplicated, else 1 (the latency goal is stated in the output
 * and the report, not in the exit code).
 */
@Command(name = "likes", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Likes through the coordinators at --rate for --seconds: each a LikeCreated to one of --owners post",
                "owners (one device each, half APNs, half FCM), which the coordinators turn into one high-lane push.",
                "Latency from the like's ce_time to the mock provider's acceptance of its push; goal: p99 <= 50 ms.",
                "The baseline, measured first in the same run: the same rate of the equivalent push tasks published",
                "straight to the high lane. Each phase has --warmup-seconds of unmeasured warm-up before it. With the",
                "defaults it takes about 3-4 minutes in all."})
final class LikesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "1000", description = "Likes per second, 1..20000 (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "60", description = "Seconds measured, 1..3600, for the likes and for the baseline (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--owners", paramLabel = "N", defaultValue = "1000", description = "Post owners, one device each, 1..100000 (default: ${DEFAULT-VALUE}).")
    int owners;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "10", description = "Seconds of unmeasured warm-up before each phase, 0..600 (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--commit-interval-ms", paramLabel = "MS", defaultValue = "-1",
            description = "The coordinators' transaction commit interval, 1..10000 ms (default: pushline run's, 20).")
    long commitIntervalMs;

    @Override
    public Integer call() throws Exception {
        validate();
        Duration commitInterval = commitIntervalMs == -1 ? LocalStack.Options.DEFAULT_COORDINATOR_COMMIT_INTERVAL
                : Duration.ofMillis(commitIntervalMs);
        System.out.printf("pushline bench likes: %,d likes/s for %d s through the coordinators (commit interval %s), "
                + "%,d owners, after the same of push tasks straight to the high lane%n", rate, seconds,
                commitInterval.toMillis() + " ms", owners);
        Instant start = Instant.now();
        try (LocalStack stack = options.startStack(true, commitInterval)) {
            Recording recording = new Recording();
            LikesScenario.Result r = LikesScenario.run(stack, rate, seconds, owners, warmupSeconds, recording, options.timeout());
            LikesScenario.Measured likes = r.likes();
            LikesScenario.Measured direct = r.direct();
            LatencyMs likeLatency = LatencyMs.of(likes.outcome().latencyMicros());
            LatencyMs directLatency = LatencyMs.of(direct.outcome().latencyMicros());
            double p99Ratio = r.p99Ratio();

            Map<String, Object> params = options.params();
            params.put("likesPerSec", rate);
            params.put("seconds", seconds);
            params.put("owners", owners);
            params.put("devicesPerOwner", 1);
            params.put("warmupSeconds", warmupSeconds);
            params.put("coordinatorCommitIntervalMs", commitInterval.toMillis());
            params.put("producerLingerMs", stack.producerConfig().get(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG));
            params.put("order", "readiness likes, direct warm-up, direct (baseline), likes warm-up, likes");

            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("likeP99Ms", likeLatency == null ? "not measured" : likeLatency.p99());
            figures.put("directHighLaneP99Ms", directLatency == null ? "not measured" : directLatency.p99());
            figures.put("p99Ratio", Double.isFinite(p99Ratio) ? round3(p99Ratio) : "not measured");
            figures.put("goalP99Ms", LikesScenario.GOAL_P99_MS);
            figures.put("goalMet", r.goalMet());
            figures.put("likeLatencyMs", latencyFigure(likeLatency));
            figures.put("directHighLaneLatencyMs", latencyFigure(directLatency));
            figures.put("likesSent", likes.phase().sentAt().size());
            figures.put("likesRatePerSec", round(likes.phase().ratePerSec()));
            figures.put("likesDelivered", likes.outcome().delivered());
            figures.put("likesDeliveredPerSec", round(likes.deliveredPerSec()));
            figures.put("likesDeliverySeconds", round3(likes.span().seconds()));
            figures.put("likesLost", likes.outcome().lost());
            figures.put("likesDuplicates", likes.outcome().duplicates());
            figures.put("likeSendFailures", likes.phase().sendFailures());
            figures.put("directSent", direct.phase().sentAt().size());
            figures.put("directRatePerSec", round(direct.phase().ratePerSec()));
            figures.put("directDelivered", direct.outcome().delivered());
            figures.put("directDeliveredPerSec", round(direct.deliveredPerSec()));
            figures.put("directDeliverySeconds", round3(direct.span().seconds()));
            figures.put("directLost", direct.outcome().lost());
            figures.put("directDuplicates", direct.outcome().duplicates());
            figures.put("directSendFailures", direct.phase().sendFailures());
            // CPU per push does not depend on what else the machine did meanwhile, as latencies and rates do.
            figures.put("cpuMicrosPerLike", round(likes.cpuMicrosPerPush()));
            figures.put("brokerCpuMicrosPerLike", round(likes.brokerCpuMicrosPerPush()));
            figures.put("cpuMicrosPerDirectPush", round(direct.cpuMicrosPerPush()));
            figures.put("brokerCpuMicrosPerDirectPush", round(direct.brokerCpuMicrosPerPush()));
            figures.put("cpuMicrosPerLikeByThreadGroup", likes.cpuMicrosByThreadGroup());
            figures.put("cpuMicrosPerDirectPushByThreadGroup", direct.cpuMicrosByThreadGroup());
            figures.put("cpuRatio", direct.cpuMicrosPerPush() <= 0 ? "not measured" : round3(likes.cpuMicrosPerPush() / direct.cpuMicrosPerPush()));
            figures.put("likeStagesMs", stagesFigure(likes.stages()));
            figures.put("directStagesMs", stagesFigure(direct.stages()));
            figures.put("coordinatorMaxLagDuringLikes", likes.coordinatorLag().max());
            figures.put("coordinatorMeanLagDuringLikes", round(likes.coordinatorLag().mean()));
            figures.put("coordinatorTransitions", r.coordinatorTransitions());
            figures.put("coordinatorTransitionsPerLike", likes.phase().sentAt().isEmpty() ? 0
                    : round(r.coordinatorTransitions() / (double) likes.phase().sentAt().size()));
            figures.put("coordinatorSkipped", r.coordinatorSkipped());
            figures.put("coordinatorsParked", r.coordinatorsParked());
            figures.put("registerMs", r.readiness().registerMillis());
            figures.put("readyMs", r.readiness().readyMillis());
            figures.put("readinessRounds", r.readiness().rounds());
            figures.put("readinessLikes", r.readiness().likes());
            figures.put("commitIntervalTradeoff", "the coordinators commit their transaction every "
                    + commitInterval.toMillis() + " ms"
                    + "; a like's push task does not wait for that commit (an idempotent producer writes it at once, and the "
                    + "commit is refused if that write failed: EarlyHighLane), so the interval delays notifications, activity "
                    + "and counts, not pushes; a shorter interval costs more commits (broker round trips and transaction "
                    + "markers on every partition written) per second");
            figures.put("note", "headline latency: the likes', ce_time to the mock's acceptance; throughput and ratio: likes "
                    + "delivered per second against the direct high lane's (both offered at the same rate); the latency "
                    + "comparison is p99Ratio = likeP99Ms / directHighLaneP99Ms; delivered per second runs from the first send to the "
                    + "last delivery, so it falls below the offered rate when a backlog built up; stages: toTask = until the push task's "
                    + "ce_time (coordinators' clock, ms), toVisible = until a read_committed consumer of the high lane got it, "
                    + "toAccepted = until the mock accepted it");
            long lost = r.lost();
            long duplicates = r.duplicates();
            BenchReport report = new BenchReport("likes", params, round(likes.deliveredPerSec()), likeLatency,
                    new Baseline("direct-high-lane", round(direct.deliveredPerSec())),
                    direct.deliveredPerSec() <= 0 ? Double.NaN : round3(likes.deliveredPerSec() / direct.deliveredPerSec()),
                    lost, duplicates, round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(),
                    Machine.current(), figures);
            finish(options, report, recording);
            System.out.printf("  likes at %,d/s through the coordinators: %s ms vs %s ms straight to the high lane: p99 ratio %s; "
                            + "goal p99 <= %.0f ms %s%n", rate, percentiles(likeLatency), percentiles(directLatency),
                    Double.isFinite(p99Ratio) ? String.format("%.2f", p99Ratio) : "-", LikesScenario.GOAL_P99_MS,
                    r.goalMet() ? "met" : "NOT met");
            System.out.printf("  where a like's time goes (p50 / p99 ms): to its push task %s, to visible on the high lane %s, "
                            + "to the mock %s (direct: %s, %s, %s)%n", stage(likes.stages().toTask()), stage(likes.stages().toVisible()),
                    stage(likes.stages().toAccepted()), stage(direct.stages().toTask()), stage(direct.stages().toVisible()),
                    stage(direct.stages().toAccepted()));
            System.out.printf("  delivered %,.0f likes/s against %,.0f/s offered (last push %.1f s after the first like); direct: "
                            + "%,.0f/s against %,.0f/s (%.1f s)%n", likes.deliveredPerSec(), likes.phase().ratePerSec(), likes.span().seconds(),
                    direct.deliveredPerSec(), direct.phase().ratePerSec(), direct.span().seconds());
            System.out.printf("  the coordinators' lag on the events topic during the likes: mean %,.0f, max %,d records%n",
                    likes.coordinatorLag().mean(), likes.coordinatorLag().max());
            System.out.printf("  this JVM's CPU per like by thread group (µs): %s%n", likes.cpuMicrosByThreadGroup());
            System.out.printf("  CPU per like %,.0f µs (broker %,.0f) vs %,.0f µs (broker %,.0f) per direct push; %.1f coordinator "
                            + "transitions per like; lost %,d, duplicates %,d%n", likes.cpuMicrosPerPush(), likes.brokerCpuMicrosPerPush(),
                    direct.cpuMicrosPerPush(), direct.brokerCpuMicrosPerPush(),
                    likes.phase().sentAt().isEmpty() ? 0 : r.coordinatorTransitions() / (double) likes.phase().sentAt().size(), lost, duplicates);
            return lost == 0 && duplicates == 0 ? 0 : 1;
        }
    }

    /**
     * The shared options, --commit-interval-ms, the likes' rate, seconds, owners and warm-up, then whether --timeout
     * leaves room for both phases and their drains.
     */
    void validate() {
        options.validate(spec.commandLine());
        if (commitIntervalMs != -1 && (commitIntervalMs < 1 || commitIntervalMs > 10_000)) {
            throw new ParameterException(spec.commandLine(), "--commit-interval-ms must be between 1 and 10000, was " + commitIntervalMs);
        }
        if (rate < 1 || rate > 20_000) {
            throw new ParameterException(spec.commandLine(), "--rate must be between 1 and 20000 likes per second, was " + rate);
        }
        if (seconds < 1 || seconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--seconds must be between 1 and 3600, was " + seconds);
        }
        if (owners < 1 || owners > 100_000) {
            throw new ParameterException(spec.commandLine(), "--owners must be between 1 and 100000, was " + owners);
        }
        if (warmupSeconds < 0 || warmupSeconds > 600) {
            throw new ParameterException(spec.commandLine(), "--warmup-seconds must be between 0 and 600, was " + warmupSeconds);
        }
        long needed = 2L * (warmupSeconds + seconds) + 2 * LikesScenario.DRAIN.toSeconds();
        if (needed > options.timeout().toSeconds()) {
            throw new ParameterException(spec.commandLine(), "--timeout (" + options.timeoutMinutes + " minutes) is too short for "
                    + "two phases of --warmup-seconds + --seconds and their drains (" + needed + " s): raise --timeout");
        }
    }

    private static String percentiles(LatencyMs latency) {
        return latency == null ? "-" : String.format("p50 %.1f / p99 %.1f / p99.9 %.1f", latency.p50(), latency.p99(), latency.p999());
    }

    private static String stage(org.HdrHistogram.Histogram micros) {
        return micros.getTotalCount() == 0 ? "-" : String.format("%.1f / %.1f", micros.getValueAtPercentile(50.0) / 1000.0,
                micros.getValueAtPercentile(99.0) / 1000.0);
    }

    private static Object stagesFigure(LikesScenario.Stages stages) {
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("observed", stages.observed());
        figure.put("toTask", latencyFigure(LatencyMs.of(stages.toTask())));
        figure.put("toVisible", latencyFigure(LatencyMs.of(stages.toVisible())));
        figure.put("toAccepted", latencyFigure(LatencyMs.of(stages.toAccepted())));
        return figure;
    }
}
