package io.pushline.loadtests;

import io.pushline.app.LocalStack;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.report.Recording;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples a running scenario twice a second: completed work, consumer lag per lane (records, from the AdminClient),
 * heap used now and after the last collection. The pipeline runs in this JVM, so the heap is the pipeline's (with the
 * mock providers and the harness, which are small next to it).
 */
final class Sampler implements AutoCloseable {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pushline-bench-sampler");
        t.setDaemon(true);
        return t;
    });
    private final Recording recording;
    private final long startNanos = System.nanoTime();

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
            }
            recording.sample((System.nanoTime() - startNanos) / 1e9, completed.getAsLong(), lag, heapUsedMb(), heapAfterGcMb());
        } catch (RuntimeException e) {
            // A missed sample (the admin client timing out under load) is a gap in a plot, not a failed run.
        }
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
