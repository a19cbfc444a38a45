package io.pushline.coordinators;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One-for-one supervision: a failed step of one coordinator is retried with exponential backoff and jitter, and after
 * {@code maxFailures} failures within {@code window} the coordinator is parked. Other coordinators are not touched.
 *
 * @param maxFailures    failures within {@code window} that park a coordinator (1 parks at the first failure)
 * @param window         the window failures are counted in
 * @param initialBackoff wait after the first failure
 * @param maxBackoff     the longest wait
 */
public record SupervisorPolicy(int maxFailures, Duration window, Duration initialBackoff, Duration maxBackoff) {
    public static final SupervisorPolicy DEFAULT = new SupervisorPolicy(5, Duration.ofMinutes(10), Duration.ofMillis(200),
            Duration.ofSeconds(30));

    public SupervisorPolicy {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures must be >= 1, was " + maxFailures);
        }
        if (window.isNegative() || window.isZero() || initialBackoff.isNegative() || initialBackoff.isZero()
                || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("window and initialBackoff must be positive and maxBackoff >= initialBackoff, was "
                    + window + ", " + initialBackoff + ", " + maxBackoff);
        }
    }

    /**
     * When to try again after failure number {@code failure} (1, 2, ...): {@code initialBackoff × 2^(failure−1)}, capped,
     * then scaled by a jitter in [0.8, 1.2) drawn from the coordinator id and failure number, so replaying a journal
     * computes the same time and retries of many coordinators do not line up.
     */
    public Instant nextAttempt(String coordinatorId, int failure, Instant now) {
        long base = initialBackoff.toMillis();
        long capped = maxBackoff.toMillis();
        long delay = failure >= 31 ? capped : Math.min(capped, base << Math.max(0, failure - 1));
        double jitter = 0.8 + 0.4 * unit(coordinatorId + '#' + failure);
        return now.plusMillis(Math.max(1, Math.round(delay * jitter)));
    }

    private static double unit(String seed) {
        long h = 1125899906842597L;
        for (byte b : seed.getBytes(StandardCharsets.UTF_8)) {
            h = 31 * h + b;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (h >>> 11) / (double) (1L << 53);
    }
}
