package io.pushline.loadtests;

import io.pushline.app.LocalStack;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.LatencyMs;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import io.pushline.loadtests.report.ReportWriter;
import io.pushline.loadtests.report.SummaryTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/** {@code pushline bench SCENARIO}: one load-test scenario, with its baseline measured in the same run. */
@Command(name = "pushline bench", mixinStandardHelpOptions = true,
        description = {"Runs a load-test scenario against a local broker (or --bootstrap-servers) and writes",
                "DIR/report.json and DIR/report.html. Every figure comes with a baseline measured in the same run."},
        subcommands = {BenchCommand.Limits.class, BenchCommand.Fanout.class, BenchCommand.Providers.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a scenario is required: limits, fanout or providers");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new BenchCommand())
                .setExecutionExceptionHandler((error, commandLine, parsed) -> {
                    commandLine.getErr().println("pushline bench " + commandLine.getCommandName() + ": "
                            + (error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()));
                    return 1;
                })
                .execute(args);
    }

    private static void finish(BenchOptions options, BenchReport report, Recording recording) throws Exception {
        ReportWriter.write(options.report, report, recording);
        System.out.println();
        System.out.println(SummaryTable.render(report));
        System.out.println("  report: " + options.report.resolve("report.json") + " and " + options.report.resolve("report.html"));
    }

    @Command(name = "limits", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The physical limits for Pushline's work on this machine: Kafka produce and consume rates for",
                    "push-task-sized records with the pipeline's settings, and the bare provider rates (Pushy straight",
                    "to MockApnsServer, the Firebase Admin SDK straight to the fake FCM server)."})
    static final class Limits implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        BenchOptions options;

        @Option(names = "--records", paramLabel = "N", defaultValue = "200000", description = "Records to produce and consume (default: ${DEFAULT-VALUE}).")
        int records;

        @Option(names = "--pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes per provider measurement (default: ${DEFAULT-VALUE}).")
        int pushes;

        @Override
        public Integer call() throws Exception {
            options.validate(spec.commandLine());
            if (records < 1000 || records > 50_000_000) {
                throw new ParameterException(spec.commandLine(), "--records must be between 1000 and 50000000, was " + records);
            }
            if (pushes < 1000 || pushes > 10_000_000) {
                throw new ParameterException(spec.commandLine(), "--pushes must be between 1000 and 10000000, was " + pushes);
            }
            System.out.printf("pushline bench limits: %,d records, %,d pushes per provider measurement%n", records, pushes);
            Recording recording = new Recording();
            AtomicLong completed = new AtomicLong();
            Instant start = Instant.now();
            try (LocalStack stack = options.startStack();
                 Sampler ignored = new Sampler(recording, () -> completed.get() + stack.apns().receivedCount() + stack.fcm().receivedCount(), stack)) {
                LimitsScenario.Result r = LimitsScenario.run(stack, records, pushes, options.partitions, completed, options.timeout());
                Map<String, Object> params = options.params();
                params.put("records", records);
                params.put("pushes", pushes);
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("recordBytes", r.recordBytes());
                figures.put("kafkaProduceRecordsPerSec", round(r.produceRecordsPerSec()));
                figures.put("kafkaConsumeRecordsPerSec", round(r.consumeRecordsPerSec()));
                figures.put("bareApnsPushesPerSec", round(r.providers().apnsPerSec()));
                figures.put("bareFcmPushesPerSec", round(r.providers().fcmPerSec()));
                figures.put("bareMixedPushesPerSec", round(r.providers().mixedPerSec()));
                figures.put("bareProviderErrors", r.providers().errors());
                double ratio = r.providers().mixedPerSec() / r.consumeRecordsPerSec();
                figures.put("note", "throughput is the bare mixed provider rate; the baseline is the Kafka consume rate; "
                        + "a ratio below 1 means the providers, not Kafka, set the ceiling");
                BenchReport report = new BenchReport("limits", params, round(r.providers().mixedPerSec()), null,
                        new Baseline("kafka-consume", round(r.consumeRecordsPerSec())), round3(ratio), 0, 0,
                        round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
                finish(options, report, recording);
            }
            return 0;
        }
    }

    @Command(name = "fanout", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"One TimelinePosted to an audience of --devices devices, end to end through the real",
                    "broker, topology, workers, Pushy and the Firebase Admin SDK to the mock providers. The baseline is",
                    "the bare provider rate (Pushy and the Firebase SDK straight to the same mocks) measured in the same run."})
    static final class Fanout implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        BenchOptions options;

        @Option(names = "--devices", paramLabel = "N", defaultValue = "1000000", description = "Devices in the audience (default: ${DEFAULT-VALUE}).")
        int devices;

        @Option(names = "--baseline-pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes for the bare-provider baseline (default: ${DEFAULT-VALUE}).")
        int baselinePushes;

        @Override
        public Integer call() throws Exception {
            options.validate(spec.commandLine());
            if (devices < 100 || devices > 20_000_000) {
                throw new ParameterException(spec.commandLine(), "--devices must be between 100 and 20000000, was " + devices);
            }
            if (baselinePushes < 1000 || baselinePushes > 10_000_000) {
                throw new ParameterException(spec.commandLine(), "--baseline-pushes must be between 1000 and 10000000, was " + baselinePushes);
            }
            System.out.printf("pushline bench fanout: one timeline post to %,d devices%n", devices);
            Instant start = Instant.now();
            try (LocalStack stack = options.startStack()) {
                Instant seedStart = Instant.now();
                List<String> tokens = FanoutScenario.seed(stack, devices, options.timeout());
                long seedMillis = Duration.between(seedStart, Instant.now()).toMillis();
                System.out.println("  waiting for the audience to be materialised ...");
                Instant materialiseStart = Instant.now();
                stack.awaitStateMaterialised(options.timeout());
                long materialiseMillis = Duration.between(materialiseStart, Instant.now()).toMillis();
                System.out.printf("  seeded in %,d ms, materialised in %,d ms%n", seedMillis, materialiseMillis);

                System.out.printf("  baseline: bare Pushy and Firebase SDK to the same mocks, %,d pushes each way ...%n", baselinePushes);
                BareProviders.Rates baseline = BareProviders.measure(stack.apns(), stack.fcm(), baselinePushes, options.timeout());

                Recording recording = new Recording();
                FanoutScenario.Result r;
                try (Sampler ignored = new Sampler(recording, stack::acceptedCount, stack)) {
                    r = FanoutScenario.run(stack, tokens, seedMillis, materialiseMillis, recording, options.timeout());
                }
                Map<String, Object> params = options.params();
                params.put("devices", devices);
                params.put("followers", (devices * 2 + 2) / 3);
                params.put("baselinePushes", baselinePushes);
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("pushesExpected", r.expected());
                figures.put("pushesDelivered", r.delivered());
                figures.put("unexpected", r.unexpected());
                figures.put("seedMs", r.seedMillis());
                figures.put("materialiseMs", r.materialiseMillis());
                figures.put("deliveryMs", Duration.between(r.postedAt(), r.lastAcceptedAt()).toMillis());
                figures.put("bareApnsPushesPerSec", round(baseline.apnsPerSec()));
                figures.put("bareFcmPushesPerSec", round(baseline.fcmPerSec()));
                figures.put("bareMixedPushesPerSec", round(baseline.mixedPerSec()));
                BenchReport report = new BenchReport("fanout", params, round(r.pushesPerSec()),
                        LatencyMs.of(recording.latencyMicros()),
                        new Baseline("bare-providers-mixed", round(baseline.mixedPerSec())),
                        round3(r.pushesPerSec() / baseline.mixedPerSec()), r.lost(), r.duplicates(),
                        round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
                finish(options, report, recording);
                return r.lost() == 0 && r.duplicates() == 0 && r.unexpected() == 0 ? 0 : 1;
            }
        }
    }

    @Command(name = "providers", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Pushline's APNs and FCM providers against Pushy and the Firebase Admin SDK used directly, same",
                    "mock servers, same connection and in-flight bounds, same run. No Kafka involved."})
    static final class Providers implements Callable<Integer> {
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
            System.out.printf("pushline bench providers: %,d pushes per measurement, bare and ours alternately%n", pushes);
            Recording recording = new Recording();
            Instant start = Instant.now();
            try (io.pushline.mock.MockApns apns = io.pushline.mock.MockApns.start();
                 io.pushline.mock.FakeFcm fcm = io.pushline.mock.FakeFcm.start();
                 Sampler ignored = new Sampler(recording, () -> apns.receivedCount() + fcm.receivedCount(), null)) {
                ProvidersScenario.Result r = ProvidersScenario.run(apns, fcm, pushes, fcmBatchSize, fcmMaxConcurrency, Duration.ofMinutes(timeoutMinutes));
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
                figures.put("ourFailures", r.ourApns().failures() + r.ourFcm().failures());
                figures.put("bareFailures", r.bareApns().failures() + r.bareFcm().failures());
                figures.put("note", "headline is APNs (ours vs bare Pushy); FCM figures beside it; CPU is the whole process's, "
                        + "mock servers included, per push");
                BenchReport result = new BenchReport("providers", params, round(r.ourApns().pushesPerSec()), null,
                        new Baseline("bare-pushy", round(r.bareApns().pushesPerSec())),
                        round3(r.ourApns().pushesPerSec() / r.bareApns().pushesPerSec()), 0, 0,
                        round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
                ReportWriter.write(report, result, recording);
                System.out.println();
                System.out.println(SummaryTable.render(result));
                System.out.printf("  FCM: ours %,.0f/s vs bare Firebase Admin SDK %,.0f/s, ratio %.3f%n", r.ourFcm().pushesPerSec(),
                        r.bareFcm().pushesPerSec(), r.ourFcm().pushesPerSec() / r.bareFcm().pushesPerSec());
                System.out.println("  report: " + report.resolve("report.json") + " and " + report.resolve("report.html"));
            }
            return 0;
        }
    }

    static double round(double v) {
        return Math.round(v * 10.0) / 10.0;
    }

    static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
