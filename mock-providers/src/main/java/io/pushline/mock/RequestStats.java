package io.pushline.mock;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** Counts pushes a mock received and how many it was answering at once. Thread-safe. */
final class RequestStats {

    private final AtomicLong received = new AtomicLong();
    private final AtomicInteger inProgress = new AtomicInteger();
    private final AtomicInteger maxInProgress = new AtomicInteger();

    void begin() {
        received.incrementAndGet();
        int now = inProgress.incrementAndGet();
        maxInProgress.accumulateAndGet(now, Math::max);
    }

    void end() {
        inProgress.decrementAndGet();
    }

    long received() {
        return received.get();
    }

    int maxInProgress() {
        return maxInProgress.get();
    }

    /** Simulates a slow provider on the answering thread. Returns early if the thread is interrupted. */
    static void pause(Duration delay) {
        long deadline = System.nanoTime() + delay.toNanos();
        for (long left = delay.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}
