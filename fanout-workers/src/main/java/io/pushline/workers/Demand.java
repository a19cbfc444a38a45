package io.pushline.workers;

import io.pushline.contracts.Lane;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the poll loop may hand the push pipeline another record now: the pipeline has asked for it (reactor
 * demand) and, on the bulk lane with a {@link LaneGovernor}, fewer pushes are in flight than the governor allows.
 * The poll loop {@linkplain #awaitCapacity waits} (bounded) while records wait but none may go; new demand or a
 * finished push wakes it.
 *
 * <p>Thread-safe: demand arrives on reactor threads and pushes finish on provider and callback threads, while the poll
 * thread dispatches and waits.
 */
final class Demand {
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Released whenever demand returns (a push finished, or the pipeline asked for more): wakes a blocked poll loop. */
    private final Semaphore capacity = new Semaphore(0);
    private final LaneGovernor governor;   // null, or not the bulk lane: no limit but the pipeline's own

    Demand(Lane lane, LaneGovernor governor) {
        this.governor = lane == Lane.BULK ? governor : null;
    }

    /** The pipeline asked for {@code n} more records (saturating at {@link Long#MAX_VALUE}, reactor's "unbounded"). */
    void requested(long n) {
        requested.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
        signal();
    }

    /** Whether the next record may go: the pipeline has demand and, on the bulk lane, the governor allows it. */
    boolean canDispatch() {
        if (requested.get() <= 0) {
            return false;
        }
        return governor == null || inFlight.get() < governor.bulkLimit();
    }

    /** Whether the pipeline has no outstanding demand at all. */
    boolean exhausted() {
        return requested.get() == 0;
    }

    /** A record was handed to the pipeline: one request used, one more push in flight. */
    void dispatched() {
        requested.decrementAndGet();
        inFlight.incrementAndGet();
    }

    /** A push finished (however it ended): one fewer in flight; wakes a waiting poll loop. */
    void finished() {
        inFlight.decrementAndGet();
        signal();
    }

    int inFlight() {
        return inFlight.get();
    }

    /**
     * Waits until demand may have returned, at most {@code max}; returns at once if a record may go already. Waiting
     * here rather than polling paused partitions for the full poll timeout keeps capacity from lying unused.
     */
    void awaitCapacity(Duration max) throws InterruptedException {
        capacity.drainPermits();
        if (!canDispatch()) {
            capacity.tryAcquire(max.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One permit is enough (the loop drains them before it waits); releasing one per finished push would pile up
     * permits while nobody waits, until the semaphore's count overflows.
     */
    private void signal() {
        if (capacity.availablePermits() == 0) {
            capacity.release();
        }
    }
}
