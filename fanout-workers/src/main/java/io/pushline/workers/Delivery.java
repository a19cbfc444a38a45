package io.pushline.workers;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushRequest;
import io.pushline.push.WebPushSubscription;
import io.pushline.push.PushType;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The delivery decision of a worker: whether a push task is sent or skipped (and why), and what follows a provider's
 * answer (a receipt, a retry with which delay, a dead letter, an unregistration). Pure: no Kafka, no provider, no
 * metrics, no logging; {@link DeliveryEffects} carries out what it returns. Time comes from the injected clock, the
 * backoff jitter from an injected {@link Jitter}, and what the receipts and the key sets say from {@link Facts}.
 *
 * <p>Thread-safe if its {@link Facts} are: it keeps no state of its own.
 */
final class Delivery {
    /** The push data key naming the profile a push is about (the author of a timeline post); see the expansion. */
    static final String ABOUT_PROFILE_DATA_KEY = "authorId";
    /** The push data key naming the profile that acted (who liked, who followed); see the coordinators' flows. */
    static final String ACTOR_DATA_KEY = "actorId";

    /**
     * The longest Retry-After honoured; a longer one is cut to this. Providers ask for seconds to minutes (FCM's quota
     * windows are a minute; its documented default is 60 s), so an hour is far above any genuine figure, while a larger
     * one (a misread header, a date taken for seconds, a hostile proxy) would otherwise park a push, without a retry and
     * without a receipt, for most of a TTL of hours, or make it expire at once. After an hour the push simply asks
     * again, and the provider can ask for another wait.
     */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    /** What the worker knows, at the moment of asking, about a push beyond its task. */
    interface Facts {
        /** Whether {@code pushId} has a receipt (of any status). */
        boolean hasReceipt(String pushId);

        /** Whether the latest receipt of {@code pushId} says FAILED (given up on, never delivered). */
        boolean onlyFailedReceipt(String pushId);

        /** Whether the device was unregistered, or moved to another user, since the push was queued. */
        boolean deviceUnregistered(String userId, String token);

        /** Whether {@code profileId} is banned. */
        boolean profileBanned(String profileId);

        /**
         * Whether {@code followerId} unfollowed {@code followeeId} at or after {@code since} (and within the lookback);
         * false where the check is off (the high lane).
         */
        boolean unfollowedSince(String followerId, String followeeId, Instant since);

        /**
         * Why the checks above (device gate, bans, unfollows) cannot answer now (not loaded yet, retrying a failure,
         * full, stopped), or null when they can. While they cannot, no push they guard may go.
         */
        String cannotAnswer();

        /**
         * The earliest queue time the device and unfollow checks can vouch for (their lookback ago: they remember
         * nothing older), or null if they are off.
         */
        Instant checkedSince();
    }

    /** Draws the jittered backoff; the default draws uniformly with {@link ThreadLocalRandom}. */
    @FunctionalInterface
    interface Jitter {
        Jitter UNIFORM = (min, max) -> ThreadLocalRandom.current().nextLong(min, max + 1);

        /** A value between {@code min} and {@code max}, both included ({@code min <= max}). */
        long between(long min, long max);
    }

    /**
     * How a record arrived: its attempt number (1 for a lane record, the retry header's for a retry record), for a
     * record replayed from the dead letters where it was dead-lettered from (the replay header), else null, and the
     * record's Kafka timestamp (null if unknown): on a lane record written by the expansion, the time its post was
     * published (a retry record's is when the retry was written).
     */
    record Arrival(int attempt, String replayedFrom, Instant recordTime) {
        static final Arrival FIRST = new Arrival(1, null);

        Arrival {
            if (attempt < 1) {
                throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
            }
        }

        /** Without the record's timestamp (the task's own time is used alone). */
        Arrival(int attempt, String replayedFrom) {
            this(attempt, replayedFrom, null);
        }
    }

    /** Why a push is not sent, with the metric outcome tag it counts under and the receipt it gets. */
    enum SkipReason {
        /** Its TTL ran out before it could be sent. */
        EXPIRED("expired", ReceiptStatus.EXPIRED),
        /** Its device was unregistered (or moved to another user) after it was queued. */
        UNREGISTERED("unregistered", ReceiptStatus.CANCELLED),
        /** It is about a banned profile (its author, actor or recipient), banned after it was queued. */
        BANNED("banned", ReceiptStatus.CANCELLED),
        /** A timeline push to a follower who unfollowed the author after it was queued. */
        UNFOLLOWED("unfollowed", ReceiptStatus.CANCELLED),
        /**
         * Queued before the device and unfollow checks' lookback: they remember nothing that old, so they cannot vouch
         * for it (its device may have moved to another user since). Only a push without a TTL, or replayed from the
         * dead letters, can be that old.
         */
        STALE("stale", ReceiptStatus.EXPIRED);

        final String outcome;
        final ReceiptStatus status;

        SkipReason(String outcome, ReceiptStatus status) {
            this.outcome = outcome;
            this.status = status;
        }
    }

    /** What to do with one record, before any send. */
    sealed interface Verdict permits Unreadable, Duplicate, Hold, Checked {
    }

    /**
     * A verdict on a push task that got past its receipt check. {@code resentFrom} is non-null when the push had a
     * receipt but only a FAILED one and was replayed from the dead letters: it goes on despite the receipt (that is
     * what replaying RETRIES_EXHAUSTED is for); the value is the replay header's, for the log line that says so.
     */
    sealed interface Checked extends Verdict permits Skip, NoProvider, Send {
        PushTask task();

        String resentFrom();
    }

    /** Not a push task this worker can read: dead-letter the record with this reason and detail. */
    record Unreadable(DeadLetterReason reason, String detail) implements Verdict {
    }

    /** The push has a receipt: it was decided already; neither send it nor write another receipt. */
    record Duplicate(String pushId) implements Verdict {
    }

    /**
     * The checks cannot answer ({@code reason}): neither send nor skip it, and do not count it finished; decide again
     * once they can.
     */
    record Hold(String pushId, String reason) implements Verdict {
    }

    /** Not sent: write a receipt with {@code reason.status} and {@code detail}; counted as {@code reason.outcome}. */
    record Skip(PushTask task, SkipReason reason, String detail, String resentFrom) implements Checked {
    }

    /** No provider is configured for the push's platform: dead-letter it ({@code NO_PROVIDER}). */
    record NoProvider(PushTask task, String detail, String resentFrom) implements Checked {
    }

    /**
     * Send {@code request}. {@code expiresAt} is null without a TTL; {@code waited} is how long the task waited inside
     * Pushline (from its event's time to this decision), what the lane governor is told on the high lane.
     */
    record Send(PushTask task, PushRequest request, Instant expiresAt, int attempt, Duration waited, String resentFrom)
            implements Checked {
    }

    /** What follows a provider's answer to a {@link Send}. */
    sealed interface FollowUp permits Delivered, Rejected, Unregister, Retry, Expired, GiveUp {
    }

    /** Accepted: a DELIVERED receipt with the provider's id. */
    record Delivered(String providerId) implements FollowUp {
    }

    /** Rejected for good, token still valid: a REJECTED receipt with the reason. */
    record Rejected(String reason) implements FollowUp {
    }

    /**
     * Rejected because the token is dead: a REJECTED receipt with the reason, then {@code event} to the events topic.
     * Its {@code invalidatedAt} is the provider's timestamp when it gave one (else the decision's time), so that the
     * device registry can let a registration newer than the invalidation win.
     */
    record Unregister(String reason, Envelope<DeviceUnregistered> event) implements FollowUp {
    }

    /**
     * Another attempt: write the task unchanged to {@code topic} (the retry topic for {@code backoff}, whose delay is
     * labelled {@code delayLabel}) as attempt {@code nextAttempt}, not to be sent before {@code notBefore}.
     * {@code nextAttempt} is the same attempt again when the push never reached the provider.
     */
    record Retry(int nextAttempt, Duration backoff, Instant notBefore, String cause, String topic, String delayLabel)
            implements FollowUp {
    }

    /** Its TTL runs out before its next attempt could be made: an EXPIRED receipt with {@code detail}; not retried. */
    record Expired(String detail) implements FollowUp {
    }

    /** Out of attempts: dead-letter it ({@code RETRIES_EXHAUSTED}) with {@code detail}, then a FAILED receipt. */
    record GiveUp(String detail) implements FollowUp {
    }

    private final WorkerConfig config;
    private final List<String> retryTopics;   // shortest delay first, as config.retryDelays()
    private final Set<Platform> platforms;
    private final Facts facts;
    private final Clock clock;
    private final Jitter jitter;

    /**
     * @param platforms the platforms a provider is configured for
     */
    Delivery(WorkerConfig config, Set<Platform> platforms, Facts facts, Clock clock, Jitter jitter) {
        this.config = Objects.requireNonNull(config, "config");
        this.retryTopics = RetryTopics.names(config);
        this.platforms = Set.copyOf(platforms);
        this.facts = Objects.requireNonNull(facts, "facts");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
    }

    /**
     * The verdict on one decoded record. The checks run in this order and the first that applies decides: readable,
     * a push task, receipt, TTL, whether the checks can answer (else {@link Hold}), whether they can vouch for a task
     * that old, device gate, ban (author, actor, recipient), unfollow (timeline pushes), provider. A {@link Send}'s
     * request is built last: a task whose request is invalid throws here ({@link IllegalArgumentException}), after
     * every check that would have skipped it.
     */
    Verdict decide(Decoded decoded, Arrival arrival) {
        if (decoded instanceof Decoded.Invalid invalid) {
            return new Unreadable(invalid.reason(), invalid.detail());
        }
        Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
        if (!(envelope.data() instanceof PushTask task)) {
            return new Unreadable(DeadLetterReason.UNKNOWN_TYPE, "expected a push task, got " + envelope.type().ceType());
        }
        // The receipt check comes first: a retry (or redelivery) of a push that has a receipt meanwhile must neither be
        // sent again nor overwrite its receipt, even if its TTL has run out since. The one exception: a push replayed
        // from the dead letters (pushline dlq replay) whose only receipt says FAILED (given up on, never delivered) is
        // sent after all; that is what replaying RETRIES_EXHAUSTED is for. Its new receipt ends the exception.
        //
        // A receipt written before push ids named the event's source carries the legacy id (event id and token only):
        // it counts too, so that a task redelivered across the upgrade is not sent twice. Such receipts are gone once
        // the receipts' retention has passed since every worker was upgraded; until then this costs one hash per push.
        String resentFrom = null;
        String receipted = receiptedId(task);
        if (receipted != null) {
            if (arrival.replayedFrom() == null || !facts.onlyFailedReceipt(receipted)) {
                return new Duplicate(task.pushId());
            }
            resentFrom = arrival.replayedFrom();
        }
        Instant now = clock.instant();
        Instant expiresAt = task.ttlSeconds() == null ? null : envelope.time().plusSeconds(task.ttlSeconds());
        if (expiresAt != null && now.isAfter(expiresAt)) {
            return new Skip(task, SkipReason.EXPIRED, "expired at " + expiresAt, resentFrom);
        }
        String holding = facts.cannotAnswer();
        if (holding != null) {
            return new Hold(task.pushId(), holding);
        }
        Instant checkedSince = facts.checkedSince();
        if (checkedSince != null && envelope.time().isBefore(checkedSince)) {
            return new Skip(task, SkipReason.STALE, "queued at " + envelope.time() + ", before " + checkedSince
                    + ": older than the device and unfollow checks remember", resentFrom);
        }
        if (facts.deviceUnregistered(task.userId(), task.token())) {
            return new Skip(task, SkipReason.UNREGISTERED, "device unregistered before the push was sent", resentFrom);
        }
        String author = task.data().get(ABOUT_PROFILE_DATA_KEY);
        String actor = task.data().get(ACTOR_DATA_KEY);
        // A push about a banned profile's content (a timeline post of theirs), by it (its like, its follow), or to it,
        // queued before the ban.
        for (String[] profile : new String[][] {{author, "author"}, {actor, "actor"}, {task.userId(), "recipient"}}) {
            if (profile[0] != null && facts.profileBanned(profile[0])) {
                return new Skip(task, SkipReason.BANNED, "profile " + profile[0] + " (its " + profile[1]
                        + ") was banned before the push was sent", resentFrom);
            }
        }
        if (author != null && task.lane() == io.pushline.contracts.Lane.BULK) {
            // A timeline push goes to a follower of its author: an unfollow after the task was queued cancels it. The
            // task counts as queued at the earlier of its own time (when the expansion made it) and its record's
            // (when its post was published): an unfollow published before the post's expansion had read it counts too.
            // A re-follow's later pushes are younger than the unfollow, so they go. Eventual: an unfollow reaches the
            // check within about one poll of its follower (100 ms) after the router wrote its tombstone; a push sent
            // before that goes.
            Instant queued = arrival.recordTime() != null && arrival.recordTime().isBefore(envelope.time())
                    ? arrival.recordTime() : envelope.time();
            if (facts.unfollowedSince(task.userId(), author, queued)) {
                return new Skip(task, SkipReason.UNFOLLOWED, task.userId() + " unfollowed " + author
                        + " after the push was queued", resentFrom);
            }
        }
        Platform platform = Platform.valueOf(task.platform().name());
        if (!platforms.contains(platform)) {
            return new NoProvider(task, "no push provider is configured for " + platform, resentFrom);
        }
        return new Send(task, request(task, platform, expiresAt), expiresAt, arrival.attempt(),
                Duration.between(envelope.time(), now), resentFrom);
    }

    /** The provider request of a task: the same push id, token and content; its expiry from the task's TTL. */
    static PushRequest request(PushTask task, Platform platform, Instant expiresAt) {
        return new PushRequest(task.pushId(), platform, task.token(), task.appId(), task.title(), task.body(),
                task.data(), task.collapseKey(), expiresAt,
                task.priority() == io.pushline.contracts.Priority.HIGH ? Priority.HIGH : Priority.NORMAL,
                task.kindOrAlert() == io.pushline.contracts.PushKind.BACKGROUND ? PushType.BACKGROUND : PushType.ALERT,
                task.badge(), task.sound(), task.webPush() == null ? null : WebPushSubscription.of(task.webPush().endpoint(),
                        task.webPush().keys().p256dh(), task.webPush().keys().auth(), task.webPush().expirationTime()));
    }

    /**
     * What follows the provider's {@code outcome} of {@code send}. Only a {@code RetryLater} that reached the provider
     * uses up one of {@code maxAttempts}; one refused before it was sent (circuit open, rate limited, in-flight limit
     * reached, provider closed) is retried as the same attempt, however long the refusals last, so that an outage
     * never dead-letters a push: its TTL expires it instead ({@link Expired}). A push without a TTL is retried through
     * such refusals until the provider answers it.
     */
    FollowUp settle(Send send, PushOutcome outcome) {
        PushTask task = send.task();
        if (outcome instanceof PushOutcome.Delivered delivered) {
            return new Delivered(delivered.providerId());
        }
        if (outcome instanceof PushOutcome.Rejected rejected) {
            if (!rejected.tokenInvalid()) {
                return new Rejected(rejected.reason());
            }
            Instant now = clock.instant();
            Instant at = rejected.invalidatedAt() != null ? rejected.invalidatedAt() : now;
            Envelope<DeviceUnregistered> event = Envelope.of(
                    UUID.nameUUIDFromBytes(("unregistered|" + task.pushId()).getBytes(StandardCharsets.UTF_8)).toString(),
                    config.source(), now, new DeviceUnregistered(task.token(), at, rejected.reason()));
            return new Unregister(rejected.reason(), event);
        }
        PushOutcome.RetryLater later = (PushOutcome.RetryLater) outcome;
        int attempt = send.attempt();
        if (later.reachedProvider() && attempt >= config.maxAttempts()) {
            return new GiveUp("gave up after " + attempt + " attempts: " + later.cause());
        }
        Duration wait = retryWait(later, attempt);
        Instant notBefore = clock.instant().plus(wait);
        Instant expiresAt = send.expiresAt();
        if (expiresAt != null && notBefore.isAfter(expiresAt)) {
            return new Expired("expires at " + expiresAt + ", before its next attempt at " + notBefore + " (" + later.cause() + ")");
        }
        int rung = RetryTopics.rung(config.retryDelays(), wait);
        return new Retry(later.reachedProvider() ? attempt + 1 : attempt, wait, notBefore, later.cause(), retryTopics.get(rung),
                RetryTopics.label(config.retryDelays().get(rung)));
    }

    /**
     * The wait before the next attempt: the provider's Retry-After (at least {@code initialBackoff}, at most
     * {@link #MAX_RETRY_AFTER}), else exponential
     * backoff with full jitter, drawn between {@code initialBackoff} and {@code min(maxBackoff, initialBackoff × 2^attempt)},
     * so that the pushes caught by an outage come back spread out, not as a storm.
     */
    Duration retryWait(PushOutcome.RetryLater later, int attempt) {
        long floor = config.initialBackoff().toMillis();
        if (later.retryAfter() != null) {
            Duration asked = later.retryAfter().compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : later.retryAfter();
            return asked.toMillis() >= floor ? asked : config.initialBackoff();
        }
        long cap = Math.min(config.maxBackoff().toMillis(), floor << Math.min(attempt, 20));
        return Duration.ofMillis(jitter.between(floor, Math.max(floor, cap)));
    }

    /** The id under which {@code task} has a receipt: its push id, or the legacy one (see the receipt check); else null. */
    private String receiptedId(PushTask task) {
        if (facts.hasReceipt(task.pushId())) {
            return task.pushId();
        }
        String legacy = PushIds.legacyPushId(task.sourceEventId(), task.token());
        return !legacy.equals(task.pushId()) && facts.hasReceipt(legacy) ? legacy : null;
    }
}
