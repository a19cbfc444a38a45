package io.pushline.testkit;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waits for a condition in tests, on Awaitility: polled at growing intervals (10 ms, doubling, at most 500 ms),
 * and on time-out an {@link AssertionError} that says what was awaited and how things stood then ({@code failure} is
 * evaluated only at that moment). Exceptions thrown by the condition propagate at once.
 */
public final class Waits {
    private Waits() {
    }

    /** Waits until {@code condition} holds, at most {@code timeout}. */
    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> failure) {
        try {
            Awaitility.await()
                    .atMost(timeout)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(new org.awaitility.pollinterval.IterativePollInterval(
                            d -> d.multipliedBy(2).compareTo(Duration.ofMillis(500)) > 0 ? Duration.ofMillis(500) : d.multipliedBy(2),
                            Duration.ofMillis(10)))
                    .pollInSameThread()
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + timeout + ": " + failure.get(), e);
        }
    }

    /** As {@link #until(BooleanSupplier, Duration, Supplier)}, with a fixed description. */
    public static void until(BooleanSupplier condition, Duration timeout, String what) {
        until(condition, timeout, () -> what);
    }
}
