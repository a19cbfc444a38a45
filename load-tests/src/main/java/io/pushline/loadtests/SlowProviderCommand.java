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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.pushline.loadtests.Reports.finish;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench slow-provider}: the fanout with both mocks about 10x slower
 * than the bare rate, showing back-pressure (paused partitions, lag that grows and drains) and a bounded, flat heap.
 * Verdict in the exit code: 0 if no push was lost, duplicated or unexpected and the peak heap after GC stayed within
 * the limit, else 1.
 */
@Command(name = "slow-provider", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The fanout with both mock providers about 10x slower than the bare provider rate measured first in",
                "the same run (every push answered after a fixed delay). Shows back-pressure: pushes/s against the bare",
                "rate / 10, peak heap after GC (limit 256 MB; run with PUSHLINE_JAVA_OPTS=-Xmx256m to enforce it) and",
                "whether it stays flat, the most partitions the bulk worker paused, and its lag growing then draining.",
                "Delivery takes about devices / (bare mixed rate / 10) seconds: on 2 cores 50,000 devices took 4:47",
                "(7 minutes in all), so the default of 30,000 takes about 5 minutes in all. With --slow-minutes M the",
                "mocks are slow for the first M minutes after the post and then recover, so a big audience (the goal's",
                "1,000,000) runs in bounded time: the backlog builds up while they are slow and drains after."})
final class SlowProviderCommand implements Callable<Integer> {
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
        validate();
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
            BareProviders.Rates bare = FanoutRuns.bareBaseline(stack, baselinePushes, options);
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

            Map<String, Object> params = FanoutRuns.params(options, devices, baselinePushes);
            params.put("slowdown", SlowProviderScenario.SLOWDOWN);
            params.put("slowMinutes", slowMinutes);
            params.put("apnsDelayMs", round3(delays.apns().toNanos() / 1e6));
            params.put("fcmDelayMs", round3(delays.fcm().toNanos() / 1e6));
            Map<String, Object> figures = FanoutRuns.figures(r, bare);
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
            figures.put("bulkMaxReadAhead", bulk.maxReadAhead());
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
            System.out.printf("  back-pressure: bulk worker read up to %,d tasks ahead, paused up to %d partitions (in %d of %d "
                            + "samples), at most %,d pushes in flight; bulk lag peaked at %,d and ended at %,d%n", bulk.maxReadAhead(),
                    bulk.maxPausedPartitions(), bulk.samplesPaused(), bulk.samples(), bulk.maxInFlight(), maxBulkLag, finalBulkLag);
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

    /** The shared options, --devices and --baseline-pushes, then --slow-minutes, which must end before --timeout. */
    void validate() {
        FanoutRuns.validate(spec.commandLine(), options, devices, baselinePushes);
        if (slowMinutes < 0 || slowMinutes >= options.timeout().toMinutes()) {
            throw new ParameterException(spec.commandLine(), "--slow-minutes must be from 0 to less than --timeout ("
                    + options.timeout().toMinutes() + "), was " + slowMinutes);
        }
    }
}
