package io.pushline.workers;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Decides what the poll loop does after an iteration failed: retry after a backoff (a broker that is slow, stalled,
 * restarting or failing over; a commit refused because the group rebalanced) or give up (anything else, or transient
 * failures that have lasted longer than the bound). No I/O; time comes from an injected nanos supplier.
 *
 * <p>Retrying is safe because offsets are committed only for finished records: the loop resumes from what it has, and
 * what a new owner gets after a lost commit is redelivered and deduplicated by receipts.
 *
 * <p>Not thread-safe: the poll thread owns it.
 */
final class LoopFaults {
    /** How long transient failures may last, without a successful commit round between them, before the loop gives up. */
    static final Duration DEFAULT_TRANSIENT_BOUND = Duration.ofMinutes(10);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Transient failures are logged at most this often: a stalled broker must not flood the log. */
    static final Duration LOG_EVERY = Duration.ofMinutes(1);

    /** What the loop does next. */
    sealed interface Verdict {
    }

    /**
     * Wait {@code backoff}, then go on. {@code log}: this failure is to be logged (the first of a minute);
     * {@code failures}: how many transient failures in a row, this one included.
     */
    record Retry(Duration backoff, boolean log, int failures) implements Verdict {
    }

    /** End the loop as failed, for {@code reason}. */
    record GiveUp(String reason) implements Verdict {
    }

    private final Duration bound;
    private final LongSupplier nanos;
    private int failures;          // transient failures in a row
    private long firstFailure;     // nanos, valid while failures > 0
    private long lastLogged;
    private boolean loggedOnce;

    LoopFaults(Duration bound, LongSupplier nanos) {
        if (bound == null || bound.isNegative() || bound.isZero()) {
            throw new IllegalArgumentException("transientBound must be positive, was " + bound);
        }
        this.bound = bound;
        this.nanos = Objects.requireNonNull(nanos, "nanos");
    }

    /**
     * Whether {@code error} is one the loop outlives: Kafka's retriable errors (timeouts of commitSync, position and
     * committed included), a commit refused because the group rebalanced, or such an error wrapped once in a
     * {@link KafkaException} (how the consumer rethrows what a rebalance listener threw).
     */
    static boolean isTransient(Throwable error) {
        if (isTransientType(error)) {
            return true;
        }
        return error instanceof KafkaException && error.getCause() != null && isTransientType(error.getCause());
    }

    private static boolean isTransientType(Throwable error) {
        return error instanceof RetriableException || error instanceof CommitFailedException
                || error instanceof RebalanceInProgressException;
    }

    /**
     * Whether {@code error}, raised while handling one push task, is that record's own fault (a poison record, to be
     * dead-lettered with {@code PROCESSING_FAILED} so that its partition moves on): an exception of Pushline's code or
     * data, or a Kafka error about the record itself (too large, invalid, unserialisable). Never a transient error (it
     * is retried), a {@link java.util.concurrent.TimeoutException} (a write that did not go through within the bound),
     * or another Kafka error (authorisation, a closed or fenced producer: not the record's, and the same for every record).
     */
    static boolean isPoison(Throwable error) {
        if (error instanceof java.util.concurrent.TimeoutException || isTransient(error)) {
            return false;
        }
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof InvalidRecordException || t instanceof SerializationException) {
                return true;
            }
            if (t instanceof KafkaException || t instanceof java.util.concurrent.TimeoutException) {
                return false;
            }
        }
        return true;
    }

    static final int MAX_MESSAGE_CHARS = io.pushline.contracts.DeadLetters.MAX_FAILURE_MESSAGE_CHARS;

    /** A poison record's dead-letter detail: the exception's type and message, cut, control characters and tokens masked. */
    static String poisonDetail(Throwable error) {
        return io.pushline.contracts.DeadLetters.failureDetail(error);
    }

    /** An iteration failed with {@code error}. */
    Verdict failed(Throwable error) {
        if (!isTransient(error)) {
            return new GiveUp("unexpected " + describe(error));
        }
        long now = nanos.getAsLong();
        if (failures == 0) {
            firstFailure = now;
        }
        failures++;
        Duration lasting = Duration.ofNanos(now - firstFailure);
        if (lasting.compareTo(bound) > 0) {
            return new GiveUp("transient failures for " + lasting.toSeconds() + " s (more than " + bound + "), "
                    + failures + " in a row, the last " + describe(error));
        }
        boolean log = !loggedOnce || now - lastLogged >= LOG_EVERY.toNanos();
        if (log) {
            loggedOnce = true;
            lastLogged = now;
        }
        return new Retry(backoff(failures), log, failures);
    }

    /**
     * A commit round went through: the broker answers again.
     *
     * @return how many transient failures in a row this ends (0: there were none)
     */
    int succeeded() {
        int ended = failures;
        failures = 0;
        return ended;
    }

    /** 100 ms after the first failure, doubling, at most 5 s. */
    static Duration backoff(int failures) {
        long millis = FIRST_BACKOFF.toMillis() << Math.min(Math.max(failures - 1, 0), 16);
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    static String describe(Throwable error) {
        return error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
    }
}
