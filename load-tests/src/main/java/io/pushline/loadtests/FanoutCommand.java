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
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.pushline.loadtests.Reports.finish;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench fanout}: one timeline post to {@code --devices} devices end to end, against the bare provider
 * rate in the same run. Verdict in the exit code: 0 if no push was lost, duplicated or unexpected, else 1.
 */
@Command(name = "fanout", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"One TimelinePosted to an audience of --devices devices, end to end through the real",
                "broker, topology, workers, Pushy, the Firebase Admin SDK and the web push provider to the mock providers",
                "and test push service. The baseline is the bare provider rate (Pushy, the Firebase SDK and the web push",
                "library straight to the same mocks, in the same mix) measured in the same run."})
final class FanoutCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--devices", paramLabel = "N", defaultValue = "1000000", description = "Devices in the audience (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--baseline-pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes for the bare-provider baseline (default: ${DEFAULT-VALUE}).")
    int baselinePushes;

    @Option(names = "--web-share", paramLabel = "PERCENT", defaultValue = "20",
            description = "Share of the devices that are web push subscriptions, the rest half APNs, half FCM (default: ${DEFAULT-VALUE}).")
    int webShare;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench fanout: one timeline post to %,d devices (%d%% web push)%n", devices, webShare);
        Instant start = Instant.now();
        try (LocalStack stack = options.startStack()) {
            FanoutScenario.Audience audience = FanoutScenario.prepare(stack, devices, webShare, options.timeout());
            BareProviders.Rates baseline = FanoutRuns.bareBaseline(stack, baselinePushes, webShare, options);

            Recording recording = new Recording();
            FanoutScenario.Result r;
            try (Sampler ignored = new Sampler(recording, stack::acceptedCount, stack)) {
                r = FanoutScenario.run(stack, audience, recording, options.timeout());
            }
            Map<String, Object> params = FanoutRuns.params(options, devices, baselinePushes);
            params.put("webShare", webShare);
            Map<String, Object> figures = FanoutRuns.figures(r, baseline);
            BenchReport report = new BenchReport("fanout", params, round(r.pushesPerSec()),
                    LatencyMs.of(recording.latencyMicros()),
                    new Baseline("bare-providers-mixed", round(baseline.mixedPerSec())),
                    round3(r.pushesPerSec() / baseline.mixedPerSec()), r.lost(), r.duplicates(),
                    round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
            finish(options, report, recording);
            return r.lost() == 0 && r.duplicates() == 0 && r.unexpected() == 0 ? 0 : 1;
        }
    }

    /** The shared options, then --devices, --baseline-pushes and --web-share; a bad value is a usage error. */
    void validate() {
        FanoutRuns.validate(spec.commandLine(), options, devices, baselinePushes);
        if (webShare < 0 || webShare > 100) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--web-share must be between 0 and 100, was " + webShare);
        }
    }
}
