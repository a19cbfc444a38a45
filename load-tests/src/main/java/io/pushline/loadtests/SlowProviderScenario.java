package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.loadtests.report.Recording;
import io.pushline.mock.Behaviour;
import io.pushline.mock.Verdict;
import io.pushline.push.ApnsProvider;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

/**
 * The fanout against providers {@value #SLOWDOWN}× slower than the bare rate measured in the same run: the mocks
 * answer every push after a fixed delay. What it shows is back-pressure: the workers hold a bounded number of pushes in
 * flight and pause their partitions, the backlog waits in Kafka (the bulk lane's lag grows, then drains), and the heap
 * stays flat instead of buffering the audience.
 */
final class SlowProviderScenario {
    /** How much slower than the bare providers the mocks answer. */
    static final int SLOWDOWN = 10;
    /** The heap the pipeline's JVM must stay within (after GC), in MiB. */
    static final double HEAP_LIMIT_MB = 256;
    /**
     * Delayed answers MockApns can give at once: it answers on the connection's event loop (two threads), so a delay
     * holds every push on that connection; our provider opens {@link ApnsProvider#DEFAULT_CONCURRENT_CONNECTIONS}.
     */
    static final int APNS_ANSWERING = Math.min(2, ApnsProvider.DEFAULT_CONCURRENT_CONNECTIONS);
    /** Delayed answers FakeFcm can give at once: one per server thread (16, FakeFcm's documented bound). */
    static final int FCM_ANSWERING = 16;

    /**
     * The delays chosen, and why.
     *
     * @param apns delay of every MockApns answer
     * @param fcm delay of every FakeFcm answer
     * @param targetPerSec what the two slowed mocks allow for the 50/50 mix: the bare mixed rate ÷ {@value #SLOWDOWN}
     */
    record Delays(Duration apns, Duration fcm, double targetPerSec) {
        String explain() {
            return String.format("bare mixed %,.0f/s ÷ %d = %,.0f/s for the 50/50 mix, so each mock may answer %,.0f/s: "
                            + "MockApns answers %d at once (event loop per connection) → %.1f ms per push; FakeFcm answers %d at once "
                            + "(server threads) → %.1f ms per push",
                    targetPerSec * SLOWDOWN, SLOWDOWN, targetPerSec, targetPerSec / 2, APNS_ANSWERING, apns.toNanos() / 1e6,
                    FCM_ANSWERING, fcm.toNanos() / 1e6);
        }
    }

    /**
     * Heap over the delivery, from the sampler's heap-after-GC.
     *
     * @param firstHalfMaxMb highest heap after GC in the first half of the delivery
     * @param lastHalfMaxMb highest heap after GC in the last half
     * @param ledgerMbPerMillionPushes what the mocks' ledgers (the harness, not the pipeline) keep per million accepted
     *     pushes, measured in this run by clearing them between two full collections
     * @param pipelineFirstHalfMaxMb {@code firstHalfMaxMb} without the ledgers' share at each sample
     * @param pipelineLastHalfMaxMb {@code lastHalfMaxMb} without the ledgers' share at each sample
     */
    record Heap(double firstHalfMaxMb, double lastHalfMaxMb, double ledgerMbPerMillionPushes, double pipelineFirstHalfMaxMb,
                double pipelineLastHalfMaxMb) {
        /** Flat: the last half's peak is within 10% (or 16 MB) of the first half's, ledgers' share taken out. */
        boolean flat() {
            return pipelineLastHalfMaxMb <= Math.max(pipelineFirstHalfMaxMb * 1.10, pipelineFirstHalfMaxMb + 16);
        }
    }

    private SlowProviderScenario() {
    }

    /**
     * Delays that make the two mocks together allow {@code bare.mixedPerSec() / SLOWDOWN} pushes per second for a 50/50
     * mix: each mock then answers at most half of that, whatever its own bare rate. The pipeline's throughput is
     * compared with that target.
     */
    static Delays choose(BareProviders.Rates bare) {
        double target = bare.mixedPerSec() / SLOWDOWN;
        double perMock = target / 2;
        return new Delays(Duration.ofNanos((long) (APNS_ANSWERING / perMock * 1e9)),
                Duration.ofNanos((long) (FCM_ANSWERING / perMock * 1e9)), target);
    }

    /**
     * Makes both mocks accept every push after the chosen delay: for good when {@code window} is null, otherwise for
     * {@code window} from now, after which they answer at full speed again (a provider that slows down, then recovers:
     * the backlog that built up in Kafka drains).
     */
    static void slowDown(LocalStack stack, Delays delays, Duration window) {
        stack.apns().behaviour(slowed(Verdict.accept().after(delays.apns()), window));
        stack.fcm().behaviour(slowed(Verdict.accept().after(delays.fcm()), window));
    }

    private static Behaviour slowed(Verdict delayed, Duration window) {
        if (window == null) {
            return Behaviour.always(delayed);
        }
        java.time.Clock clock = java.time.Clock.systemUTC();
        java.time.Instant now = clock.instant();
        return Behaviour.during(clock, now, now.plus(window), delayed).orElse(Behaviour.acceptAll());
    }

    /**
     * The heap over the delivery ({@code fromSeconds} to {@code toSeconds} of the recording), and the ledgers' share of
     * it. Clears the mocks' ledgers: call it after everything else has been counted.
     */
    static Heap heap(LocalStack stack, Recording recording, double fromSeconds, double toSeconds) {
        long accepted = stack.acceptedCount();
        double withLedgers = fullGcHeapMb();
        stack.apns().ledger().clear();
        stack.fcm().ledger().clear();
        double withoutLedgers = fullGcHeapMb();
        double mbPerPush = accepted == 0 ? 0 : Math.max(0, withLedgers - withoutLedgers) / accepted;

        double middle = (fromSeconds + toSeconds) / 2;
        double first = 0;
        double last = 0;
        double pipelineFirst = 0;
        double pipelineLast = 0;
        for (Recording.Sample s : recording.samples()) {
            if (s.seconds() < fromSeconds || s.seconds() > toSeconds || s.heapAfterGcMb() <= 0) {
                continue;
            }
            double pipeline = s.heapAfterGcMb() - mbPerPush * s.completed();
            if (s.seconds() < middle) {
                first = Math.max(first, s.heapAfterGcMb());
                pipelineFirst = Math.max(pipelineFirst, pipeline);
            } else {
                last = Math.max(last, s.heapAfterGcMb());
                pipelineLast = Math.max(pipelineLast, pipeline);
            }
        }
        return new Heap(first, last, mbPerPush * 1_000_000, pipelineFirst, pipelineLast);
    }

    /** Heap in use after a full collection, in MiB: a measurement of what is live, taken once the run is over. */
    private static double fullGcHeapMb() {
        ManagementFactory.getMemoryMXBean().gc();
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
                .mapToLong(p -> p.getUsage().getUsed())
                .sum() / 1048576.0;
    }

    /** The highest lag of {@code lane} over the samples. */
    static long maxLag(List<Recording.Sample> samples, String lane) {
        return samples.stream().mapToLong(s -> s.lagByLane().getOrDefault(lane, 0L)).max().orElse(0);
    }
}
