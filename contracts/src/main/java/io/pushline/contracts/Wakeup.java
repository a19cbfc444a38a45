package io.pushline.contracts;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A one-shot wake-up for a stream processor whose work falls due at times it knows: a coordinator's retry after its
 * backoff, the next page of a running expansion or ban. It is armed for the earliest time asked for and never fires
 * while nothing is due.
 *
 * <p>Why not a fixed wall-clock punctuator: Kafka Streams marks a task as needing a commit at every wall-clock
 * punctuation, whether the punctuator did anything or not ({@code StreamTask.maybePunctuateSystemTime}), and under
 * exactly-once a commit is a transaction. Punctuators ticking every 50 ms kept an idle pipeline committing empty
 * transactions many times a second, on every task.
 *
 * <p>The owner asks with {@link #at}; when the wake-up fires it is disarmed and the owner's action runs, which asks
 * again for the next time its state holds, if any. Not thread-safe: a stream task's processor uses it from its stream
 * thread only (init, process and the punctuation itself).
 */
public final class Wakeup {

    /** Arms one wall-clock punctuation {@code delay} from now; returns what cancels it. */
    @FunctionalInterface
    public interface Scheduler {
        Runnable schedule(Duration delay, LongConsumer onFire);
    }

    private static final long NONE = Long.MAX_VALUE;

    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final long minDelayMs;
    private final LongConsumer action;

    private long armedAt = NONE;
    private Runnable cancel;

    /**
     * @param scheduler  arms a punctuation, e.g. {@code (d, f) -> context.schedule(d, WALL_CLOCK_TIME, f::accept)::cancel}
     * @param clock      the task's wall clock in epoch milliseconds
     * @param minDelay   the shortest time from now the wake-up is armed for, which bounds how often it fires
     * @param action     runs with the punctuation's time when the wake-up fires; it calls {@link #at} for what is next
     */
    public Wakeup(Scheduler scheduler, LongSupplier clock, Duration minDelay, LongConsumer action) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.action = Objects.requireNonNull(action, "action");
        Objects.requireNonNull(minDelay, "minDelay");
        if (minDelay.isNegative() || minDelay.isZero()) {
            throw new IllegalArgumentException("minDelay must be positive, was " + minDelay);
        }
        this.minDelayMs = Math.max(1, minDelay.toMillis());
    }

    /**
     * Asks to run the action at {@code dueMs} (epoch milliseconds) or soon after: not before {@code minDelay} from now,
     * and at once if an earlier wake-up is already armed (the action then asks for this time again if it still holds).
     */
    public void at(long dueMs) {
        long now = clock.getAsLong();
        long target = Math.max(dueMs, now + minDelayMs);
        if (armedAt <= target) {
            return;
        }
        disarm();
        armedAt = target;
        cancel = scheduler.schedule(Duration.ofMillis(target - now), this::fire);
    }

    /** Asks to run the action {@code minDelay} from now: for work that is due whenever the task gets to it. */
    public void soon() {
        at(clock.getAsLong());
    }

    /** Whether a wake-up is armed. */
    public boolean armed() {
        return armedAt != NONE;
    }

    /** Cancels the armed wake-up, if any (the task is closing). */
    public void disarm() {
        if (cancel != null) {
            cancel.run();
            cancel = null;
        }
        armedAt = NONE;
    }

    private void fire(long timestamp) {
        disarm();
        action.accept(timestamp);
    }
}
