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
 * {@code pushline bench mixed}: likes on the high lane alone, then during a fanout; the headline is the likes' p99
 * during the fanout over their p99 without it. Verdict in the exit code: 1 if a push or a like was lost, a push of the
 * fanout or of the likes alone was duplicated, or a push was unexpected; else 0.
 */
@Command(name = "mixed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Likes on the high lane (the push tasks a like produces) at --like-rate, first alone for",
                "--like-seconds (the baseline), then during a fanout to --devices devices. Headline: like p99 latency",
                "during the fanout / without it (goal: at most 2). Also the fanout's pushes/s against the bare",
                "provider rate measured in the same run. On a shared 2-core machine 200,000 devices took 5.6 minutes",
                "in all, so the default of 400,000 takes about 9-10 and the goal's 1,000,000 about 20."})
final class MixedCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--devices", paramLabel = "N", defaultValue = "400000", description = "Devices in the audience (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--like-rate", paramLabel = "N", defaultValue = "200", description = "Likes per second (default: ${DEFAULT-VALUE}).")
    int likeRate;

    @Option(names = "--like-warmup", paramLabel = "S", defaultValue = "10", description = "Seconds of likes before the baseline, not measured (default: ${DEFAULT-VALUE}).")
    int likeWarmup;

    @Option(names = "--like-seconds", paramLabel = "S", defaultValue = "30", description = "Seconds of likes with no fanout, the baseline (default: ${DEFAULT-VALUE}).")
    int likeSeconds;

    @Option(names = "--baseline-pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes for the bare-provider baseline (default: ${DEFAULT-VALUE}).")
    int baselinePushes;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench mixed: likes at %,d/s, alone for %d s, then during a post to %,d devices%n",
                likeRate, likeSeconds, devices);
        Instant start = Instant.now();
        try (LocalStack stack = options.startStack()) {
            FanoutScenario.Audience audience = FanoutScenario.prepare(stack, devices, options.timeout());
            BareProviders.Rates bare = FanoutRuns.bareBaseline(stack, baselinePushes, options);

            Recording recording = new Recording();
            MixedScenario.Result r = MixedScenario.run(stack, audience, likeRate, likeWarmup, likeSeconds, recording, options.timeout());
            LatencyMs alone = LatencyMs.of(r.aloneOutcome().latencyMicros());
            LatencyMs during = LatencyMs.of(r.duringOutcome().latencyMicros());
            FanoutScenario.Result f = r.fanout();

            Map<String, Object> params = FanoutRuns.params(options, devices, baselinePushes);
            params.put("likeRatePerSec", likeRate);
            params.put("likeWarmupSeconds", likeWarmup);
            params.put("likeSecondsAlone", likeSeconds);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("likeP99RatioDuringFanout", round3(r.p99Ratio()));
            figures.put("likeP99RatioGoal", 2);
            figures.put("likeLatencyAloneMs", latencyFigure(alone));
            figures.put("likeLatencyDuringFanoutMs", latencyFigure(during));
            figures.put("likesAlone", r.alone().sentAt().size());
            figures.put("likesAloneRatePerSec", round(r.alone().ratePerSec()));
            figures.put("likesDuringFanout", r.during().sentAt().size());
            figures.put("likesDuringFanoutRatePerSec", round(r.during().ratePerSec()));
            figures.put("likesLost", r.aloneOutcome().lost() + r.duringOutcome().lost());
            figures.put("likeSendFailures", r.alone().sendFailures() + r.during().sendFailures());
            figures.putAll(FanoutRuns.figures(f, bare));
            figures.put("fanoutLatencyMs", latencyFigure(LatencyMs.of(r.fanoutLatencyMicros())));
            figures.put("note", "throughput and ratio are the fanout's (pushes/s against the bare mixed provider rate); "
                    + "latency is the likes' during the fanout, from ce_time to the mock's acceptance; likes during the "
                    + "fanout run from its first accepted push to its last");
            long lost = f.lost() + r.aloneOutcome().lost() + r.duringOutcome().lost();
            long duplicates = f.duplicates() + r.aloneOutcome().duplicates();
            BenchReport report = new BenchReport("mixed", params, round(f.pushesPerSec()), during,
                    new Baseline("bare-providers-mixed", round(bare.mixedPerSec())),
                    round3(f.pushesPerSec() / bare.mixedPerSec()), lost, duplicates,
                    round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
            finish(options, report, recording);
            System.out.printf("  likes at %,d/s: p99 %s ms during the fanout vs %s ms without it: ratio %.2f (goal <= 2)%n", likeRate,
                    during == null ? "-" : String.format("%.1f", during.p99()), alone == null ? "-" : String.format("%.1f", alone.p99()),
                    r.p99Ratio());
            return lost == 0 && duplicates == 0 && f.unexpected() == 0 ? 0 : 1;
        }
    }

    /** The shared options, --devices and --baseline-pushes, then the likes' rate, seconds and warm-up. */
    void validate() {
        FanoutRuns.validate(spec.commandLine(), options, devices, baselinePushes);
        if (likeRate < 1 || likeRate > 10_000) {
            throw new ParameterException(spec.commandLine(), "--like-rate must be between 1 and 10000, was " + likeRate);
        }
        if (likeSeconds < 1 || likeSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--like-seconds must be between 1 and 3600, was " + likeSeconds);
        }
        if (likeWarmup < 0 || likeWarmup > 600) {
            throw new ParameterException(spec.commandLine(), "--like-warmup must be between 0 and 600, was " + likeWarmup);
        }
    }
}
