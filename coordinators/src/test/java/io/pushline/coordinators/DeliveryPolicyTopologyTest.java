package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Keys;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.Topics;
import io.pushline.contracts.UserPreferencesUpdated;
import io.pushline.contracts.UserPreferencesUpdated.QuietWindow;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delivery policy on the coordinators' pushes (issue 19) on Kafka's TopologyTestDriver: the recipient's muted categories
 * and quiet hours (in their time zone) for likes, follows and like digests, pass-through categories, and held pushes
 * released, expired, muted or held again when due, across a restart. The clock is the driver's wall clock
 * ({@link #tick}, {@link #jump}); a restart is a new driver over stores that start with what the old one's held
 * ({@link #restart}), as in {@link LikeDigestTopologyTest}.
 */
class DeliveryPolicyTopologyTest {
    /** 21:00 in Tokyo. */
    private static final Instant WALL = Instant.parse("2026-03-01T12:00:00Z");
    private static final String TOKYO = "Asia/Tokyo";
    private static final URI LIKES = URI.create("urn:pushline:service:likes");
    private static final URI FOLLOWS = URI.create("urn:pushline:service:follows");
    private static final URI PROFILES = URI.create("urn:pushline:service:profiles");
    private static final URI MODERATION = URI.create("urn:pushline:service:moderation");
    private static final Duration TICK = Duration.ofMillis(50);
    private static final String OWNER = "u1";
    private static final List<String> OWNER_TOKENS = List.of("u1-token-apns-0001", "u1-token-fcm-000002");
    private static final List<String> OUTPUTS = List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY,
            Topics.NOTIFICATIONS, Topics.PUSH_HIGH, Topics.PUSH_RECEIPTS, Topics.COORDINATORS_PARKED, Topics.DEAD_LETTERS,
            Topics.COORDINATOR_INTAKE);
    private static final List<String> STORES = List.of(CoordinatorProcessor.JOURNAL_STORE, CoordinatorProcessor.SCHEDULE_STORE,
            Facts.STORE, Facts.DEVICES_STORE, Bans.STORE, DeliveryPolicy.PREFERENCES_STORE, DeliveryPolicy.HELD_STORE);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private CoordinatorTestDriver d;
    private Instant start = WALL;
    private int preferencesPublished;

    private CoordinatorConfig config() {
        return CoordinatorConfig.defaults().withMeterRegistry(registry);
    }

    /** Opens the driver (a first time at {@link #start}, or again after {@link #restart}) and registers the owner's devices. */
    private void open(CoordinatorConfig config) {
        if (d == null) {
            d = new CoordinatorTestDriver(stateDir, "coordinators-policy-test", start, OUTPUTS, STORES);
        }
        d.open(config);
        registerOwnerDevices();
    }

    private void restart(CoordinatorConfig config) {
        d.restart(config);
        registerOwnerDevices();
    }

    private void registerOwnerDevices() {
        d.registerDevices(OWNER, OWNER_TOKENS, start.minusSeconds(3600));
    }

    @AfterEach
    void close() {
        if (d != null) {
            d.close();
        }
    }

    // ---- inputs and clock

    private Instant now() {
        return d.now();
    }

    private void like(String actor, String post) {
        d.like(LIKES, likeEvent(actor, post), actor, post, OWNER);
    }

    private void unlike(String actor, String post) {
        d.unlike(LIKES, "evt-unlike-" + actor + "-" + post, actor, post, OWNER);
    }

    private void follow(String follower) {
        d.publish(Topics.EVENTS, follower, Envelope.of(followEvent(follower), FOLLOWS, now(), new FollowCreated(follower, OWNER)));
    }

    private void ban(String profile) {
        d.publish(Topics.EVENTS, profile, Envelope.of("evt-ban-" + profile, MODERATION, now(), new ProfileBanned(profile, "spam")));
    }

    /** The owner's preferences, as the router writes them to {@code pushline.state.preferences} (key userId). */
    private void preferences(String zone, List<QuietWindow> quiet, List<String> muted) {
        preferencesPublished++;
        d.publish(Topics.STATE_PREFERENCES, OWNER, Envelope.of("evt-prefs-" + preferencesPublished, PROFILES, now(),
                new UserPreferencesUpdated(OWNER, zone, quiet, muted, now())));
    }

    /** A window on every day of the week, local times {@code HH:mm}. */
    private static QuietWindow everyDay(String from, String to) {
        return new QuietWindow(List.of(DayOfWeek.values()), from, to);
    }

    private static String likeEvent(String actor, String post) {
        return "evt-like-" + actor + "-" + post;
    }

    private static String followEvent(String follower) {
        return "evt-follow-" + follower;
    }

    private void tick(Duration total) {
        d.tick(total);
    }

    private void jump(Duration total) {
        d.jump(total);
    }

    /** Advances the wall clock to just before {@code at}, then past it a tick at a time. */
    private void passTo(Instant at, Runnable justBefore) {
        jump(Duration.between(now(), at).minus(TICK));
        justBefore.run();
        tick(TICK.multipliedBy(2));
    }

    // ---- outputs and state

    private Map<String, List<TestRecord<byte[], byte[]>>> drain() {
        return d.drain();
    }

    private List<PushTask> pushes(Map<String, List<TestRecord<byte[], byte[]>>> out) {
        return out.get(Topics.PUSH_HIGH).stream().map(r -> d.<PushTask>data(r)).toList();
    }

    private List<PushTask> pushes() {
        return pushes(drain());
    }

    private List<PushReceipt> receipts(Map<String, List<TestRecord<byte[], byte[]>>> out) {
        return out.get(Topics.PUSH_RECEIPTS).stream().map(r -> {
            PushReceipt receipt = d.data(r);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(Keys.compound(OWNER, receipt.pushId()));
            return receipt;
        }).toList();
    }

    private Envelope<?> envelope(TestRecord<byte[], byte[]> record) {
        return d.envelope(record);
    }

    private <T extends EventData> T data(TestRecord<byte[], byte[]> record) {
        return d.data(record);
    }

    private Coordinator journal(String id) {
        return d.journal(id);
    }

    private static String likeId(String actor, String post) {
        return "like:" + PushIds.eventKey(LIKES.toString(), likeEvent(actor, post));
    }

    private static String followId(String follower) {
        return "follow:" + PushIds.eventKey(FOLLOWS.toString(), followEvent(follower));
    }

    /** The coordinator that releases (or not) the pushes {@code origin} held, when they come due at {@code due}. */
    private Coordinator release(String origin, Instant due) {
        return journal(Flows.HELD + ":" + origin + "@" + due.toEpochMilli());
    }

    private int heldEntries() {
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = d.driver().<String, byte[]>getKeyValueStore(DeliveryPolicy.HELD_STORE).all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    private double policy(String decision) {
        Counter c = registry.find(CoordinatorMetrics.POLICY).tags("decision", decision).counter();
        return c == null ? 0 : c.count();
    }

    private static String likePushId(String actor, String post, String token) {
        return PushIds.pushId(LIKES.toString(), likeEvent(actor, post), token);
    }

    private static List<String> likePushIds(String actor, String post) {
        return OWNER_TOKENS.stream().map(t -> likePushId(actor, post, t)).toList();
    }

    // ---- muted

    @Test
    void aMutedLikeIsNotPushedButNotedCountedAndGivenACancelledReceiptPerDevice() {
        open(config());
        preferences(TOKYO, List.of(), List.of("like"));
        like("a", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        // Everything else a like does goes on: the inbox notification included.
        assertThat(out.get(Topics.NOTIFICATIONS)).hasSize(1);
        List<PushReceipt> receipts = receipts(out);
        assertThat(receipts).extracting(PushReceipt::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(receipts).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ReceiptStatus.CANCELLED);
            assertThat(r.reason()).isEqualTo("policy muted: u1 muted like pushes");
            assertThat(r.sourceEventId()).isEqualTo(likeEvent("a", "post-1"));
            assertThat(r.decidedAt()).isEqualTo(WALL);
        });
        Coordinator like = journal(likeId("a", "post-1"));
        assertThat(like.state()).isEqualTo(Flow.DONE);
        assertThat(like.notes()).containsEntry(Flows.POLICY, "muted").containsEntry(Flows.PUSHES, "0")
                .containsEntry(Flows.POLICY_REASON, "u1 muted like pushes");
        assertThat(policy("muted")).isEqualTo(1.0);
        assertThat(heldEntries()).isZero();

        // Follows are another category: pushed as usual, nothing noted.
        follow("x");
        assertThat(pushes()).hasSize(2).allSatisfy(p -> assertThat(p.data()).containsEntry("type", "follow"));
        assertThat(journal(followId("x")).notes()).doesNotContainKey(Flows.POLICY).containsEntry(Flows.PUSHES, "2");

        // A tombstone forgets the preferences; a value that is not preferences is ignored (the last ones stand).
        d.input(Topics.STATE_PREFERENCES).pipeInput(new TestRecord<>(OWNER.getBytes(StandardCharsets.UTF_8), (byte[]) null, new RecordHeaders(), now()));
        d.input(Topics.STATE_PREFERENCES).pipeInput(new TestRecord<>(OWNER.getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8),
                new RecordHeaders(), now()));
        like("b", "post-1");
        assertThat(pushes()).extracting(PushTask::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("b", "post-1"));
        assertThat(policy("muted")).isEqualTo(1.0);
    }

    @Test
    void receiptsArePartitionedByTheirUserAsTheTopologyWritesThem() {
        for (int partitions : new int[] {1, 6, 12}) {
            assertThat(CoordinatorTopology.BY_FIRST_KEY_PART.partitions(Topics.PUSH_RECEIPTS,
                    Keys.compound(OWNER, "push-1").getBytes(StandardCharsets.UTF_8), new byte[0], partitions))
                    .contains(Set.of(Keys.partitionFor(OWNER, partitions)));
        }
    }

    // ---- quiet hours

    @Test
    void aLikeInQuietHoursIsHeldUntilTheyEndThenPushedOncePerDeviceWithItsPushIds() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());   // 11:30Z to 12:30Z
        like("a", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        assertThat(receipts(out)).isEmpty();
        assertThat(out.get(Topics.NOTIFICATIONS)).as("the inbox is not held").hasSize(1);
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        Coordinator like = journal(likeId("a", "post-1"));
        assertThat(like.state()).isEqualTo(Flow.DONE);
        assertThat(like.notes()).containsEntry(Flows.POLICY, "held").containsEntry(Flows.PUSHES, "0")
                .containsEntry(Flows.HELD_PUSHES, "2").containsEntry(Flows.HELD_UNTIL, end.toString())
                .containsEntry(Flows.HOLD_ID, DeliveryPolicy.holdId(likeId("a", "post-1")))
                .containsEntry(Flows.POLICY_REASON, "quiet hours of u1 until 2026-03-01T12:30:00Z (2026-03-01T21:30 Asia/Tokyo)");
        assertThat(heldEntries()).as("the hold and its two pushes").isEqualTo(3);
        assertThat(policy("held")).isEqualTo(1.0);

        passTo(end, () -> assertThat(pushes()).as("nothing before the quiet hours end").isEmpty());
        List<TestRecord<byte[], byte[]>> records = drain().get(Topics.PUSH_HIGH);
        assertThat(records).hasSize(2);
        for (TestRecord<byte[], byte[]> r : records) {
            PushTask p = data(r);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(OWNER);
            assertThat(envelope(r).id()).isEqualTo(p.pushId()).isEqualTo(likePushId("a", "post-1", p.token()));
            assertThat(envelope(r).time()).as("made when held: its TTL counts from then").isEqualTo(WALL);
            assertThat(p.ttlSeconds()).isEqualTo(3600);
            assertThat(p.data()).containsEntry("type", "like");
            assertThat(p.body()).isEqualTo("a liked your post");
        }
        assertThat(records).extracting(r -> this.<PushTask>data(r).token()).containsExactlyInAnyOrderElementsOf(OWNER_TOKENS);
        Coordinator release = release(likeId("a", "post-1"), end);
        assertThat(release.state()).isEqualTo(Flow.DONE);
        assertThat(release.recipient()).isEqualTo(OWNER);
        assertThat(release.input()).containsEntry(Flows.ORIGIN, likeId("a", "post-1")).containsEntry(Flows.CATEGORY, "like")
                .containsEntry(Flows.ACTOR, "a").containsEntry(Flows.EVENT_ID, likeEvent("a", "post-1"));
        assertThat(release.notes()).containsEntry(Flows.POLICY, "released").containsEntry(Flows.PUSHES, "2");
        assertThat(policy("released")).isEqualTo(1.0);
        assertThat(heldEntries()).isZero();

        // Once: nothing more however long one waits; and a like after the quiet hours goes at once.
        jump(Duration.ofHours(3));
        assertThat(pushes()).isEmpty();
        like("b", "post-1");
        assertThat(pushes()).hasSize(2);
        assertThat(journal(likeId("b", "post-1")).notes()).doesNotContainKey(Flows.POLICY);
    }

    @Test
    void quietHoursFollowTheTimeZonesDaylightSavingRules() {
        // The night of the spring change in Berlin: 01:00 to 03:15 local is 00:00Z to 01:15Z (clocks go from 02:00 CET to
        // 03:00 CEST at 01:00Z), an hour shorter than the same window on a winter night.
        start = Instant.parse("2026-03-29T00:30:00Z");
        open(config());
        preferences("Europe/Berlin", List.of(everyDay("01:00", "03:15")), List.of());
        like("a", "post-1");
        Instant end = Instant.parse("2026-03-29T01:15:00Z");
        assertThat(journal(likeId("a", "post-1")).notes()).containsEntry(Flows.POLICY, "held").containsEntry(Flows.HELD_UNTIL, end.toString());
        passTo(end, () -> assertThat(pushes()).isEmpty());
        assertThat(pushes()).extracting(PushTask::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
    }

    @Test
    void aPushHeldLongerThanItsTtlExpiresUnsentCountedAndWithReceipts() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:00", "23:00")), List.of());   // until 14:00Z: past the push's 1 h TTL
        like("a", "post-1");
        Instant expiry = WALL.plus(Duration.ofHours(1));
        assertThat(journal(likeId("a", "post-1")).notes()).containsEntry(Flows.POLICY, "held")
                .containsEntry(Flows.HELD_UNTIL, expiry.toString())
                .hasEntrySatisfying(Flows.POLICY_REASON, r -> assertThat(r).endsWith("; the pushes expire sooner, at " + expiry));
        drain();
        passTo(expiry, () -> assertThat(pushes()).isEmpty());
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        List<PushReceipt> receipts = receipts(out);
        assertThat(receipts).extracting(PushReceipt::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(receipts).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ReceiptStatus.EXPIRED);
            assertThat(r.reason()).isEqualTo("policy quiet hours: the push expired while held");
        });
        Coordinator release = release(likeId("a", "post-1"), expiry);
        assertThat(release.state()).isEqualTo(Flow.DONE);
        assertThat(release.notes()).containsEntry(Flows.POLICY, "expired").containsEntry(Flows.PUSHES, "0");
        assertThat(policy("expired")).isEqualTo(1.0);
        assertThat(policy("released")).isZero();
        assertThat(heldEntries()).isZero();
        jump(Duration.ofHours(3));
        assertThat(pushes()).isEmpty();
    }

    @Test
    void aPassThroughCategoryIsPushedAtOnceInQuietHoursButNotWhenMuted() {
        open(config().withQuietHoursPassThrough(Set.of("follow")));
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        follow("x");
        assertThat(pushes()).hasSize(2).allSatisfy(p -> assertThat(p.data()).containsEntry("type", "follow"));
        assertThat(journal(followId("x")).notes()).containsEntry(Flows.POLICY, "passed").containsEntry(Flows.PUSHES, "2");
        assertThat(policy("passed")).isEqualTo(1.0);
        // Likes do not pass: held.
        like("a", "post-1");
        assertThat(pushes()).isEmpty();
        assertThat(journal(likeId("a", "post-1")).notes()).containsEntry(Flows.POLICY, "held");

        // A mute still applies to a pass-through category.
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of("follow"));
        follow("y");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        assertThat(receipts(out)).hasSize(2).allSatisfy(r -> assertThat(r.reason()).isEqualTo("policy muted: u1 muted follow pushes"));
        assertThat(journal(followId("y")).notes()).containsEntry(Flows.POLICY, "muted");
    }

    @Test
    void quietHoursRemovedWhileHeldReleaseAtTheDueTimeAsPlanned() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        jump(Duration.ofMinutes(5));
        preferences(TOKYO, List.of(), List.of());
        like("b", "post-1");   // not quiet any more: at once
        assertThat(pushes()).extracting(PushTask::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("b", "post-1"));
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        passTo(end, () -> assertThat(pushes()).isEmpty());
        assertThat(pushes()).extracting(PushTask::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(release(likeId("a", "post-1"), end).notes()).containsEntry(Flows.POLICY, "released");
    }

    @Test
    void aCategoryMutedWhileHeldIsNotSentWhenDue() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        jump(Duration.ofMinutes(5));
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of("like"));
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        drain();
        passTo(end, () -> assertThat(pushes()).isEmpty());
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        assertThat(receipts(out)).extracting(PushReceipt::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(receipts(out)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ReceiptStatus.CANCELLED);
            assertThat(r.reason()).isEqualTo("policy muted: u1 muted like pushes");
        });
        assertThat(release(likeId("a", "post-1"), end).notes()).containsEntry(Flows.POLICY, "muted").containsEntry(Flows.PUSHES, "0");
        assertThat(policy("muted")).isEqualTo(1.0);
        assertThat(heldEntries()).isZero();
    }

    @Test
    void quietHoursLongerThanPlannedHoldThePushesAgainUntilTheNewEnd() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        jump(Duration.ofMinutes(5));
        preferences(TOKYO, List.of(everyDay("20:30", "21:45")), List.of());   // now until 12:45Z
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        Instant later = Instant.parse("2026-03-01T12:45:00Z");
        passTo(end, () -> assertThat(pushes()).isEmpty());
        assertThat(pushes()).isEmpty();
        Coordinator first = release(likeId("a", "post-1"), end);
        assertThat(first.notes()).containsEntry(Flows.POLICY, "held").containsEntry(Flows.HELD_UNTIL, later.toString())
                .containsEntry(Flows.PUSHES, "0").hasEntrySatisfying(Flows.POLICY_REASON, r -> assertThat(r).startsWith("still in quiet hours"));
        assertThat(heldEntries()).isEqualTo(3);
        passTo(later, () -> assertThat(pushes()).isEmpty());
        assertThat(pushes()).extracting(PushTask::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(release(likeId("a", "post-1"), later).notes()).containsEntry(Flows.POLICY, "released");
        assertThat(policy("held")).isEqualTo(2.0);
        assertThat(policy("released")).isEqualTo(1.0);
        assertThat(heldEntries()).isZero();
    }

    @Test
    void aRestartWhilePushesAreHeldLosesNoneAndPushesThemOnce() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        follow("x");
        assertThat(pushes()).isEmpty();
        assertThat(heldEntries()).isEqualTo(6);

        restart(config());
        assertThat(heldEntries()).isEqualTo(6);
        like("b", "post-1");   // the restored preferences hold it too
        assertThat(pushes()).isEmpty();
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        passTo(end, () -> assertThat(pushes()).isEmpty());
        List<PushTask> pushes = pushes();
        assertThat(pushes).hasSize(6);
        assertThat(pushes).extracting(PushTask::pushId).doesNotHaveDuplicates()
                .containsAll(likePushIds("a", "post-1")).containsAll(likePushIds("b", "post-1"));
        assertThat(pushes).filteredOn(p -> "follow".equals(p.data().get("type"))).hasSize(2);
        assertThat(heldEntries()).isZero();

        // And a restart after they were pushed pushes nothing again.
        restart(config());
        jump(Duration.ofHours(2));
        assertThat(pushes()).isEmpty();
    }

    @Test
    void anUnlikeTakesBackTheHeldPushesOfItsLike() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        jump(Duration.ofMinutes(5));
        drain();
        unlike("a", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(receipts(out)).extracting(PushReceipt::pushId).containsExactlyInAnyOrderElementsOf(likePushIds("a", "post-1"));
        assertThat(receipts(out)).allSatisfy(r -> assertThat(r.status()).isEqualTo(ReceiptStatus.CANCELLED));
        Coordinator unlike = journal("unlike:" + PushIds.eventKey(LIKES.toString(), "evt-unlike-a-post-1"));
        assertThat(unlike.state()).isEqualTo(Flow.DONE);
        assertThat(unlike.notes()).containsEntry(Flows.HOLD, "taken-back");
        assertThat(heldEntries()).isZero();
        jump(Duration.ofHours(1));
        assertThat(pushes()).isEmpty();
        assertThat(release(likeId("a", "post-1"), Instant.parse("2026-03-01T12:30:00Z"))).as("nothing to release").isNull();
    }

    @Test
    void aBanOfTheActorWhileHeldCancelsTheRelease() {
        open(config());
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        ban("a");
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        passTo(end, () -> assertThat(pushes()).isEmpty());
        assertThat(pushes()).isEmpty();
        Coordinator release = release(likeId("a", "post-1"), end);
        assertThat(release.state()).isEqualTo(Flow.CANCELLED);
        assertThat(release.journal().get(release.journal().size() - 1).detail()).isEqualTo("banned: profile a (actor)");
        assertThat(heldEntries()).as("dropped with it").isZero();
    }

    // ---- like digests

    @Test
    void aLikeDigestDueInQuietHoursIsHeldAndSentWhenTheyEnd() {
        CoordinatorConfig config = config().withLikeDigestWindow(Duration.ofMinutes(10));
        open(config);
        preferences(TOKYO, List.of(everyDay("20:30", "21:30")), List.of());
        like("a", "post-1");
        like("b", "post-1");
        String digestId = journal(likeId("a", "post-1")).notes().get(Flows.DIGEST_ID);
        assertThat(journal(likeId("a", "post-1")).notes()).doesNotContainKey(Flows.POLICY);   // folded: policy applies to the digest
        jump(Duration.ofMinutes(10).plus(TICK));
        assertThat(pushes()).isEmpty();
        String sender = Flows.LIKE_DIGEST + ":" + digestId;
        Instant end = Instant.parse("2026-03-01T12:30:00Z");
        assertThat(journal(sender).notes()).containsEntry(Flows.POLICY, "held").containsEntry(Flows.DIGEST, "held")
                .containsEntry(Flows.PUSHES, "0").containsEntry(Flows.HELD_UNTIL, end.toString());
        assertThat(registry.find(CoordinatorMetrics.LIKE_DIGEST).tags("outcome", "held").counter().count()).isEqualTo(1.0);

        passTo(end, () -> assertThat(pushes()).isEmpty());
        List<PushTask> pushes = pushes();
        assertThat(pushes).hasSize(2).allSatisfy(p -> {
            assertThat(p.pushId()).isEqualTo(PushIds.pushId(CoordinatorConfig.DEFAULT_SOURCE.toString(), digestId, p.token()));
            assertThat(p.body()).isEqualTo("b and a liked your post");
            assertThat(p.data()).containsEntry("type", "like-digest");
        });
        Coordinator release = release(sender, end);
        assertThat(release.notes()).containsEntry(Flows.POLICY, "released").containsEntry(Flows.PUSHES, "2");
        assertThat(release.input()).containsEntry(Flows.EVENT_ID, digestId).doesNotContainKey(Flows.ACTOR);
        assertThat(heldEntries()).isZero();
    }

    @Test
    void aMutedLikeDigestIsNotSent() {
        open(config().withLikeDigestWindow(Duration.ofMinutes(10)));
        preferences(TOKYO, List.of(), List.of("like"));
        like("a", "post-1");
        drain();
        jump(Duration.ofMinutes(10).plus(TICK));
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(pushes(out)).isEmpty();
        assertThat(receipts(out)).hasSize(2).allSatisfy(r -> assertThat(r.status()).isEqualTo(ReceiptStatus.CANCELLED));
        String digestId = journal(likeId("a", "post-1")).notes().get(Flows.DIGEST_ID);
        assertThat(journal(Flows.LIKE_DIGEST + ":" + digestId).notes()).containsEntry(Flows.POLICY, "muted")
                .containsEntry(Flows.DIGEST, "muted");
    }
}
