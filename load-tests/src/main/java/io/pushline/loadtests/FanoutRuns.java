package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * What the fanout, slow-provider and mixed commands share: one timeline post to an audience of {@code --devices}
 * devices, measured against the bare provider rates ({@code --baseline-pushes} each way) in the same run. Stateless.
 */
final class FanoutRuns {
    private FanoutRuns() {
    }

    /** The shared options, then {@code --devices} and {@code --baseline-pushes}; a bad value is a usage error. */
    static void validate(CommandLine commandLine, BenchOptions options, int devices, int baselinePushes) {
        options.validate(commandLine);
        if (devices < 100 || devices > 20_000_000) {
            throw new ParameterException(commandLine, "--devices must be between 100 and 20000000, was " + devices);
        }
        if (baselinePushes < 1000 || baselinePushes > 10_000_000) {
            throw new ParameterException(commandLine, "--baseline-pushes must be between 1000 and 10000000, was " + baselinePushes);
        }
    }

    /** Pushy and the Firebase SDK straight to the stack's mocks, {@code pushes} each way, with what it found printed. */
    static BareProviders.Rates bareBaseline(LocalStack stack, int pushes, BenchOptions options) throws Exception {
        return bareBaseline(stack, pushes, 0, options);
    }

    /** As above, with {@code webPercent} % of the mix web pushes (the web push library used bare). */
    static BareProviders.Rates bareBaseline(LocalStack stack, int pushes, int webPercent, BenchOptions options) throws Exception {
        if (webPercent == 0) {
            System.out.printf("  baseline: bare Pushy and Firebase SDK to the same mocks, %,d pushes each way ...%n", pushes);
        } else {
            System.out.printf("  baseline: bare Pushy, Firebase SDK and web push library to the same mocks, %,d pushes ...%n", pushes);
        }
        BareProviders.Rates rates = BareProviders.measure(stack.apns(), stack.fcm(), stack.mocks().webPush, pushes, webPercent,
                options.timeout());
        if (webPercent == 0) {
            System.out.printf("  bare rates: APNs %,.0f/s, FCM %,.0f/s, both at once (50/50) %,.0f/s%n", rates.apnsPerSec(),
                    rates.fcmPerSec(), rates.mixedPerSec());
        } else {
            System.out.printf("  bare rates: APNs %,.0f/s, FCM %,.0f/s, web push %,.0f/s, all at once (%d%% web) %,.0f/s%n",
                    rates.apnsPerSec(), rates.fcmPerSec(), rates.webPerSec(), webPercent, rates.mixedPerSec());
        }
        return rates;
    }

    /** The shared options' parameters and the audience's; a command adds its own after them. */
    static Map<String, Object> params(BenchOptions options, int devices, int baselinePushes) {
        Map<String, Object> params = options.params();
        params.put("devices", devices);
        params.put("followers", (devices * 2 + 2) / 3);
        params.put("baselinePushes", baselinePushes);
        return params;
    }

    /** The fanout's figures: pushes, phases' durations, the bare rates and CPU per push beside ours. */
    static Map<String, Object> figures(FanoutScenario.Result r, BareProviders.Rates baseline) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("pushesExpected", r.expected());
        figures.put("pushesDelivered", r.delivered());
        figures.put("unexpected", r.unexpected());
        figures.put("seedMs", r.seedMillis());
        figures.put("materialiseMs", r.materialiseMillis());
        figures.put("deliveryMs", Duration.between(r.postedAt(), r.lastAcceptedAt()).toMillis());
        figures.put("bareApnsPushesPerSec", round(baseline.apnsPerSec()));
        figures.put("bareFcmPushesPerSec", round(baseline.fcmPerSec()));
        if (baseline.webPerSec() > 0) {
            figures.put("bareWebPushesPerSec", round(baseline.webPerSec()));
        }
        figures.put("bareMixedPushesPerSec", round(baseline.mixedPerSec()));
        // CPU per push does not depend on what else the machine did meanwhile, as rates do: the steadier comparison.
        figures.put("cpuMicrosPerPush", round(r.cpuMicrosPerPush()));
        figures.put("brokerCpuMicrosPerPush", round(r.brokerCpuMicrosPerPush()));
        figures.put("cpuMicrosPerPushByThreadGroup", r.cpuMicrosByThreadGroup());
        figures.put("bareMixedCpuMicrosPerPush", round(baseline.mixedCpuMicrosPerPush()));
        figures.put("cpuRatio", r.cpuMicrosPerPush() <= 0 ? 0 : round3(baseline.mixedCpuMicrosPerPush() / r.cpuMicrosPerPush()));
        return figures;
    }
}
