package io.pushline.workers;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one lane's worker. Immutable; every value is checked and a bad one is named with its value.
 *
 * @param lane            which lane (topic and capacity) this worker serves
 * @param groupId         consumer group; one group per lane so each lane's lag is visible on its own
 * @param maxInFlight     pushes in flight to the providers at most; when reached, partitions pause
 * @param maxAttempts     sends per push before it is dead-lettered as failed
 * @param initialBackoff  first wait after a retry-later outcome without a provider-given delay (doubles, with jitter)
 * @param maxBackoff      cap of that wait
 * @param commitInterval  how often finished offsets are committed
 * @param drainTimeout    how long shutdown and revocation wait for in-flight pushes
 * @param source          CloudEvents source of the receipts and invalidations this worker writes
 */
public record WorkerConfig(Lane lane, String groupId, int maxInFlight, int maxAttempts, Duration initialBackoff,
                           Duration maxBackoff, Duration commitInterval, Duration drainTimeout, URI source) {
    public static final int DEFAULT_MAX_IN_FLIGHT = 512;
    public static final int DEFAULT_MAX_ATTEMPTS = 8;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(60);
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    public WorkerConfig {
        Objects.requireNonNull(lane, "lane");
        Objects.requireNonNull(groupId, "groupId");
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("groupId must not be blank");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
        }
        positive("initialBackoff", initialBackoff);
        positive("maxBackoff", maxBackoff);
        positive("commitInterval", commitInterval);
        positive("drainTimeout", drainTimeout);
        Objects.requireNonNull(source, "source");
    }

    public static WorkerConfig defaults(Lane lane) {
        return new WorkerConfig(lane, "pushline-workers-" + lane.name().toLowerCase(java.util.Locale.ROOT), DEFAULT_MAX_IN_FLIGHT,
                DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_COMMIT_INTERVAL,
                DEFAULT_DRAIN_TIMEOUT, URI.create("pushline://workers"));
    }

    public WorkerConfig withGroupId(String id) {
        return new WorkerConfig(lane, id, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout, source);
    }

    public WorkerConfig withMaxInFlight(int n) {
        return new WorkerConfig(lane, groupId, n, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout, source);
    }

    /** The topic of this lane. */
    public String topic() {
        return lane == Lane.HIGH ? Topics.PUSH_HIGH : Topics.PUSH_BULK;
    }

    private static void positive(String field, Duration value) {
        Objects.requireNonNull(value, field);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be positive, was " + value);
        }
    }
}
