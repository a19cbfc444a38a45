package io.pushline.workers;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How long a process holds push receipts for its duplicate checks ({@link ReceiptIndex}). Immutable; every value is
 * checked and a bad one is named with its value.
 *
 * <p>A receipt stops a push from being sent twice. A second copy of a task (a redelivery after a crash or rebalance,
 * a producer retry upstream, a retry record of a chain that forked at a crash, a dead-letter replay) is checked for its
 * TTL right after its receipt, before every send, first or retried: past its TTL it is dropped as expired whether or
 * not its receipt is still held. So a receipt need only outlive the longest task TTL; the retry horizon on top is the
 * margin for the task's time being set by its writer's clock and the receipt's by the worker's, and for a retry
 * scheduled up to that long after the attempt before it. A task without a TTL (Pushline's own writers always set one)
 * is deduplicated for the retention only.
 *
 * @param retention    how long a receipt is held and restored, counted from its record timestamp; also the receipts
 *                     topic's {@code retention.ms} (it is {@code compact,delete}). At least
 *                     {@code maxTaskTtl + retryHorizon}
 * @param maxTaskTtl   the longest TTL of the tasks the workers get: {@link #DEFAULT_MAX_TASK_TTL}
 * @param retryHorizon the longest wait one retry may be given ({@link #retryHorizon(WorkerConfig)}); every lane that
 *                     uses these receipts must fit in it
 * @param bucket       the width of a time bucket: receipts expire a bucket at a time, so one is held for up to
 *                     {@code retention + bucket}; at most {@code retention}, and {@code retention / bucket} at most
 *                     {@link #MAX_BUCKETS}
 */
public record ReceiptsConfig(Duration retention, Duration maxTaskTtl, Duration retryHorizon, Duration bucket) {
    /**
     * The timeline pushes' TTL ({@code TopologyConfig.DEFAULT_TIMELINE_PUSH_TTL}, 6 h), the longest of Pushline's
     * pushes (likes' and follows': 1 h, {@code CoordinatorConfig.pushTtl}).
     */
    public static final Duration DEFAULT_MAX_TASK_TTL = Duration.ofHours(6);
    /** An hour: memory holds at most an hour of receipts past the retention, and a lookup visits a few buckets. */
    public static final Duration DEFAULT_BUCKET = Duration.ofHours(1);
    /** More buckets than this per partition number would make every lookup slow. */
    public static final int MAX_BUCKETS = 1_000;

    public ReceiptsConfig {
        positive("retention", retention);
        positive("maxTaskTtl", maxTaskTtl);
        positive("retryHorizon", retryHorizon);
        positive("bucket", bucket);
        Duration needed = maxTaskTtl.plus(retryHorizon);
        if (retention.compareTo(needed) < 0) {
            throw new IllegalArgumentException("retention must be at least the longest task TTL (" + maxTaskTtl
                    + ") plus the retry horizon (" + retryHorizon + "), " + needed + ", was " + retention
                    + ": a push redelivered after its receipt was dropped, but within its TTL, would be sent again");
        }
        if (bucket.compareTo(retention) > 0 || retention.toMillis() / bucket.toMillis() > MAX_BUCKETS) {
            throw new IllegalArgumentException("bucket must be at most the retention (" + retention + ") and at least 1/"
                    + MAX_BUCKETS + " of it, was " + bucket);
        }
    }

    /**
     * The longest one retry of {@code lane} may be made to wait: a provider's Retry-After is honoured up to
     * {@link Delivery#MAX_RETRY_AFTER} (1 h), the backoff is capped at {@link WorkerConfig#maxBackoff()}, and a wait past
     * the largest retry topic waits there.
     */
    public static Duration retryHorizon(WorkerConfig lane) {
        List<Duration> delays = lane.retryDelays();
        Duration longest = Delivery.MAX_RETRY_AFTER;
        for (Duration d : List.of(lane.maxBackoff(), delays.get(delays.size() - 1))) {
            if (d.compareTo(longest) > 0) {
                longest = d;
            }
        }
        return longest;
    }

    /**
     * Retention {@code maxTaskTtl} plus the longest retry horizon of {@code lanes}, the least that is safe, in buckets
     * of {@link #DEFAULT_BUCKET} (or the retention, if shorter).
     */
    public static ReceiptsConfig forLanes(Duration maxTaskTtl, WorkerConfig... lanes) {
        if (lanes.length == 0) {
            throw new IllegalArgumentException("lanes must name at least one lane's config");
        }
        Duration horizon = Duration.ZERO;
        for (WorkerConfig lane : lanes) {
            Duration h = retryHorizon(Objects.requireNonNull(lane, "lanes must not contain null"));
            horizon = h.compareTo(horizon) > 0 ? h : horizon;
        }
        positive("maxTaskTtl", maxTaskTtl);
        Duration retention = maxTaskTtl.plus(horizon);
        return new ReceiptsConfig(retention, maxTaskTtl, horizon,
                DEFAULT_BUCKET.compareTo(retention) > 0 ? retention : DEFAULT_BUCKET);
    }

    /**
     * The defaults: {@link #DEFAULT_MAX_TASK_TTL} and the default lanes' horizon (1 h), so 7 h; the catalogue's
     * {@link Topics#PUSH_RECEIPTS_RETENTION}.
     */
    public static ReceiptsConfig defaults() {
        return forLanes(DEFAULT_MAX_TASK_TTL, WorkerConfig.defaults(Lane.HIGH), WorkerConfig.defaults(Lane.BULK));
    }

    /** A longer (or, down to {@code maxTaskTtl + retryHorizon}, shorter) retention. */
    public ReceiptsConfig withRetention(Duration value) {
        return new ReceiptsConfig(value, maxTaskTtl, retryHorizon, bucket);
    }

    public ReceiptsConfig withBucket(Duration value) {
        return new ReceiptsConfig(retention, maxTaskTtl, retryHorizon, value);
    }

    /**
     * Checks that {@code lane}'s retries fit in {@link #retryHorizon()}.
     *
     * @throws IllegalArgumentException naming the lane and both horizons if they do not
     */
    void requireCovers(WorkerConfig lane) {
        Duration h = retryHorizon(lane);
        if (h.compareTo(retryHorizon) > 0) {
            throw new IllegalArgumentException("the " + lane.lane() + " lane may make a retry wait " + h
                    + ", longer than the receipts' retryHorizon " + retryHorizon + " (retention " + retention + ")");
        }
    }

    private static void positive(String field, Duration value) {
        Objects.requireNonNull(value, field);
        if (value.isNegative() || value.isZero() || value.toMillis() == 0) {
            throw new IllegalArgumentException(field + " must be at least 1 ms, was " + value);
        }
    }
}
