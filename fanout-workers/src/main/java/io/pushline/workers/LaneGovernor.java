package io.pushline.workers;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Keeps the high lane fast when both lanes share a machine: the bulk lane's pushes in flight are capped by a limit
 * that halves whenever the high lane's wait (a push's age when it is about to be sent, from its task's
 * {@code ce_time}, so the provider's own round trip does not count) went over {@code target} during the last window,
 * and grows back by a sixteenth of the maximum per window otherwise (additive increase, multiplicative decrease, as
 * TCP does with a congestion window). With no high-lane traffic the bulk lane runs at its full width.
 *
 * <p>Lanes have their own topics, consumers and provider clients; what they cannot have apart on one machine is CPU,
 * and a bulk fanout saturates it. Fewer bulk pushes in flight use less of it: the fanout slows while likes are slow,
 * never stops (the limit never goes below {@code minimum}), and nothing is dropped or reordered. Separate processes
 * (one per lane) need no governor: give each its own CPU.
 *
 * <p>Thread-safe. Time comes from {@code nanoClock}, so tests drive it.
 */
public final class LaneGovernor {
    /** Default high-lane wait target. */
    public static final Duration DEFAULT_TARGET = Duration.ofMillis(25);
    /** Default evaluation window. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMillis(100);

    private final int maximum;
    private final int minimum;
    private final long targetMicros;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong windowWorstMicros = new AtomicLong(-1);   // -1: no high-lane push in this window
    private volatile long windowStart;
    private volatile int limit;

    /**
     * @param maximum   the bulk lane's full width (its configured in-flight bound)
     * @param minimum   the least the bulk lane keeps in flight, however slow the high lane
     * @param target    the high-lane wait above which the bulk lane backs off
     * @param window    how often the limit is revised
     * @param nanoClock monotonic nanoseconds ({@code System::nanoTime})
     */
    public LaneGovernor(int maximum, int minimum, Duration target, Duration window, LongSupplier nanoClock) {
        if (minimum < 1 || maximum < minimum) {
            throw new IllegalArgumentException("need 1 <= minimum <= maximum, got " + minimum + " and " + maximum);
        }
        if (target.isNegative() || target.isZero() || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("target and window must be positive");
        }
        this.maximum = maximum;
        this.minimum = minimum;
        this.targetMicros = target.toNanos() / 1000;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
        this.windowStart = nanoClock.getAsLong();
        this.limit = maximum;
    }

    /** A governor with the default target and window, for a bulk lane of {@code maximum} in flight. */
    public static LaneGovernor forBulkWidth(int maximum) {
        return new LaneGovernor(maximum, Math.max(1, Math.min(maximum, 16)), DEFAULT_TARGET, DEFAULT_WINDOW, System::nanoTime);
    }

    /** Exports the current limit as {@value WorkerMetrics#BULK_LIMIT}. */
    public LaneGovernor bindTo(MeterRegistry registry) {
        Gauge.builder(WorkerMetrics.BULK_LIMIT, this, g -> g.bulkLimit()).description("bulk-lane pushes allowed in flight now")
                .register(registry);
        return this;
    }

    /** How long a high-lane push waited inside Pushline: from its task's {@code ce_time} until it was about to be sent. */
    public void highLaneWaited(Duration age) {
        long micros = Math.max(0, age.toNanos() / 1000);
        windowWorstMicros.accumulateAndGet(micros, Math::max);
        revise();
    }

    /** The bulk lane's pushes allowed in flight now. */
    public int bulkLimit() {
        revise();
        return limit;
    }

    private void revise() {
        long now = nanoClock.getAsLong();
        long start = windowStart;
        if (now - start < windowNanos) {
            return;
        }
        synchronized (this) {
            if (windowStart != start) {
                return;   // another thread revised it
            }
            long worst = windowWorstMicros.getAndSet(-1);
            if (worst > targetMicros) {
                limit = Math.max(minimum, limit / 2);
            } else {
                limit = Math.min(maximum, limit + Math.max(1, maximum / 16));
            }
            windowStart = now;
        }
    }
}
