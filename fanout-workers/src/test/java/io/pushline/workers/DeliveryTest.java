package io.pushline.workers;

import io.pushline.testkit.MutableClock;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushKind;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushRequest;
import io.pushline.push.PushType;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The delivery decision, with an injected clock and jitter and in-memory facts: no broker, no provider, no I/O. */
class DeliveryTest {
    private static final URI SOURCE = URI.create("test://delivery");
    private static final Instant QUEUED = Instant.parse("2026-02-01T10:00:00Z");
    private static final String TOKEN = "device-token-1";
    private static final String REPLAY_ORIGIN = "pushline.push.bulk-3@42";

    /** 8 attempts, backoff 500 ms to 60 s, retry topics 5 s / 30 s / 5 min (the defaults). */
    private final WorkerConfig config = WorkerConfig.defaults(Lane.BULK);
    private final MutableClock clock = new MutableClock(QUEUED.plusSeconds(2));
    private final FakeFacts facts = new FakeFacts();
    private final List<long[]> jitterAsked = new ArrayList<>();
    private Delivery.Jitter jitter = (min, max) -> {
        jitterAsked.add(new long[] {min, max});
        return max;
    };

    private Delivery delivery(Set<Platform> platforms) {
        return new Delivery(config, platforms, facts, clock, (min, max) -> jitter.between(min, max));
    }

    private Delivery delivery() {
        return delivery(Set.of(Platform.APNS, Platform.FCM));
    }

    private static PushTask task(Integer ttlSeconds, Map<String, String> data) {
        return new PushTask(PushIds.pushId("urn:pushline:test", "evt-1", TOKEN), "evt-1", "user-1", TOKEN,
                io.pushline.contracts.Platform.APNS, "com.example.app", "Alice liked your post", "tap to see",
                data, "post-7", ttlSeconds, io.pushline.contracts.Priority.HIGH, Lane.BULK, 3, "ping.caf", null);
    }

    private static PushTask task(Integer ttlSeconds) {
        return task(ttlSeconds, Map.of("postId", "p-7"));
    }

    private static Decoded decoded(PushTask task) {
        return new Decoded.Ok(Envelope.of("evt-task-1", SOURCE, QUEUED, task));
    }

    private Delivery.Verdict decide(PushTask task) {
        return delivery().decide(decoded(task), Delivery.Arrival.FIRST);
    }

    private Delivery.Send send(PushTask task, int attempt) {
        Delivery.Verdict verdict = delivery().decide(decoded(task), new Delivery.Arrival(attempt, null));
        assertThat(verdict).isInstanceOf(Delivery.Send.class);
        return (Delivery.Send) verdict;
    }

    // ---- before the send: not a task ----

    @Test
    void anInvalidRecordIsDeadLetteredWithTheCodecsReasonAndDetail() {
        Decoded.Invalid invalid = new Decoded.Invalid(DeadLetterReason.MALFORMED_JSON, "data", "not JSON");

        Delivery.Verdict verdict = delivery().decide(invalid, Delivery.Arrival.FIRST);

        assertThat(verdict).isEqualTo(new Delivery.Unreadable(DeadLetterReason.MALFORMED_JSON, "data: not JSON"));
    }

    @Test
    void anEventThatIsNotAPushTaskIsDeadLetteredAsUnknownType() {
        Decoded follow = new Decoded.Ok(Envelope.of("evt-f", SOURCE, QUEUED, new FollowCreated("u-1", "u-2")));

        Delivery.Verdict verdict = delivery().decide(follow, Delivery.Arrival.FIRST);

        assertThat(verdict).isEqualTo(new Delivery.Unreadable(DeadLetterReason.UNKNOWN_TYPE,
                "expected a push task, got io.pushline.follow.created.v1"));
    }

    // ---- before the send: receipts ----

    @Test
    void aPushWithAReceiptIsADuplicateEvenOnceExpiredOrOnAnUnregisteredDevice() {
        PushTask task = task(60);
        facts.receipts.add(task.pushId());
        facts.unregistered.add("user-1|" + TOKEN);
        clock.set(QUEUED.plusSeconds(3600));

        assertThat(decide(task)).isEqualTo(new Delivery.Duplicate(task.pushId()));
    }

    @Test
    void aReceiptUnderTheLegacyPushIdCountsAcrossTheUpgrade() {
        PushTask task = task(60);
        assertThat(decide(task)).isInstanceOf(Delivery.Send.class);
        // Written by a worker of the version that hashed the event id alone.
        facts.receipts.add(PushIds.legacyPushId(task.sourceEventId(), task.token()));

        assertThat(decide(task)).isEqualTo(new Delivery.Duplicate(task.pushId()));

        facts.failedOnly.add(PushIds.legacyPushId(task.sourceEventId(), task.token()));
        Delivery.Verdict replayed = delivery().decide(decoded(task), new Delivery.Arrival(1, REPLAY_ORIGIN));
        assertThat(replayed).as("a legacy FAILED receipt: replayed from the dead letters, sent").isInstanceOf(Delivery.Send.class);
    }

    @Test
    void aFailedReceiptStillMakesADuplicateUnlessThePushIsReplayedFromTheDeadLetters() {
        PushTask task = task(60);
        facts.receipts.add(task.pushId());
        facts.failedOnly.add(task.pushId());

        assertThat(decide(task)).isEqualTo(new Delivery.Duplicate(task.pushId()));

        Delivery.Verdict replayed = delivery().decide(decoded(task), new Delivery.Arrival(1, REPLAY_ORIGIN));
        assertThat(replayed).isInstanceOf(Delivery.Send.class);
        assertThat(((Delivery.Send) replayed).resentFrom()).isEqualTo(REPLAY_ORIGIN);
    }

    @Test
    void aReplayedPushWhoseReceiptIsNotFailedIsADuplicate() {
        PushTask task = task(60);
        facts.receipts.add(task.pushId());   // DELIVERED, say: not only-FAILED

        Delivery.Verdict verdict = delivery().decide(decoded(task), new Delivery.Arrival(1, REPLAY_ORIGIN));

        assertThat(verdict).isEqualTo(new Delivery.Duplicate(task.pushId()));
    }

    @Test
    void aReplayedPushWithoutAnyReceiptIsSentWithoutTheResendNote() {
        Delivery.Verdict verdict = delivery().decide(decoded(task(60)), new Delivery.Arrival(1, REPLAY_ORIGIN));

        assertThat(verdict).isInstanceOf(Delivery.Send.class);
        assertThat(((Delivery.Send) verdict).resentFrom()).isNull();
    }

    @Test
    void aResentPushStillGoesThroughTheLaterChecksAndCarriesTheNote() {
        PushTask task = task(60);
        facts.receipts.add(task.pushId());
        facts.failedOnly.add(task.pushId());
        facts.unregistered.add("user-1|" + TOKEN);

        Delivery.Verdict verdict = delivery().decide(decoded(task), new Delivery.Arrival(1, REPLAY_ORIGIN));

        assertThat(verdict).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.UNREGISTERED,
                "device unregistered before the push was sent", REPLAY_ORIGIN));
    }

    // ---- before the send: TTL ----

    @Test
    void aPushIsSentUpToTheInstantItsTtlRunsOutAndExpiresJustAfter() {
        PushTask task = task(60);
        Instant expiresAt = QUEUED.plusSeconds(60);

        clock.set(expiresAt);
        assertThat(decide(task)).isInstanceOf(Delivery.Send.class);

        clock.set(expiresAt.plusMillis(1));
        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.EXPIRED,
                "expired at 2026-02-01T10:01:00Z", null));
        assertThat(Delivery.SkipReason.EXPIRED.status).isEqualTo(ReceiptStatus.EXPIRED);
        assertThat(Delivery.SkipReason.EXPIRED.outcome).isEqualTo("expired");
    }

    @Test
    void aPushWithoutTtlNeverExpiresAndLeavesTheExpiryToTheProvider() {
        clock.set(QUEUED.plus(Duration.ofDays(30)));

        Delivery.Verdict verdict = decide(task(null));

        assertThat(verdict).isInstanceOf(Delivery.Send.class);
        assertThat(((Delivery.Send) verdict).expiresAt()).isNull();
        assertThat(((Delivery.Send) verdict).request().expiresAt()).isNull();
    }

    @Test
    void anExpiredPushIsSkippedBeforeTheGatesAreAsked() {
        PushTask task = task(60, Map.of("authorId", "spammer"));
        facts.unregistered.add("user-1|" + TOKEN);
        facts.banned.add("spammer");
        clock.set(QUEUED.plusSeconds(61));

        assertThat(decide(task)).isInstanceOf(Delivery.Skip.class)
                .extracting(v -> ((Delivery.Skip) v).reason()).isEqualTo(Delivery.SkipReason.EXPIRED);
    }

    // ---- before the send: device gate and bans ----

    @Test
    void aPushToADeviceUnregisteredSinceItWasQueuedIsCancelled() {
        PushTask task = task(60, Map.of("authorId", "spammer"));
        facts.unregistered.add("user-1|" + TOKEN);
        facts.banned.add("spammer");   // unregistered is asked first

        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.UNREGISTERED,
                "device unregistered before the push was sent", null));
        assertThat(Delivery.SkipReason.UNREGISTERED.status).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(Delivery.SkipReason.UNREGISTERED.outcome).isEqualTo("unregistered");
    }

    @Test
    void theDeviceGateIsAskedForThisUserAndToken() {
        facts.unregistered.add("user-2|" + TOKEN);   // the token left user-2 (moved to user-1, say): user-1's push goes

        assertThat(decide(task(60))).isInstanceOf(Delivery.Send.class);
        assertThat(facts.askedDevices).containsExactly("user-1|" + TOKEN);
    }

    @Test
    void aPushAboutABannedProfileIsCancelled() {
        PushTask task = task(60, Map.of("authorId", "spammer", "postId", "p-1"));
        facts.banned.add("spammer");

        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.BANNED,
                "profile spammer (its author) was banned before the push was sent", null));
        assertThat(Delivery.SkipReason.BANNED.status).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(Delivery.SkipReason.BANNED.outcome).isEqualTo("banned");
    }

    @Test
    void aLikeOrFollowPushByABannedActorIsCancelled() {
        PushTask like = task(60, Map.of("type", "like", "postId", "p-1", "actorId", "spammer", "notificationId", "n-1"));
        facts.banned.add("spammer");

        assertThat(decide(like)).isEqualTo(new Delivery.Skip(like, Delivery.SkipReason.BANNED,
                "profile spammer (its actor) was banned before the push was sent", null));
    }

    @Test
    void aPushToABannedRecipientIsCancelled() {
        PushTask task = task(60, Map.of("postId", "p-1"));
        facts.banned.add("user-1");

        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.BANNED,
                "profile user-1 (its recipient) was banned before the push was sent", null));
    }

    @Test
    void aPushIsSentWhenNeitherItsAuthorNorActorNorRecipientIsBanned() {
        facts.banned.add("someone-else");

        assertThat(decide(task(60, Map.of("authorId", "alice", "actorId", "bob")))).isInstanceOf(Delivery.Send.class);
        assertThat(facts.askedBans).containsExactly("alice", "bob", "user-1");
    }

    // ---- before the send: unfollows ----

    private static PushTask timeline(Lane lane) {
        return new PushTask(PushIds.pushId("urn:pushline:test", "evt-1", TOKEN), "evt-1", "user-1", TOKEN, io.pushline.contracts.Platform.APNS,
                "com.example.app", "Alice posted", "", Map.of("postId", "p-1", "authorId", "alice"), "post-p-1", 3600,
                io.pushline.contracts.Priority.NORMAL, lane);
    }

    @Test
    void aTimelinePushToAFollowerWhoUnfollowedAfterItWasQueuedIsCancelled() {
        PushTask task = timeline(Lane.BULK);
        facts.unfollows.put("user-1|alice", QUEUED.plusSeconds(1));

        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.UNFOLLOWED,
                "user-1 unfollowed alice after the push was queued", null));
        assertThat(Delivery.SkipReason.UNFOLLOWED.status).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(Delivery.SkipReason.UNFOLLOWED.outcome).isEqualTo("unfollowed");
    }

    @Test
    void anUnfollowBeforeTheTaskWasQueuedDoesNotBlockARefollowsLaterPush() {
        facts.unfollows.put("user-1|alice", QUEUED.minusSeconds(1));   // unfollowed, then followed again, then she posted

        assertThat(decide(timeline(Lane.BULK))).isInstanceOf(Delivery.Send.class);
    }

    @Test
    void aTaskCountsAsQueuedAtItsRecordsTimeWhenThatIsEarlier() {
        // The post was published (the record's time) before the unfollow, the expansion made the task after it (the
        // task's time) without having read the unfollow yet: the push is still cancelled.
        facts.unfollows.put("user-1|alice", QUEUED.minusSeconds(5));
        Delivery.Arrival arrival = new Delivery.Arrival(1, null, QUEUED.minusSeconds(10));

        assertThat(delivery().decide(decoded(timeline(Lane.BULK)), arrival)).isInstanceOf(Delivery.Skip.class)
                .extracting(v -> ((Delivery.Skip) v).reason()).isEqualTo(Delivery.SkipReason.UNFOLLOWED);
        // A later record time (a retry record's) does not move it later than the task's own time.
        Delivery.Arrival retry = new Delivery.Arrival(2, null, QUEUED.plusSeconds(60));
        assertThat(delivery().decide(decoded(timeline(Lane.BULK)), retry)).isInstanceOf(Delivery.Send.class);
    }

    @Test
    void onlyTimelinePushesOfTheBulkLaneAskTheUnfollows() {
        facts.unfollows.put("user-1|alice", QUEUED.plusSeconds(1));

        assertThat(decide(timeline(Lane.HIGH))).isInstanceOf(Delivery.Send.class);
        assertThat(decide(task(60, Map.of("postId", "p-1")))).isInstanceOf(Delivery.Send.class);
    }

    // ---- before the send: checks that cannot answer ----

    @Test
    void whileTheChecksCannotAnswerAPushIsHeldNeitherSentNorSkipped() {
        PushTask task = task(60, Map.of("authorId", "spammer"));
        facts.cannotAnswer = "bulk worker: holding pushes: the banned profiles check is not loaded yet from pushline.state.banned-profiles";

        assertThat(decide(task)).isEqualTo(new Delivery.Hold(task.pushId(), facts.cannotAnswer));
        assertThat(facts.askedDevices).isEmpty();
        assertThat(facts.askedBans).isEmpty();

        facts.cannotAnswer = null;
        assertThat(decide(task)).isInstanceOf(Delivery.Send.class);
    }

    @Test
    void whatNeedsNoCheckIsDecidedEvenWhileTheChecksCannotAnswer() {
        facts.cannotAnswer = "the unregistered devices check is full";
        PushTask duplicate = task(60);
        facts.receipts.add(duplicate.pushId());
        assertThat(decide(duplicate)).isEqualTo(new Delivery.Duplicate(duplicate.pushId()));

        facts.receipts.clear();
        clock.set(QUEUED.plusSeconds(61));
        assertThat(decide(task(60))).isInstanceOf(Delivery.Skip.class)
                .extracting(v -> ((Delivery.Skip) v).reason()).isEqualTo(Delivery.SkipReason.EXPIRED);
    }

    @Test
    void aTaskQueuedBeforeTheChecksLookbackIsStaleForTheyCannotVouchForIt() {
        PushTask task = task(null);   // no TTL: nothing else would stop it
        clock.set(QUEUED.plus(Duration.ofHours(25)));
        facts.checkedSince = QUEUED.plus(Duration.ofHours(1));   // a 24 h lookback

        assertThat(decide(task)).isEqualTo(new Delivery.Skip(task, Delivery.SkipReason.STALE, "queued at " + QUEUED
                + ", before " + facts.checkedSince + ": older than the device and unfollow checks remember", null));
        assertThat(Delivery.SkipReason.STALE.status).isEqualTo(ReceiptStatus.EXPIRED);
        assertThat(facts.askedDevices).isEmpty();

        facts.checkedSince = QUEUED;   // queued right at the edge: still vouched for
        assertThat(decide(task)).isInstanceOf(Delivery.Send.class);
    }

    // ---- before the send: provider and request ----

    @Test
    void aPushForAPlatformWithoutProviderIsDeadLetteredAsNoProvider() {
        PushTask task = task(60);

        Delivery.Verdict verdict = delivery(Set.of(Platform.FCM)).decide(decoded(task), Delivery.Arrival.FIRST);

        assertThat(verdict).isEqualTo(new Delivery.NoProvider(task, "no push provider is configured for APNS", null));
    }

    @Test
    void aSendCarriesTheTaskMappedToAProviderRequest() {
        PushTask task = task(600);
        clock.set(QUEUED.plusMillis(1500));

        Delivery.Verdict verdict = delivery().decide(decoded(task), new Delivery.Arrival(3, null));

        Instant expiresAt = QUEUED.plusSeconds(600);
        assertThat(verdict).isEqualTo(new Delivery.Send(task,
                new PushRequest(task.pushId(), Platform.APNS, TOKEN, "com.example.app", "Alice liked your post", "tap to see",
                        Map.of("postId", "p-7"), "post-7", expiresAt, Priority.HIGH, PushType.ALERT, 3, "ping.caf"),
                expiresAt, 3, Duration.ofMillis(1500), null));
    }

    @Test
    void normalPriorityAndBackgroundPushesMapToTheirProviderCounterparts() {
        PushTask background = new PushTask(PushIds.pushId("urn:pushline:test", "evt-2", TOKEN), "evt-2", "user-1", TOKEN,
                io.pushline.contracts.Platform.FCM, "app", "t", "b", Map.of(), null, null,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK, null, null, PushKind.BACKGROUND);

        PushRequest request = send(background, 1).request();

        assertThat(request.platform()).isEqualTo(Platform.FCM);
        assertThat(request.priority()).isEqualTo(Priority.NORMAL);
        assertThat(request.pushType()).isEqualTo(PushType.BACKGROUND);
        assertThat(request.badge()).isNull();
        assertThat(request.collapseKey()).isNull();
    }

    @Test
    void aTaskThatMakesNoValidRequestThrowsOnlyAfterEveryCheckThatWouldSkipIt() {
        PushTask bad = new PushTask(PushIds.pushId("urn:pushline:test", "evt-3", "bad token"), "evt-3", "user-1", "bad token",
                io.pushline.contracts.Platform.FCM, "app", "t", "b", Map.of(), null, 60,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);

        assertThatThrownBy(() -> decide(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token");

        facts.receipts.add(bad.pushId());
        assertThat(decide(bad)).isEqualTo(new Delivery.Duplicate(bad.pushId()));
    }

    // ---- after the send: delivered and rejected ----

    @Test
    void aDeliveredPushGetsADeliveredReceiptWithTheProvidersId() {
        Delivery.Send send = send(task(60), 1);

        assertThat(delivery().settle(send, new PushOutcome.Delivered("apns-id-1")))
                .isEqualTo(new Delivery.Delivered("apns-id-1"));
    }

    @Test
    void aRejectionWithAValidTokenGetsARejectedReceiptAndNoUnregistration() {
        Delivery.Send send = send(task(60), 1);

        assertThat(delivery().settle(send, new PushOutcome.Rejected("BadTopic", false, null)))
                .isEqualTo(new Delivery.Rejected("BadTopic"));
    }

    @Test
    void aDeadTokenIsUnregisteredAsOfTheProvidersTimestampSoANewerRegistrationWins() {
        PushTask task = task(60);
        Delivery.Send send = send(task, 1);
        Instant invalidated = QUEUED.minusSeconds(86_400);   // APNs 410: the token died yesterday
        clock.set(QUEUED.plusSeconds(5));

        Delivery.FollowUp next = delivery().settle(send, new PushOutcome.Rejected("Unregistered", true, invalidated));

        String id = UUID.nameUUIDFromBytes(("unregistered|" + task.pushId()).getBytes(StandardCharsets.UTF_8)).toString();
        assertThat(next).isEqualTo(new Delivery.Unregister("Unregistered", Envelope.of(id, config.source(),
                QUEUED.plusSeconds(5), new DeviceUnregistered(TOKEN, invalidated, "Unregistered"))));
        // The same push rejected again (a redelivery) publishes the same event id: the registry sees one invalidation.
        assertThat(((Delivery.Unregister) delivery().settle(send, new PushOutcome.Rejected("Unregistered", true, invalidated)))
                .event().id()).isEqualTo(id);
    }

    @Test
    void aDeadTokenWithoutTimestampIsUnregisteredAsOfNow() {
        Delivery.Send send = send(task(60), 1);
        clock.set(QUEUED.plusSeconds(7));

        Delivery.FollowUp next = delivery().settle(send, new PushOutcome.Rejected("UNREGISTERED", true, null));

        assertThat(next).isInstanceOf(Delivery.Unregister.class);
        assertThat(((Delivery.Unregister) next).event().data().invalidatedAt()).isEqualTo(QUEUED.plusSeconds(7));
        assertThat(((Delivery.Unregister) next).event().time()).isEqualTo(QUEUED.plusSeconds(7));
    }

    // ---- after the send: retries ----

    @Test
    void aRetryAfterIsHonouredAndGoesToTheSmallestRetryTopicThatCoversIt() {
        Delivery.Send send = send(task(null), 1);
        Instant now = clock.instant();

        Delivery.FollowUp next = delivery().settle(send, new PushOutcome.RetryLater("429 TooManyRequests", Duration.ofSeconds(20)));

        assertThat(next).isEqualTo(new Delivery.Retry(2, Duration.ofSeconds(20), now.plusSeconds(20), "429 TooManyRequests",
                "pushline.push.bulk.retry-30s", "30s"));
        assertThat(jitterAsked).isEmpty();
    }

    @Test
    void aRetryAfterShorterThanTheInitialBackoffIsRaisedToIt() {
        Delivery.Send send = send(task(null), 1);

        Delivery.FollowUp next = delivery().settle(send, new PushOutcome.RetryLater("503", Duration.ofMillis(100)));

        assertThat(((Delivery.Retry) next).backoff()).isEqualTo(config.initialBackoff());
        assertThat(((Delivery.Retry) next).topic()).isEqualTo("pushline.push.bulk.retry-5s");
    }

    @Test
    void aRetryAfterLongerThanEveryRetryTopicGoesToTheLongestOne() {
        Delivery.Send send = send(task(null), 1);

        Delivery.Retry next = (Delivery.Retry) delivery().settle(send, new PushOutcome.RetryLater("quota", Duration.ofMinutes(10)));

        assertThat(next.backoff()).isEqualTo(Duration.ofMinutes(10));
        assertThat(next.topic()).isEqualTo("pushline.push.bulk.retry-5m");
        assertThat(next.delayLabel()).isEqualTo("5m");
    }

    @Test
    void withoutRetryAfterTheBackoffIsDrawnBetweenTheInitialBackoffAndTwiceItPerAttempt() {
        jitter = (min, max) -> {
            jitterAsked.add(new long[] {min, max});
            return min;
        };
        Delivery.Retry first = (Delivery.Retry) delivery().settle(send(task(null), 1), new PushOutcome.RetryLater("503", null));
        assertThat(first.backoff()).isEqualTo(Duration.ofMillis(500));

        jitter = (min, max) -> {
            jitterAsked.add(new long[] {min, max});
            return max;
        };
        Delivery.Retry third = (Delivery.Retry) delivery().settle(send(task(null), 3), new PushOutcome.RetryLater("503", null));
        assertThat(third.backoff()).isEqualTo(Duration.ofMillis(4000));
        assertThat(third.nextAttempt()).isEqualTo(4);
        assertThat(third.notBefore()).isEqualTo(clock.instant().plusMillis(4000));

        assertThat(jitterAsked).hasSize(2);
        assertThat(jitterAsked.get(0)).containsExactly(500, 1000);   // attempt 1: 500 ms × 2^1
        assertThat(jitterAsked.get(1)).containsExactly(500, 4000);   // attempt 3: 500 ms × 2^3
    }

    @Test
    void theDrawnBackoffIsCappedAtTheMaximumBackoffWithoutOverflowingOnLateAttempts() {
        Delivery delivery = new Delivery(config.withMaxAttempts(100), Set.of(Platform.APNS), facts, clock, jitter);

        assertThat(delivery.retryWait(new PushOutcome.RetryLater("503", null), 7)).isEqualTo(Duration.ofSeconds(60));
        assertThat(delivery.retryWait(new PushOutcome.RetryLater("503", null), 63)).isEqualTo(Duration.ofSeconds(60));
        assertThat(delivery.retryWait(new PushOutcome.RetryLater("503", null), 99)).isEqualTo(Duration.ofSeconds(60));
        assertThat(jitterAsked).isNotEmpty().allSatisfy(range -> assertThat(range).containsExactly(500, 60_000));
    }

    @Test
    void theUniformJitterStaysWithinItsBoundsBothIncluded() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(Delivery.Jitter.UNIFORM.between(500, 502)).isBetween(500L, 502L);
            assertThat(Delivery.Jitter.UNIFORM.between(7, 7)).isEqualTo(7L);
        }
    }

    @Test
    void theLastAllowedAttemptStillRetriesAndTheOneAfterGivesUp() {
        int max = config.maxAttempts();
        PushOutcome later = new PushOutcome.RetryLater("503 ServiceUnavailable", null);

        assertThat(delivery().settle(send(task(null), max - 1), later)).isInstanceOf(Delivery.Retry.class)
                .extracting(f -> ((Delivery.Retry) f).nextAttempt()).isEqualTo(max);
        assertThat(delivery().settle(send(task(null), max), later))
                .isEqualTo(new Delivery.GiveUp("gave up after 8 attempts: 503 ServiceUnavailable"));
    }

    @Test
    void withASingleAttemptTheFirstRetryLaterGivesUp() {
        Delivery delivery = new Delivery(config.withMaxAttempts(1), Set.of(Platform.APNS), facts, clock, jitter);
        Delivery.Send send = (Delivery.Send) delivery.decide(decoded(task(60)), Delivery.Arrival.FIRST);

        assertThat(delivery.settle(send, new PushOutcome.RetryLater("timeout", null)))
                .isEqualTo(new Delivery.GiveUp("gave up after 1 attempts: timeout"));
        assertThat(jitterAsked).isEmpty();
    }

    @Test
    void aRetryDueExactlyAtTheExpiryIsScheduledAndOneDueAfterItExpires() {
        PushTask task = task(60);   // expires at QUEUED + 60 s; now is QUEUED + 2 s
        Delivery.Send send = send(task, 1);

        Delivery.FollowUp atExpiry = delivery().settle(send, new PushOutcome.RetryLater("429", Duration.ofSeconds(58)));
        assertThat(atExpiry).isInstanceOf(Delivery.Retry.class);

        Delivery.FollowUp afterExpiry = delivery().settle(send, new PushOutcome.RetryLater("429", Duration.ofMillis(58_001)));
        assertThat(afterExpiry).isEqualTo(new Delivery.Expired("expires at 2026-02-01T10:01:00Z, before its next attempt at "
                + "2026-02-01T10:01:00.001Z (429)"));
    }

    @Test
    void anExhaustedPushGivesUpEvenIfItsTtlWouldHaveRunOutBeforeTheNextAttempt() {
        Delivery.Send send = send(task(60), config.maxAttempts());

        assertThat(delivery().settle(send, new PushOutcome.RetryLater("503", Duration.ofHours(1))))
                .isInstanceOf(Delivery.GiveUp.class);
    }

    @Test
    void anOutageOfManyMoreRefusalsThanAttemptsDeadLettersNothingAndExpiresTheTaskOnlyAtItsTtl() {
        PushTask task = task(2 * 3600);   // expires at QUEUED + 2 h
        Instant expiresAt = QUEUED.plusSeconds(2 * 3600);
        int attempt = 3;   // two provider answers used up before the outage began
        int retries = 0;
        Delivery.FollowUp next;
        while (true) {
            Delivery.Send send = send(task, attempt);
            // The guard's answers while the circuit is open, and while its rate limiter is short of permits.
            PushOutcome refused = retries % 2 == 0
                    ? PushOutcome.RetryLater.notSent("circuit open", Duration.ofSeconds(30))
                    : PushOutcome.RetryLater.notSent("rate limited", Duration.ofSeconds(1));
            next = delivery().settle(send, refused);
            if (!(next instanceof Delivery.Retry retry)) {
                break;
            }
            assertThat(retry.nextAttempt()).as("a refusal does not use up an attempt").isEqualTo(3);
            attempt = retry.nextAttempt();
            clock.set(retry.notBefore());
            retries++;
        }

        assertThat(retries).as("refusals, scaled: many times maxAttempts").isGreaterThan(50 * config.maxAttempts());
        assertThat(next).isInstanceOf(Delivery.Expired.class);
        assertThat(clock.instant()).isBeforeOrEqualTo(expiresAt).isAfter(expiresAt.minusSeconds(31));
        assertThat(decide(task)).isInstanceOf(Delivery.Send.class);
        clock.set(expiresAt.plusMillis(1));
        assertThat(delivery().decide(decoded(task), new Delivery.Arrival(attempt, null)))
                .isInstanceOfSatisfying(Delivery.Skip.class, skip -> assertThat(skip.reason()).isEqualTo(Delivery.SkipReason.EXPIRED));
    }

    @Test
    void aProviderAnswerUsesUpAnAttemptButARefusalOnTheLastAttemptDoesNot() {
        int max = config.maxAttempts();
        Delivery.Send last = send(task(null), max);

        Delivery.FollowUp refused = delivery().settle(last, PushOutcome.RetryLater.notSent("circuit open", Duration.ofSeconds(30)));
        assertThat(refused).isInstanceOfSatisfying(Delivery.Retry.class, retry -> {
            assertThat(retry.nextAttempt()).isEqualTo(max);
            assertThat(retry.backoff()).isEqualTo(Duration.ofSeconds(30));
            assertThat(retry.cause()).isEqualTo("circuit open");
        });
        assertThat(delivery().settle(send(task(null), 2), new PushOutcome.RetryLater("ServiceUnavailable", null)))
                .isInstanceOfSatisfying(Delivery.Retry.class, retry -> assertThat(retry.nextAttempt()).isEqualTo(3));
        assertThat(delivery().settle(last, new PushOutcome.RetryLater("ServiceUnavailable", null)))
                .isEqualTo(new Delivery.GiveUp("gave up after 8 attempts: ServiceUnavailable"));
    }

    @Test
    void aRetryAfterAboveTheCapIsCutToItRatherThanExpiringThePush() {
        Delivery.Send send = send(task(3 * 3600), 1);   // 3 h TTL
        Instant now = clock.instant();

        Delivery.FollowUp next = delivery().settle(send, new PushOutcome.RetryLater("QUOTA_EXCEEDED", Duration.ofDays(2)));

        assertThat(next).isEqualTo(new Delivery.Retry(2, Delivery.MAX_RETRY_AFTER, now.plus(Delivery.MAX_RETRY_AFTER),
                "QUOTA_EXCEEDED", "pushline.push.bulk.retry-5m", "5m"));
        assertThat(delivery().retryWait(new PushOutcome.RetryLater("429", Delivery.MAX_RETRY_AFTER.plusMillis(1)), 1))
                .isEqualTo(Delivery.MAX_RETRY_AFTER);
        assertThat(delivery().retryWait(new PushOutcome.RetryLater("429", Delivery.MAX_RETRY_AFTER), 1))
                .isEqualTo(Delivery.MAX_RETRY_AFTER);
    }

    // ---- test doubles ----

    private static final class FakeFacts implements Delivery.Facts {
        final Set<String> receipts = new HashSet<>();
        final Set<String> failedOnly = new HashSet<>();
        final Set<String> unregistered = new HashSet<>();   // userId|token
        final Set<String> banned = new HashSet<>();
        final List<String> askedDevices = new ArrayList<>();
        final List<String> askedBans = new ArrayList<>();
        final Map<String, Instant> unfollows = new java.util.HashMap<>();   // follower|followee -> latest unfollow
        String cannotAnswer;
        Instant checkedSince;

        @Override
        public boolean hasReceipt(String pushId) {
            return receipts.contains(pushId);
        }

        @Override
        public boolean onlyFailedReceipt(String pushId) {
            return failedOnly.contains(pushId);
        }

        @Override
        public boolean deviceUnregistered(String userId, String token) {
            askedDevices.add(userId + "|" + token);
            return unregistered.contains(userId + "|" + token);
        }

        @Override
        public boolean profileBanned(String profileId) {
            askedBans.add(profileId);
            return banned.contains(profileId);
        }

        @Override
        public boolean unfollowedSince(String followerId, String followeeId, Instant since) {
            Instant at = unfollows.get(followerId + "|" + followeeId);
            return at != null && !at.isBefore(since);
        }

        @Override
        public String cannotAnswer() {
            return cannotAnswer;
        }

        @Override
        public Instant checkedSince() {
            return checkedSince;
        }
    }
}
