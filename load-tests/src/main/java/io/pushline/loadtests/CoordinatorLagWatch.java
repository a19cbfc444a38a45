package io.pushline.loadtests;

import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.localstack.LocalStack;
import io.pushline.loadtests.LikesScenario.CoordinatorLag;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Samples the coordinators' lag on the events topic twice a second until stopped. */
final class CoordinatorLagWatch {
    private final java.util.concurrent.ScheduledExecutorService scheduler = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pushline-bench-coordinator-lag");
                t.setDaemon(true);
                return t;
            });
    private final AtomicLong max = new AtomicLong();
    private final AtomicLong sum = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();

    CoordinatorLagWatch(LocalStack stack) {
        scheduler.scheduleAtFixedRate(() -> {
            try {
                long lag = stack.lag(CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS));
                max.accumulateAndGet(lag, Math::max);
                sum.addAndGet(lag);
                samples.incrementAndGet();
            } catch (RuntimeException e) {
                // a missed sample (the admin client timing out under load)
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
    }

    CoordinatorLag stop() throws InterruptedException {
        scheduler.shutdownNow();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
        long n = samples.get();
        return new CoordinatorLag(max.get(), n == 0 ? 0 : sum.get() / (double) n, n);
    }
}
