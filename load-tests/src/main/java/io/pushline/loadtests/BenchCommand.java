package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
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
        subcommands = {BenchCommand.Limits.class, BenchCommand.Fanout.class, BenchCommand.SlowProvider.class, BenchCommand.Mixed.class,
                BenchCommand.Providers.class, BenchCommand.Likes.class, IngestCommand.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a scenario is required: limits, fanout, slow-provider, mixed, providers, likes or ingest");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new BenchCommand())
                // picocli prints either a suggestion ("Did you mean ...") or the usage; a mistyped scenario gets both.
                .setParameterExceptionHandler((error, parsed) -> {
                    CommandLine commandLine = error.getCommandLine();
                    java.io.PrintWriter err = commandLine.getErr();
                    err.println(error.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(error, err);
                    commandLine.usage(err, commandLine.getColorScheme());
                    return commandLine.getCommandSpec().exitCodeOnInvalidInput();
                })
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
            validateFanout(spec, options, devices, baselinePushes);
            System.out.printf("pushline bench fanout: one timeline post to %,d devices%n", devices);
            Instant start = Instant.now();
            try (LocalStack stack = options.startStack()) {
                FanoutScenario.Audience audience = FanoutScenario.prepare(stack, devices, options.timeout());
                BareProviders.Rates baseline = bareBaseline(stack, baselinePushes, options);

                Recording recording = new Recording();
                FanoutScenario.Result r;
                try (Sampler ignored = new Sampler(recording, stack::acceptedCount, stack)) {
                    r = FanoutScenario.run(stack, audience, recording, options.timeout());
                }
                Map<String, Object> params = fanoutParams(options, devices, baselinePushes);
                Map<String, Object> figures = fanoutFigures(r, baseline);
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

    @Command(name = "slow-provider", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The fanout with both mock providers about 10x slower than the bare provider rate measured first in",
                    "the same run (every push answered after a fixed delay). Shows back-pressure: pushes/s against the bare",
                    "rate / 10, peak heap after GC (limit 256 MB; run with PUSHLINE_JAVA_OPTS=-Xmx256m to enforce it) and",
                    "whether it stays flat, the most partitions the bulk worker paused, and its lag growing then draining.",
                    "Delivery takes about devices / (bare mixed rate / 10) seconds: on 2 cores 50,000 devices took 4:47",
                    "(7 minutes in all), so the default of 30,000 takes about 5 minutes in all. With --slow-minutes M the",
                    "mocks are slow for the first M minutes after the post and then recover, so a big audience (the goal's",
                    "1,000,000) runs in bounded time: the backlog builds up while they are slow and drains after."})
    static final class SlowProvider implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        BenchOptions options;

        @Option(names = "--devices", paramLabel = "N", defaultValue = "30000", description = "Devices in the audience (default: ${DEFAULT-VALUE}).")
        int devices;

        @Option(names = "--baseline-pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes for the bare-provider baseline (default: ${DEFAULT-VALUE}).")
        int baselinePushes;

        @Option(names = "--slow-minutes", paramLabel = "M", defaultValue = "0",
                description = "Slow for the first M minutes after the post, then at full speed (default: 0, slow throughout).")
        int slowMinutes;

        @Override
        public Integer call() throws Exception {
            validateFanout(spec, options, devices, baselinePushes);
            if (slowMinutes < 0 || slowMinutes >= options.timeout().toMinutes()) {
                throw new ParameterException(spec.commandLine(), "--slow-minutes must be from 0 to less than --timeout ("
                        + options.timeout().toMinutes() + "), was " + slowMinutes);
            }
            Duration window = slowMinutes == 0 ? null : Duration.ofMinutes(slowMinutes);
            System.out.printf("pushline bench slow-provider: one timeline post to %,d devices, providers %dx slower than bare%n",
                    devices, SlowProviderScenario.SLOWDOWN);
            long maxHeapMb = Runtime.getRuntime().maxMemory() / 1048576;
            if (maxHeapMb > SlowProviderScenario.HEAP_LIMIT_MB) {
                System.out.printf("  note: this JVM may grow its heap to %,d MB; run with PUSHLINE_JAVA_OPTS=-Xmx256m to hold the "
                        + "pipeline to the 256 MB it must stay within%n", maxHeapMb);
            }
            Instant start = Instant.now();
            try (LocalStack stack = options.startStack()) {
                FanoutScenario.Audience audience = FanoutScenario.prepare(stack, devices, options.timeout());
                BareProviders.Rates bare = bareBaseline(stack, baselinePushes, options);
                SlowProviderScenario.Delays delays = SlowProviderScenario.choose(bare);
                System.out.println("  slowing the mocks down" + (window == null ? "" : " for " + slowMinutes + " minutes")
                        + ": " + delays.explain());
                SlowProviderScenario.slowDown(stack, delays, window);

                Recording recording = new Recording();
                FanoutScenario.Result r;
                Sampler.WorkerGauges bulk;
                Sampler.WorkerGauges high;
                try (Sampler sampler = new Sampler(recording, stack::acceptedCount, stack)) {
                    r = FanoutScenario.run(stack, audience, recording, options.timeout());
                    bulk = sampler.workerGauges("bulk");
                    high = sampler.workerGauges("high");
                }
                long finalBulkLag = stack.lag(LocalStack.BULK_GROUP, List.of(io.pushline.contracts.Topics.PUSH_BULK));
                long maxBulkLag = SlowProviderScenario.maxLag(recording.samples(), "bulk");
                double deliverySeconds = Duration.between(r.postedAt(), r.lastAcceptedAt()).toMillis() / 1000.0;
                SlowProviderScenario.Heap heap = SlowProviderScenario.heap(stack, recording, 0, deliverySeconds);
                double peak = recording.peakHeapAfterGcMb();
                boolean withinLimit = peak <= SlowProviderScenario.HEAP_LIMIT_MB;

                Map<String, Object> params = fanoutParams(options, devices, baselinePushes);
                params.put("slowdown", SlowProviderScenario.SLOWDOWN);
                params.put("slowMinutes", slowMinutes);
                params.put("apnsDelayMs", round3(delays.apns().toNanos() / 1e6));
                params.put("fcmDelayMs", round3(delays.fcm().toNanos() / 1e6));
                Map<String, Object> figures = fanoutFigures(r, bare);
                figures.put("targetPushesPerSec", round(delays.targetPerSec()));
                if (window != null) {
                    // The headline ratio mixes the slow window with the recovery; this is the rate while slow.
                    Recording.Sample lastSlow = null;
                    for (Recording.Sample s : recording.samples()) {
                        if (s.seconds() <= window.toSeconds()) {
                            lastSlow = s;
                        }
                    }
                    double slowRate = lastSlow == null || lastSlow.seconds() <= 0 ? 0 : lastSlow.completed() / lastSlow.seconds();
                    figures.put("slowWindowPushesPerSec", round(slowRate));
                    figures.put("slowWindowRatio", round3(slowRate / delays.targetPerSec()));
                    System.out.printf("  while slow (first %d min): %,.0f pushes/s against the %,.0f/s the slowed mocks allow (%.3f)%n",
                            slowMinutes, slowRate, delays.targetPerSec(), slowRate / delays.targetPerSec());
                }
                figures.put("delayChoice", delays.explain());
                figures.put("mockApnsMaxConcurrentAnswers", stack.apns().maxConcurrentRequests());
                figures.put("mockFcmMaxConcurrentAnswers", stack.fcm().maxConcurrentRequests());
                figures.put("heapLimitMb", SlowProviderScenario.HEAP_LIMIT_MB);
                figures.put("maxHeapMb", maxHeapMb);
                figures.put("peakHeapWithinLimit", withinLimit);
                figures.put("heapAfterGcFirstHalfMaxMb", round(heap.firstHalfMaxMb()));
                figures.put("heapAfterGcLastHalfMaxMb", round(heap.lastHalfMaxMb()));
                figures.put("ledgerMbPerMillionPushes", round(heap.ledgerMbPerMillionPushes()));
                figures.put("pipelineHeapFirstHalfMaxMb", round(heap.pipelineFirstHalfMaxMb()));
                figures.put("pipelineHeapLastHalfMaxMb", round(heap.pipelineLastHalfMaxMb()));
                figures.put("heapFlat", heap.flat());
                figures.put("bulkMaxPausedPartitions", bulk.maxPausedPartitions());
                figures.put("bulkSamplesPaused", bulk.samplesPaused());
                figures.put("bulkSamples", bulk.samples());
                figures.put("bulkMaxInFlight", bulk.maxInFlight());
                figures.put("highMaxPausedPartitions", high.maxPausedPartitions());
                figures.put("bulkMaxLag", maxBulkLag);
                figures.put("bulkFinalLag", finalBulkLag);
                figures.put("lagGrewThenDrained", maxBulkLag > 0 && finalBulkLag == 0);
                figures.put("note", "baseline: the bare mixed rate / " + SlowProviderScenario.SLOWDOWN + ", what the slowed mocks allow; "
                        + "heap halves are of the delivery; the pipeline's share leaves out the mocks' ledgers (harness), "
                        + "measured in this run by clearing them between two full collections; paused partitions count the "
                        + "bulk topic's and its retry topics'");
                BenchReport report = new BenchReport("slow-provider", params, round(r.pushesPerSec()),
                        LatencyMs.of(recording.latencyMicros()),
                        new Baseline("bare-providers-mixed/" + SlowProviderScenario.SLOWDOWN, round(delays.targetPerSec())),
                        round3(r.pushesPerSec() / delays.targetPerSec()), r.lost(), r.duplicates(),
                        round(peak), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
                finish(options, report, recording);
                System.out.printf("  back-pressure: bulk worker paused up to %d partitions (in %d of %d samples), at most %,d pushes "
                                + "in flight; bulk lag peaked at %,d and ended at %,d%n", bulk.maxPausedPartitions(), bulk.samplesPaused(),
                        bulk.samples(), bulk.maxInFlight(), maxBulkLag, finalBulkLag);
                System.out.printf("  heap after GC: max %.1f MB in the first half of the delivery, %.1f MB in the last; without the "
                                + "mocks' ledgers (%.1f MB per million pushes) %.1f → %.1f MB: %s%n", heap.firstHalfMaxMb(),
                        heap.lastHalfMaxMb(), heap.ledgerMbPerMillionPushes(), heap.pipelineFirstHalfMaxMb(),
                        heap.pipelineLastHalfMaxMb(), heap.flat() ? "flat" : "GROWING");
                if (!withinLimit) {
                    System.out.printf("  FAILED: peak heap after GC %.1f MB exceeds the %.0f MB limit%s%n", peak,
                            SlowProviderScenario.HEAP_LIMIT_MB, maxHeapMb > SlowProviderScenario.HEAP_LIMIT_MB
                                    ? " (the heap was unbounded, so this may be garbage not yet collected: rerun with -Xmx256m)" : "");
                }
                return r.lost() == 0 && r.duplicates() == 0 && r.unexpected() == 0 && withinLimit ? 0 : 1;
            }
        }
    }

    @Command(name = "mixed", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Likes on the high lane (the push tasks a like produces) at --like-rate, first alone for",
                    "--like-seconds (the baseline), then during a fanout to --devices devices. Headline: like p99 latency",
                    "during the fanout / without it (goal: at most 2). Also the fanout's pushes/s against the bare",
                    "provider rate measured in the same run. On a shared 2-core machine 200,000 devices took 5.6 minutes",
                    "in all, so the default of 400,000 takes about 9-10 and the goal's 1,000,000 about 20."})
    static final class Mixed implements Callable<Integer> {
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
            validateFanout(spec, options, devices, baselinePushes);
            if (likeRate < 1 || likeRate > 10_000) {
                throw new ParameterException(spec.commandLine(), "--like-rate must be between 1 and 10000, was " + likeRate);
            }
            if (likeSeconds < 1 || likeSeconds > 3600) {
                throw new ParameterException(spec.commandLine(), "--like-seconds must be between 1 and 3600, was " + likeSeconds);
            }
            if (likeWarmup < 0 || likeWarmup > 600) {
                throw new ParameterException(spec.commandLine(), "--like-warmup must be between 0 and 600, was " + likeWarmup);
            }
            System.out.printf("pushline bench mixed: likes at %,d/s, alone for %d s, then during a post to %,d devices%n",
                    likeRate, likeSeconds, devices);
            Instant start = Instant.now();
            try (LocalStack stack = options.startStack()) {
                FanoutScenario.Audience audience = FanoutScenario.prepare(stack, devices, options.timeout());
                BareProviders.Rates bare = bareBaseline(stack, baselinePushes, options);

                Recording recording = new Recording();
                MixedScenario.Result r = MixedScenario.run(stack, audience, likeRate, likeWarmup, likeSeconds, recording, options.timeout());
                LatencyMs alone = LatencyMs.of(r.aloneOutcome().latencyMicros());
                LatencyMs during = LatencyMs.of(r.duringOutcome().latencyMicros());
                FanoutScenario.Result f = r.fanout();

                Map<String, Object> params = fanoutParams(options, devices, baselinePushes);
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
                figures.putAll(fanoutFigures(f, bare));
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
    }

    @Command(name = "likes", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Likes through the coordinators at --rate for --seconds: each a LikeCreated to one of --owners post",
                    "owners (one device each, half APNs, half FCM), which the coordinators turn into one high-lane push.",
                    "Latency from the like's ce_time to the mock provider's acceptance of its push; goal: p99 <= 50 ms.",
                    "The baseline, measured first in the same run: the same rate of the equivalent push tasks published",
                    "straight to the high lane. Each phase has --warmup-seconds of unmeasured warm-up before it. With the",
                    "defaults it takes about 3-4 minutes in all."})
    static final class Likes implements Callable<Integer> {
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
                        + "; a like's push is visible to the workers (read_committed) only after that commit, so it waits up to one "
                        + "interval (half on average) plus the commit's broker round trips: likeStagesMs.toVisible. A shorter "
                        + "interval cuts that wait but costs more commits (broker round trips and transaction markers on every "
                        + "partition written) per second; Kafka Streams' exactly-once default of 100 ms would add up to 100 ms to every like");
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
                System.out.printf("  CPU per like %,.0f µs (broker %,.0f) vs %,.0f µs (broker %,.0f) per direct push; %.1f coordinator "
                                + "transitions per like; lost %,d, duplicates %,d%n", likes.cpuMicrosPerPush(), likes.brokerCpuMicrosPerPush(),
                        direct.cpuMicrosPerPush(), direct.brokerCpuMicrosPerPush(),
                        likes.phase().sentAt().isEmpty() ? 0 : r.coordinatorTransitions() / (double) likes.phase().sentAt().size(), lost, duplicates);
                return lost == 0 && duplicates == 0 ? 0 : 1;
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

    private static void validateFanout(CommandSpec spec, BenchOptions options, int devices, int baselinePushes) {
        options.validate(spec.commandLine());
        if (devices < 100 || devices > 20_000_000) {
            throw new ParameterException(spec.commandLine(), "--devices must be between 100 and 20000000, was " + devices);
        }
        if (baselinePushes < 1000 || baselinePushes > 10_000_000) {
            throw new ParameterException(spec.commandLine(), "--baseline-pushes must be between 1000 and 10000000, was " + baselinePushes);
        }
    }

    private static BareProviders.Rates bareBaseline(LocalStack stack, int pushes, BenchOptions options) throws Exception {
        System.out.printf("  baseline: bare Pushy and Firebase SDK to the same mocks, %,d pushes each way ...%n", pushes);
        BareProviders.Rates rates = BareProviders.measure(stack.apns(), stack.fcm(), pushes, options.timeout());
        System.out.printf("  bare rates: APNs %,.0f/s, FCM %,.0f/s, both at once (50/50) %,.0f/s%n", rates.apnsPerSec(),
                rates.fcmPerSec(), rates.mixedPerSec());
        return rates;
    }

    private static Map<String, Object> fanoutParams(BenchOptions options, int devices, int baselinePushes) {
        Map<String, Object> params = options.params();
        params.put("devices", devices);
        params.put("followers", (devices * 2 + 2) / 3);
        params.put("baselinePushes", baselinePushes);
        return params;
    }

    /** Percentiles as a figure: p50, p99, p999 and max in ms, or "not measured". */
    private static Object latencyFigure(LatencyMs latency) {
        if (latency == null) {
            return "not measured";
        }
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("p50", latency.p50());
        figure.put("p99", latency.p99());
        figure.put("p999", latency.p999());
        figure.put("max", latency.max());
        return figure;
    }

    private static Map<String, Object> fanoutFigures(FanoutScenario.Result r, BareProviders.Rates baseline) {
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
        // CPU per push does not depend on what else the machine did meanwhile, as rates do: the steadier comparison.
        figures.put("cpuMicrosPerPush", round(r.cpuMicrosPerPush()));
        figures.put("brokerCpuMicrosPerPush", round(r.brokerCpuMicrosPerPush()));
        figures.put("bareMixedCpuMicrosPerPush", round(baseline.mixedCpuMicrosPerPush()));
        figures.put("cpuRatio", r.cpuMicrosPerPush() <= 0 ? 0 : round3(baseline.mixedCpuMicrosPerPush() / r.cpuMicrosPerPush()));
        return figures;
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
