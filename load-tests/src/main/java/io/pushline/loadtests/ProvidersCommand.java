package io.pushline.loadtests;

import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench providers}: Pushline's APNs and FCM providers against Pushy and the Firebase Admin SDK used
 * directly, same mocks and bounds, no Kafka (so not {@link BenchOptions}: only --report and --timeout of them apply).
 * Exit code 0 once the report is written: failures are figures in it.
 */
@Command(name = "providers", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pushline's APNs and FCM providers against Pushy and the Firebase Admin SDK used directly, same",
                "mock servers, same connection and in-flight bounds, same run. No Kafka involved."})
final class ProvidersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--report", paramLabel = "DIR", required = true, description = "Where to write report.json and report.html.")
    java.nio.file.Path report;

    @Option(names = "--pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes per measurement (default: ${DEFAULT-VALUE}).")
    int pushes;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30", description = "Give up after this many minutes (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Option(names = "--fcm-batch-size", paramLabel = "N", defaultValue = "" + io.pushline.push.FcmProvider.DEFAULT_MAX_BATCH_SIZE,
            description = "Our FCM provider's maxBatchSize, 1..500 (default: ${DEFAULT-VALUE}).")
    int fcmBatchSize;

    @Option(names = "--fcm-max-concurrency", paramLabel = "N", defaultValue = "" + io.pushline.push.FcmProvider.DEFAULT_MAX_CONCURRENCY,
            description = "Our FCM provider's pushes in flight (default: ${DEFAULT-VALUE}); its HTTP concurrency stays that of the bare SDK.")
    int fcmMaxConcurrency;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench providers: %,d pushes per measurement, bare and ours alternately%n", pushes);
        Recording recording = new Recording();
        Instant start = Instant.now();
        try (io.pushline.mock.MockApns apns = io.pushline.mock.MockApns.start();
             io.pushline.mock.FakeFcm fcm = io.pushline.mock.FakeFcm.start();
             io.pushline.mock.MockWebPush web = io.pushline.mock.MockWebPush.start();
             Sampler ignored = new Sampler(recording, () -> apns.receivedCount() + fcm.receivedCount() + web.receivedCount(), null)) {
            ProvidersScenario.Result r = ProvidersScenario.run(apns, fcm, web, pushes, fcmBatchSize, fcmMaxConcurrency,
                    Duration.ofMinutes(timeoutMinutes));
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("pushes", pushes);
            params.put("apnsConnections", BareProviders.APNS_CONNECTIONS);
            params.put("apnsInFlight", BareProviders.APNS_IN_FLIGHT);
            params.put("fcmInFlight", BareProviders.FCM_IN_FLIGHT);
            params.put("fcmOursMaxConcurrency", fcmMaxConcurrency);
            params.put("fcmOursMaxBatchSize", fcmBatchSize);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("ourApnsPushesPerSec", round(r.ourApns().pushesPerSec()));
            figures.put("bareApnsPushesPerSec", round(r.bareApns().pushesPerSec()));
            figures.put("apnsRatio", round3(r.ourApns().pushesPerSec() / r.bareApns().pushesPerSec()));
            figures.put("ourApnsCpuMicrosPerPush", round(r.ourApns().cpuMicrosPerPush()));
            figures.put("bareApnsCpuMicrosPerPush", round(r.bareApns().cpuMicrosPerPush()));
            figures.put("ourFcmPushesPerSec", round(r.ourFcm().pushesPerSec()));
            figures.put("bareFcmPushesPerSec", round(r.bareFcm().pushesPerSec()));
            figures.put("fcmRatio", round3(r.ourFcm().pushesPerSec() / r.bareFcm().pushesPerSec()));
            figures.put("ourFcmCpuMicrosPerPush", round(r.ourFcm().cpuMicrosPerPush()));
            figures.put("bareFcmCpuMicrosPerPush", round(r.bareFcm().cpuMicrosPerPush()));
            figures.put("webInFlight", BareProviders.WEB_IN_FLIGHT);
            figures.put("ourWebPushesPerSec", round(r.ourWeb().pushesPerSec()));
            figures.put("bareWebPushesPerSec", round(r.bareWeb().pushesPerSec()));
            figures.put("webRatio", round3(r.ourWeb().pushesPerSec() / r.bareWeb().pushesPerSec()));
            figures.put("ourWebCpuMicrosPerPush", round(r.ourWeb().cpuMicrosPerPush()));
            figures.put("bareWebCpuMicrosPerPush", round(r.bareWeb().cpuMicrosPerPush()));
            figures.put("ourFailures", r.ourApns().failures() + r.ourFcm().failures() + r.ourWeb().failures());
            figures.put("bareFailures", r.bareApns().failures() + r.bareFcm().failures() + r.bareWeb().failures());
            figures.put("note", "headline is APNs (ours vs bare Pushy); FCM and web push (ours vs com.interaso:webpush used bare) "
                    + "figures beside it; CPU is the whole process's, mock servers included, per push");
            BenchReport result = new BenchReport("providers", params, round(r.ourApns().pushesPerSec()), null,
                    new Baseline("bare-pushy", round(r.bareApns().pushesPerSec())),
                    round3(r.ourApns().pushesPerSec() / r.bareApns().pushesPerSec()), 0, 0,
                    round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
            Reports.writeAndShow(report, result, recording);
            System.out.printf("  FCM: ours %,.0f/s vs bare Firebase Admin SDK %,.0f/s, ratio %.3f%n", r.ourFcm().pushesPerSec(),
                    r.bareFcm().pushesPerSec(), r.ourFcm().pushesPerSec() / r.bareFcm().pushesPerSec());
            System.out.printf("  web push: ours %,.0f/s vs com.interaso:webpush used bare %,.0f/s, ratio %.3f (goal >= 0.95); CPU per push %,.0f vs %,.0f us%n",
                    r.ourWeb().pushesPerSec(), r.bareWeb().pushesPerSec(), r.ourWeb().pushesPerSec() / r.bareWeb().pushesPerSec(),
                    r.ourWeb().cpuMicrosPerPush(), r.bareWeb().cpuMicrosPerPush());
            Reports.printWhere(report);
        }
        return 0;
    }

    /** --pushes, our FCM provider's batch size and concurrency, and --timeout; a bad value is a usage error. */
    void validate() {
        if (pushes < 1000 || pushes > 10_000_000) {
            throw new ParameterException(spec.commandLine(), "--pushes must be between 1000 and 10000000, was " + pushes);
        }
        if (fcmBatchSize < 1 || fcmBatchSize > io.pushline.push.FcmProvider.DEFAULT_MAX_BATCH_SIZE) {
            throw new ParameterException(spec.commandLine(), "--fcm-batch-size must be between 1 and 500, was " + fcmBatchSize);
        }
        if (fcmMaxConcurrency < BareProviders.FCM_IN_FLIGHT || fcmMaxConcurrency > 100_000) {
            throw new ParameterException(spec.commandLine(), "--fcm-max-concurrency must be between "
                    + BareProviders.FCM_IN_FLIGHT + " and 100000, was " + fcmMaxConcurrency);
        }
        if (timeoutMinutes < 1 || timeoutMinutes > 24 * 60) {
            throw new ParameterException(spec.commandLine(), "--timeout must be between 1 and 1440 minutes, was " + timeoutMinutes);
        }
    }
}
