package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.contracts.Topics;
import io.micrometer.core.instrument.Gauge;
import io.pushline.loadtests.report.Recording;
import io.pushline.workers.WorkerMetrics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples a running scenario twice a second: completed work, consumer lag per lane (records, from the AdminClient),
 * heap used now and after the last collection. The pipeline runs in this JVM, so the heap is the pipeline's (with the
 * mock providers and the harness, which are small next to it). It also keeps, per lane, the highest number of
 * partitions the worker had paused and of pushes it had in flight (the workers' gauges), and how many samples saw
 * the lane paused: back-pressure shows there.
 */
final class Sampler implements AutoCloseable {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pushline-bench-sampler");
        t.setDaemon(true);
        return t;
    });
    private final Recording recording;
    private final long startNanos = System.nanoTime();
    private final Map<String, WorkerGauges> gauges = new ConcurrentHashMap<>();

    /**
     * What the sampler saw of one lane's worker gauges.
     *
     * @param maxPausedPartitions the most partitions paused at once (the lane's topic and its retry topics)
     * @param samplesPaused samples in which at least one partition was paused
     * @param samples samples taken
     * @param maxInFlight the most pushes in flight at once
     * @param maxReadAhead the most tasks read ahead and waiting in the worker's backlog at once
     */
    record WorkerGauges(long maxPausedPartitions, long samplesPaused, long samples, long maxInFlight, long maxReadAhead) {
        WorkerGauges plus(long paused, long inFlight, long readAhead) {
            return new WorkerGauges(Math.max(maxPausedPartitions, paused), samplesPaused + (paused > 0 ? 1 : 0), samples + 1,
                    Math.max(maxInFlight, inFlight), Math.max(maxReadAhead, readAhead));
        }
    }

    Sampler(Recording recording, LongSupplier completed, LocalStack stack) {
        this.recording = recording;
        scheduler.scheduleAtFixedRate(() -> sample(completed, stack), 0, 500, TimeUnit.MILLISECONDS);
    }

    private void sample(LongSupplier completed, LocalStack stack) {
        try {
            Map<String, Long> lag = new LinkedHashMap<>();
            if (stack != null) {
                lag.put("bulk", stack.lag(LocalStack.BULK_GROUP, List.of(Topics.PUSH_BULK)));
                lag.put("high", stack.lag(LocalStack.HIGH_GROUP, List.of(Topics.PUSH_HIGH)));
                lag.put("topology", stack.lag(LocalStack.TOPOLOGY_GROUP, List.of(Topics.EVENTS, Topics.FANOUT_JOBS)));
                for (String lane : List.of("bulk", "high")) {
                    long paused = gauge(stack, WorkerMetrics.PAUSED_PARTITIONS, lane);
                    long inFlight = gauge(stack, WorkerMetrics.IN_FLIGHT, lane);
                    long readAhead = gauge(stack, WorkerMetrics.BACKLOG, lane);
                    gauges.merge(lane, new WorkerGauges(0, 0, 0, 0, 0).plus(paused, inFlight, readAhead),
                            (old, one) -> old.plus(paused, inFlight, readAhead));
                }
            }
            recording.sample((System.nanoTime() - startNanos) / 1e9, completed.getAsLong(), lag, heapUsedMb(), heapAfterGcMb());
        } catch (RuntimeException e) {
            // A missed sample (the admin client timing out under load) is a gap in a plot, not a failed run.
        }
    }

    private static long gauge(LocalStack stack, String name, String lane) {
        Gauge gauge = stack.registry().find(name).tag("lane", lane).gauge();
        double value = gauge == null ? Double.NaN : gauge.value();
        return Double.isFinite(value) ? (long) value : 0;
    }

    /** The worker gauges of {@code lane} ({@code bulk} or {@code high}) over the samples so far; zeros if none. */
    WorkerGauges workerGauges(String lane) {
        return gauges.getOrDefault(lane, new WorkerGauges(0, 0, 0, 0, 0));
    }

    static double heapUsedMb() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    /** Heap in use right after the last collection of each heap pool: what the live data needs, not garbage. */
    static double heapAfterGcMb() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getCollectionUsage();
            if (pool.getType() == MemoryType.HEAP && afterGc != null) {
                bytes += afterGc.getUsed();
            }
        }
        return bytes / 1048576.0;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
