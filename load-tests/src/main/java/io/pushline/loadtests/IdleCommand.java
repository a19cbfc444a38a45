package io.pushline.loadtests;

import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
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
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench idle}: the CPU an idle pipeline costs, and what it costs its broker, against the same broker
 * with no client connected, measured first in the same run ({@link IdleScenario}). Goals: the pipeline at most 1 % of a
 * core, the broker within 1 point of its own idle. Verdict in the exit code: 0 once measured (the goals are stated in
 * the output and the report).
 */
@Command(name = "idle", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Every role and a broker with no traffic: CPU over --seconds after a warm-up (devices registered, a like",
                "to each owner delivered, then --warmup-seconds with nothing to do), by thread group, and the broker's.",
                "Baseline, first in the same run: the same broker alone, no client connected. Goals: the pipeline <= 1 % of",
                "a core, the broker within 1 point of its baseline. With the defaults it takes about 4 minutes."})
final class IdleCommand implements Callable<Integer> {
    static final double GOAL_PIPELINE_PERCENT = 1.0;
    static final double GOAL_BROKER_POINTS = 1.0;

    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "60", description = "Seconds measured, idle, 1..3600, for the broker alone and with the pipeline (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "30", description = "Seconds left alone before each measurement, 0..600 (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--owners", paramLabel = "N", defaultValue = "20", description = "Owners whose likes warm the pipeline up, 1..10000 (default: ${DEFAULT-VALUE}).")
    int owners;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench idle: %d s of a broker alone, then %d s of every role on it with no traffic%n", seconds, seconds);
        Instant start = Instant.now();
        Path runDir = options.dataDir.toAbsolutePath().resolve("idle-" + start.toEpochMilli());
        IdleScenario.Result r = IdleScenario.run(runDir, options.partitions, options.inFlight, Duration.ofSeconds(warmupSeconds),
                Duration.ofSeconds(seconds), owners, options.timeout());
        double brokerPoints = r.broker() - r.brokerAlone();
        boolean pipelineMet = r.pipeline() <= GOAL_PIPELINE_PERCENT;
        boolean brokerMet = brokerPoints <= GOAL_BROKER_POINTS;

        Map<String, Object> params = options.params();
        params.put("seconds", seconds);
        params.put("warmupSeconds", warmupSeconds);
        params.put("owners", owners);
        params.put("order", "broker alone (baseline), then every role on it: warm-up likes, quiet, measured");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("pipelineCpuPercentOfCore", IdleScenario.round2(r.pipeline()));
        figures.put("brokerCpuPercentOfCore", IdleScenario.round2(r.broker()));
        figures.put("brokerAloneCpuPercentOfCore", IdleScenario.round2(r.brokerAlone()));
        figures.put("brokerPointsAboveAlone", IdleScenario.round2(brokerPoints));
        figures.put("goalPipelinePercentOfCore", GOAL_PIPELINE_PERCENT);
        figures.put("goalBrokerPointsAboveAlone", GOAL_BROKER_POINTS);
        figures.put("pipelineGoalMet", pipelineMet);
        figures.put("brokerGoalMet", brokerMet);
        figures.put("pipelineByThreadGroup", r.byGroup());
        figures.put("busiestThreads", r.busiestThreads());
        figures.put("warmupLikes", r.warmupLikes());
        figures.put("note", "percent of one core over the measured seconds; the pipeline figure is this JVM's process CPU (every role, "
                + "the idle mock providers and the sleeping harness), split by thread name; its JVM part (GC, JIT) is the process "
                + "total less the Java threads; the broker's from its process");
        BenchReport report = new BenchReport("idle", params, 0, null, new Baseline("broker-alone-cpu-percent", IdleScenario.round2(r.brokerAlone())),
                r.brokerAlone() <= 0 ? Double.NaN : round3(r.broker() / r.brokerAlone()), 0, 0, 0,
                Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
        finish(options, report, new Recording());
        System.out.printf("  idle pipeline: %.2f %% of a core (goal <= %.0f %%: %s); broker %.2f %% vs %.2f %% alone (+%.2f points; "
                        + "goal <= %.0f: %s)%n", r.pipeline(), GOAL_PIPELINE_PERCENT, pipelineMet ? "met" : "NOT met", r.broker(),
                r.brokerAlone(), brokerPoints, GOAL_BROKER_POINTS, brokerMet ? "met" : "NOT met");
        System.out.printf("  by thread group (%% of a core): %s%n", r.byGroup());
        System.out.printf("  busiest threads: %s%n", r.busiestThreads());
        return 0;
    }

    void validate() {
        options.validate(spec.commandLine());
        if (options.bootstrapServers != null) {
            throw new ParameterException(spec.commandLine(), "bench idle measures a broker of its own (its CPU, with and without "
                    + "Pushline); --bootstrap-servers is not supported");
        }
        if (seconds < 1 || seconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--seconds must be between 1 and 3600, was " + seconds);
        }
        if (warmupSeconds < 0 || warmupSeconds > 600) {
            throw new ParameterException(spec.commandLine(), "--warmup-seconds must be between 0 and 600, was " + warmupSeconds);
        }
        if (owners < 1 || owners > 10_000) {
            throw new ParameterException(spec.commandLine(), "--owners must be between 1 and 10000, was " + owners);
        }
        long needed = 2L * (warmupSeconds + seconds) + LikesReadiness.READY_LIMIT.toSeconds();
        if (needed > options.timeout().toSeconds()) {
            throw new ParameterException(spec.commandLine(), "--timeout (" + options.timeoutMinutes + " minutes) is too short for two "
                    + "warm-ups, two measurements and the likes' warm-up (" + needed + " s): raise --timeout");
        }
    }
}
