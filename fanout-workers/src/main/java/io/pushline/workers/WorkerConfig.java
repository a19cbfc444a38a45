package io.pushline.workers;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of one lane's worker. Immutable; every value is checked and a bad one is named with its value.
 *
 * @param lane                 which lane (topic and capacity) this worker serves
 * @param groupId              consumer group; one group per lane so each lane's lag is visible on its own
 * @param maxInFlight          pushes in flight to the providers at most; when reached, partitions pause
 * @param maxAttempts          sends per push (the first one included) before it is dead-lettered as failed
 *                             ({@code RETRIES_EXHAUSTED}); only sends that reached the provider count, not
 *                             circuit-open, rate-limited or in-flight-limit refusals (the TTL bounds those)
 * @param initialBackoff       shortest wait after a retry-later outcome; without a provider-given delay the wait is
 *                             drawn between this and {@code initialBackoff × 2^attempt} (full jitter), capped at
 *                             {@code maxBackoff}; a provider's Retry-After shorter than this is raised to it
 * @param maxBackoff           cap of the backoff drawn without a provider-given delay; {@code >= initialBackoff}
 * @param commitInterval       how often finished offsets are committed
 * @param drainTimeout         how long shutdown and revocation wait for in-flight pushes; see {@link #DEFAULT_DRAIN_TIMEOUT}
 * @param source               CloudEvents source of the receipts and invalidations this worker writes
 * @param retryDelays          the ladder of retry topics, one per delay, strictly increasing: a wait goes to the
 *                             smallest topic whose delay is at least the wait, else to the largest (see
 *                             {@link RetryTopics}); changing it renames topics, so every instance of a lane must agree
 * @param maxRetriesWaiting    retry records read ahead and held in memory until due, at most (a poll may add up to
 *                             {@code max.poll.records} more); when reached, the retry topics pause
 * @param deviceGateLookback   how far back unregistered devices and (on the bulk lane) unfollows are remembered, so
 *                             that the pushes queued for them are skipped (see {@link CompactedKeySet}); longer than
 *                             any push may wait: a push queued before it is skipped as stale, since the checks cannot
 *                             vouch for it. {@link Duration#ZERO} turns both checks off (bans are always checked)
 * @param provisionRetryTopics whether {@link PushWorker#start()} creates missing retry topics (with the lane topic's
 *                             partition count and replication factor); false where workers may not create topics
 * @param keySetMaxEntries     keys each check (unregistered devices, banned profiles, unfollows) holds at most (about
 *                             100 bytes each): a hard cap against a flood. A check that reaches it stops reading and
 *                             holds the pushes it guards (readiness turns red) until older keys expire; it never
 *                             forgets a key to make room
 * @param readAhead            tasks read and held in memory ahead of delivery, at most ({@link #DEFAULT_READ_AHEAD} on
 *                             the bulk lane, {@link #DEFAULT_HIGH_READ_AHEAD} on the high lane, by default)
 * @param appWeight            the weight of an app's tasks among those read ahead (see {@link #withAppShares})
 */
public record WorkerConfig(Lane lane, String groupId, int maxInFlight, int maxAttempts, Duration initialBackoff,
                           Duration maxBackoff, Duration commitInterval, Duration drainTimeout, URI source,
                           List<Duration> retryDelays, int maxRetriesWaiting, boolean provisionRetryTopics,
                           Duration deviceGateLookback, int keySetMaxEntries, int readAhead,
                           java.util.function.ToIntFunction<String> appWeight) {
    public static final int DEFAULT_MAX_IN_FLIGHT = 512;
    /**
     * Tasks read ahead of delivery and held in memory (about 1 KB each): enough to hold the bulk backlog the expansion
     * gate allows (two seconds of delivery, 5,000 tasks at least), so that a second app's tasks, written behind the first
     * app's in the same partitions, are read at once and served by their share instead of after the first app's.
     */
    public static final int DEFAULT_READ_AHEAD = 20_000;
    /**
     * The high lane's read-ahead: its tasks come from the coordinators, not from a gated expansion, so nothing else bounds
     * what waits in its backlog while a provider is slow; it has no second app to share with either (so far).
     */
    public static final int DEFAULT_HIGH_READ_AHEAD = 1_000;
    /** Every app weighs the same. */
    public static final java.util.function.ToIntFunction<String> EQUAL_WEIGHTS = app -> 1;
    public static final int DEFAULT_MAX_ATTEMPTS = 8;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(60);
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(500);
    /**
     * As long as a provider may take to answer ({@link io.pushline.push.GuardedProvider#DEFAULT_MAX_ANSWER_WAIT}) plus
     * time for the receipt: a revoked partition is handed over only when its pushes have their answers, so its next
     * owner does not send a push still in flight here (an FCM send may retry a 503 inside the SDK for a long time).
     * Only a push in flight past this bound can be sent twice; each is counted in {@link WorkerMetrics#HANDED_OVER}.
     */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = io.pushline.push.GuardedProvider.DEFAULT_MAX_ANSWER_WAIT.plusSeconds(10);
    /** 5 s, 30 s, 5 min: covers APNs/FCM throttling (seconds), FCM's default quota wait (60 s) and long outages. */
    public static final List<Duration> DEFAULT_RETRY_DELAYS = List.of(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(5));
    public static final int DEFAULT_MAX_RETRIES_WAITING = 1_000;
    /**
     * Longer than the timeline pushes' TTL (6 h) and as long as the lane topics keep a task (1 day): a push older than
     * this has expired or been deleted, but for one without a TTL or replayed from the dead letters, which is skipped
     * as stale. Keep it within the state topics' {@code delete.retention.ms} (1 day by default): a check started
     * later than that cannot read older tombstones back.
     */
    public static final Duration DEFAULT_DEVICE_GATE_LOOKBACK = Duration.ofHours(24);
    /**
     * A million keys per check, about 100 MB: far more unregistrations (or unfollows) than a day brings at the scale
     * Pushline is built for; reaching it holds pushes (fail closed) rather than forgetting one.
     */
    public static final int DEFAULT_KEY_SET_MAX_ENTRIES = 1_000_000;
    /** More rungs than this would mean more topics to fetch from than the head-of-line bound is worth. */
    public static final int MAX_RETRY_DELAYS = 8;

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
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be >= initialBackoff (" + initialBackoff + "), was " + maxBackoff);
        }
        positive("commitInterval", commitInterval);
        positive("drainTimeout", drainTimeout);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(retryDelays, "retryDelays");
        if (retryDelays.isEmpty() || retryDelays.size() > MAX_RETRY_DELAYS) {
            throw new IllegalArgumentException("retryDelays must hold 1 to " + MAX_RETRY_DELAYS + " delays, was " + retryDelays);
        }
        Duration previous = Duration.ZERO;
        for (Duration delay : retryDelays) {
            Objects.requireNonNull(delay, "retryDelays must not contain null");
            if (delay.compareTo(previous) <= 0 || delay.toMillis() * 1_000_000L != delay.toNanos()) {
                throw new IllegalArgumentException("retryDelays must be positive whole milliseconds in strictly increasing order, was "
                        + retryDelays);
            }
            previous = delay;
        }
        retryDelays = List.copyOf(retryDelays);
        if (maxRetriesWaiting < 1) {
            throw new IllegalArgumentException("maxRetriesWaiting must be >= 1, was " + maxRetriesWaiting);
        }
        if (deviceGateLookback == null || deviceGateLookback.isNegative()) {
            throw new IllegalArgumentException("deviceGateLookback must be >= 0, was " + deviceGateLookback);
        }
        if (keySetMaxEntries < 1) {
            throw new IllegalArgumentException("keySetMaxEntries must be >= 1, was " + keySetMaxEntries);
        }
        if (readAhead < 1) {
            throw new IllegalArgumentException("readAhead must be >= 1, was " + readAhead);
        }
        Objects.requireNonNull(appWeight, "appWeight");
    }

    /** The settings as they were before apps had shares: one FIFO, read ahead by the default. */
    public WorkerConfig(Lane lane, String groupId, int maxInFlight, int maxAttempts, Duration initialBackoff,
                        Duration maxBackoff, Duration commitInterval, Duration drainTimeout, URI source,
                        List<Duration> retryDelays, int maxRetriesWaiting, boolean provisionRetryTopics,
                        Duration deviceGateLookback, int keySetMaxEntries) {
        this(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout, source,
                retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries,
                lane == Lane.HIGH ? DEFAULT_HIGH_READ_AHEAD : DEFAULT_READ_AHEAD, EQUAL_WEIGHTS);
    }

    /** The settings as they were before {@code keySetMaxEntries}: it takes its default. */
    public WorkerConfig(Lane lane, String groupId, int maxInFlight, int maxAttempts, Duration initialBackoff,
                        Duration maxBackoff, Duration commitInterval, Duration drainTimeout, URI source,
                        List<Duration> retryDelays, int maxRetriesWaiting, boolean provisionRetryTopics,
                        Duration deviceGateLookback) {
        this(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout, source,
                retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, DEFAULT_KEY_SET_MAX_ENTRIES);
    }

    /** The settings as they were before retry topics existed; retry settings take their defaults. */
    public WorkerConfig(Lane lane, String groupId, int maxInFlight, int maxAttempts, Duration initialBackoff,
                        Duration maxBackoff, Duration commitInterval, Duration drainTimeout, URI source) {
        this(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout, source,
                DEFAULT_RETRY_DELAYS, DEFAULT_MAX_RETRIES_WAITING, true, DEFAULT_DEVICE_GATE_LOOKBACK);
    }

    public static WorkerConfig defaults(Lane lane) {
        return new WorkerConfig(lane, "pushline-workers-" + lane.name().toLowerCase(java.util.Locale.ROOT), DEFAULT_MAX_IN_FLIGHT,
                DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_COMMIT_INTERVAL,
                DEFAULT_DRAIN_TIMEOUT, URI.create("pushline://workers"));
    }

    public WorkerConfig withGroupId(String id) {
        return new WorkerConfig(lane, id, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    public WorkerConfig withMaxInFlight(int n) {
        return new WorkerConfig(lane, groupId, n, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    public WorkerConfig withMaxAttempts(int n) {
        return new WorkerConfig(lane, groupId, maxInFlight, n, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    /** Both bounds of the backoff at once, so that narrowing them never trips the {@code max >= initial} check midway. */
    public WorkerConfig withBackoff(Duration initial, Duration max) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initial, max, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    public WorkerConfig withCommitInterval(Duration interval) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, interval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    public WorkerConfig withRetryDelays(List<Duration> delays) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, delays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    public WorkerConfig withMaxRetriesWaiting(int n) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, n, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
    }

    /** How far back unregistered devices and unfollows are remembered; {@link Duration#ZERO} for no check. */
    public WorkerConfig withDeviceGateLookback(Duration lookback) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, lookback, keySetMaxEntries, readAhead, appWeight);
    }

    /** How many keys each check holds at most; see {@link #keySetMaxEntries()}. */
    public WorkerConfig withKeySetMaxEntries(int n) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, n);
    }

    public WorkerConfig withProvisionRetryTopics(boolean provision) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provision, deviceGateLookback, keySetMaxEntries, readAhead, appWeight);
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

    /**
     * Apps share the lane by {@code weight} (of a task's app: see {@code PushTask.APP_HEADER}; tasks naming none are the
     * default app's) among the tasks read ahead, at most {@code readAhead} of them.
     */
    public WorkerConfig withAppShares(java.util.function.ToIntFunction<String> weight, int readAhead) {
        return new WorkerConfig(lane, groupId, maxInFlight, maxAttempts, initialBackoff, maxBackoff, commitInterval, drainTimeout,
                source, retryDelays, maxRetriesWaiting, provisionRetryTopics, deviceGateLookback, keySetMaxEntries, readAhead, weight);
    }
}
