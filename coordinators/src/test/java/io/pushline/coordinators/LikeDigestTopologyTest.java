package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.Lane;
import io.pushline.contracts.NotificationUpdated;
import io.pushline.contracts.Priority;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.Topics;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The like digest (issue 19) on Kafka's TopologyTestDriver: with {@link CoordinatorConfig#likeDigestWindow} on, the likes
 * of one recipient within the window become one push per device when it ends; the per-post notifications go on as
 * before. The clock is the driver's wall clock ({@link #tick}, {@link #jump}); a restart is a new driver over stores
 * that start with what the old one's held ({@link #restart}), as a task restored from its changelogs does.
 */
class LikeDigestTopologyTest {
    private static final Instant WALL = Instant.parse("2026-03-01T12:00:00Z");
    private static final URI LIKES = URI.create("urn:pushline:service:likes");
    private static final URI MODERATION = URI.create("urn:pushline:service:moderation");
    private static final Duration TICK = Duration.ofMillis(50);
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final String OWNER = "u1";
    private static final List<String> OWNER_TOKENS = List.of("u1-token-apns-0001", "u1-token-fcm-000002");
    private static final List<String> OUTPUTS = List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY,
            Topics.NOTIFICATIONS, Topics.PUSH_HIGH, Topics.COORDINATORS_PARKED, Topics.DEAD_LETTERS, Topics.COORDINATOR_INTAKE);
    private static final List<String> STORES = List.of(CoordinatorProcessor.JOURNAL_STORE, CoordinatorProcessor.SCHEDULE_STORE,
            Facts.STORE, Facts.DEVICES_STORE, Bans.STORE);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private CoordinatorTestDriver d;

    private CoordinatorConfig config() {
        return CoordinatorConfig.defaults().withMeterRegistry(registry).withLikeDigestWindow(WINDOW);
    }

    /** Opens the driver (a first time, or again after {@link #restart}) and registers the owner's devices. */
    private void open(CoordinatorConfig config) {
        if (d == null) {
            d = new CoordinatorTestDriver(stateDir, "coordinators-digest-test", WALL, OUTPUTS, STORES);
        }
        d.open(config);
        registerOwnerDevices();
    }

    private void restart(CoordinatorConfig config) {
        d.restart(config);
        registerOwnerDevices();
    }

    private void registerOwnerDevices() {
        d.registerDevices(OWNER, OWNER_TOKENS, WALL.minusSeconds(3600));
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

    private static String likeEvent(String actor, String post) {
        return "evt-like-" + actor + "-" + post;
    }

    private void tick(Duration total) {
        d.tick(total);
    }

    private void jump(Duration total) {
        d.jump(total);
    }

    // ---- outputs and state

    private Map<String, List<TestRecord<byte[], byte[]>>> drain() {
        return d.drain();
    }

    private List<PushTask> pushes() {
        return drain().get(Topics.PUSH_HIGH).stream().map(r -> d.<PushTask>data(r)).toList();
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

    private Coordinator likeCoordinator(String actor, String post) {
        return journal("like:" + PushIds.eventKey(LIKES.toString(), likeEvent(actor, post)));
    }

    private Coordinator unlikeCoordinator(String actor, String post) {
        return journal("unlike:" + PushIds.eventKey(LIKES.toString(), "evt-unlike-" + actor + "-" + post));
    }

    private Facts.Digest openDigest() {
        return new Facts(d.driver().getKeyValueStore(Facts.STORE), d.driver().getKeyValueStore(Facts.DEVICES_STORE)).digest(OWNER);
    }

    private double digests(String outcome) {
        Counter c = registry.find(CoordinatorMetrics.LIKE_DIGEST).tags("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static String pushId(String digestId, String token) {
        return PushIds.pushId(CoordinatorConfig.DEFAULT_SOURCE.toString(), digestId, token);
    }

    // ---- the digest

    @Test
    void fifteenLikesWithinTheWindowBecomeOnePushPerDeviceWhenItEnds() {
        open(config());
        List<String> actors = IntStream.range(0, 15).mapToObj(i -> "a" + i).toList();
        for (String actor : actors) {
            like(actor, "post-1");
            jump(Duration.ofSeconds(1));
        }
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(out.get(Topics.PUSH_HIGH)).as("no push before the window ends").isEmpty();
        // Everything else a like does goes on as before, the per-post notification included.
        assertThat(out.get(Topics.STATE_LIKES)).hasSize(15);
        assertThat(out.get(Topics.TIMELINE_ENTRIES)).hasSize(15);
        assertThat(out.get(Topics.ACTIVITY)).hasSize(15);
        List<NotificationUpdated> ns = out.get(Topics.NOTIFICATIONS).stream().map(r -> this.<NotificationUpdated>data(r)).toList();
        assertThat(ns).hasSize(15).extracting(NotificationUpdated::notificationId).containsOnly(ns.get(0).notificationId());
        assertThat(ns.get(14).text()).isEqualTo("a14 and 14 others liked your post");
        assertThat(ns.get(14).actorCount()).isEqualTo(15);

        // The journal says which digest each like joined, and that it pushed nothing.
        Coordinator first = likeCoordinator("a0", "post-1");
        String digestId = first.notes().get(Flows.DIGEST_ID);
        assertThat(digestId).isEqualTo(Flows.digestId(OWNER, WALL.toEpochMilli()));
        assertThat(first.state()).isEqualTo(Flow.DONE);
        assertThat(first.notes()).containsEntry(Flows.DIGEST, "opened").containsEntry(Flows.PUSHES, "0");
        for (String actor : actors.subList(1, 15)) {
            Coordinator c = likeCoordinator(actor, "post-1");
            assertThat(c.state()).as(actor).isEqualTo(Flow.DONE);
            assertThat(c.notes()).as(actor).containsEntry(Flows.DIGEST_ID, digestId).containsEntry(Flows.DIGEST, "folded")
                    .containsEntry(Flows.PUSHES, "0");
        }
        Facts.Digest open = openDigest();
        assertThat(open.count()).isEqualTo(15);
        assertThat(open.likes()).hasSize(15).first().isEqualTo(new Facts.Liked("a14", "post-1"));
        assertThat(digests("folded")).isEqualTo(15.0);

        // Just before the window ends: still nothing.
        jump(WINDOW.minus(d.elapsed()).minus(TICK));
        assertThat(drain().get(Topics.PUSH_HIGH)).isEmpty();
        tick(TICK.multipliedBy(2));
        List<TestRecord<byte[], byte[]>> records = drain().get(Topics.PUSH_HIGH);
        assertThat(records).hasSize(OWNER_TOKENS.size());
        List<PushTask> pushes = records.stream().map(r -> this.<PushTask>data(r)).toList();
        assertThat(pushes).extracting(PushTask::token).containsExactlyInAnyOrderElementsOf(OWNER_TOKENS);
        for (TestRecord<byte[], byte[]> r : records) {
            PushTask p = data(r);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(OWNER);
            assertThat(envelope(r).id()).isEqualTo(p.pushId());
            assertThat(envelope(r).source()).isEqualTo(CoordinatorConfig.DEFAULT_SOURCE);
            assertThat(p.pushId()).isEqualTo(pushId(digestId, p.token()));
            assertThat(p.sourceEventId()).isEqualTo(digestId);
            assertThat(p.userId()).isEqualTo(OWNER);
            assertThat(p.lane()).isEqualTo(Lane.HIGH);
            assertThat(p.priority()).isEqualTo(Priority.HIGH);
            assertThat(p.title()).isEqualTo("New likes");
            assertThat(p.body()).isEqualTo("a14, a13 and 13 others liked your post");
            assertThat(p.data()).containsEntry("type", "like-digest").containsEntry("digestId", digestId)
                    .containsEntry("count", "15").containsEntry("postId", "post-1");
            assertThat(p.collapseKey()).isEqualTo("like-digest-" + digestId);
            assertThat(p.ttlSeconds()).isEqualTo(3600);
        }
        // Sent by a coordinator of its own, whose journal holds what was pushed; the digest's state is gone.
        Coordinator sender = journal(Flows.LIKE_DIGEST + ":" + digestId);
        assertThat(sender.state()).isEqualTo(Flow.DONE);
        assertThat(sender.recipient()).isEqualTo(OWNER);
        assertThat(sender.input()).containsEntry(Flows.DIGEST_LIKES, "15").containsEntry(Flows.DIGEST_ACTOR_COUNT, "15")
                .containsEntry(Flows.DIGEST_POSTS, "post-1")
                .containsEntry(Flows.DIGEST_ACTORS, String.join(",", IntStream.range(0, 15).mapToObj(i -> actors.get(14 - i)).toList()));
        assertThat(sender.notes()).containsEntry(Flows.DIGEST, "sent").containsEntry(Flows.PUSHES, "2")
                .containsEntry(Flows.TEXT, "a14, a13 and 13 others liked your post");
        assertThat(openDigest()).isNull();
        assertThat(digests("sent")).isEqualTo(1.0);
        assertThat(digests("empty")).isZero();

        // Nothing more, however long one waits: the digest was pushed once.
        jump(Duration.ofHours(2));
        assertThat(drain().get(Topics.PUSH_HIGH)).isEmpty();
    }

    @Test
    void aLikeAfterTheDigestWasSentOpensANewOne() {
        open(config().withLikeDigestWindow(Duration.ofMinutes(1)));
        like("a", "post-1");
        String firstId = likeCoordinator("a", "post-1").notes().get(Flows.DIGEST_ID);
        assertThat(pushes()).isEmpty();
        jump(Duration.ofMinutes(1).plus(TICK));
        List<PushTask> first = pushes();
        assertThat(first).hasSize(2).allSatisfy(p -> {
            assertThat(p.title()).isEqualTo("New like");
            assertThat(p.body()).isEqualTo("a liked your post");
            assertThat(p.data()).containsEntry("count", "1").containsEntry("digestId", firstId);
        });

        like("b", "post-1");
        jump(Duration.ofSeconds(5));
        like("c", "post-2");
        String secondId = likeCoordinator("b", "post-1").notes().get(Flows.DIGEST_ID);
        assertThat(secondId).isNotEqualTo(firstId);
        assertThat(likeCoordinator("b", "post-1").notes()).containsEntry(Flows.DIGEST, "opened");
        assertThat(likeCoordinator("c", "post-2").notes()).containsEntry(Flows.DIGEST_ID, secondId).containsEntry(Flows.DIGEST, "folded");
        assertThat(pushes()).isEmpty();
        jump(Duration.ofMinutes(1));
        List<PushTask> second = pushes();
        assertThat(second).hasSize(2).allSatisfy(p -> {
            assertThat(p.body()).isEqualTo("c and b liked your posts");
            assertThat(p.data()).containsEntry("count", "2").containsEntry("digestId", secondId).doesNotContainKey("postId");
            assertThat(p.pushId()).isEqualTo(pushId(secondId, p.token()));
            assertThat(p.collapseKey()).isEqualTo("like-digest-" + secondId);
        });
        assertThat(second).extracting(PushTask::pushId).doesNotContainAnyElementsOf(first.stream().map(PushTask::pushId).toList());
        assertThat(digests("sent")).isEqualTo(2.0);
    }

    @Test
    void anUnlikeTakesItsLikeOutOfTheOpenDigest() {
        open(config());
        for (String actor : List.of("a", "b", "c")) {
            like(actor, "post-1");
            jump(Duration.ofSeconds(1));
        }
        unlike("c", "post-1");
        assertThat(unlikeCoordinator("c", "post-1").notes()).containsEntry(Flows.DIGEST, "taken-out");
        assertThat(unlikeCoordinator("c", "post-1").input())
                .containsEntry(Flows.DIGEST_ID, likeCoordinator("c", "post-1").notes().get(Flows.DIGEST_ID));
        assertThat(openDigest().count()).isEqualTo(2);
        assertThat(openDigest().likes()).containsExactly(new Facts.Liked("b", "post-1"), new Facts.Liked("a", "post-1"));
        drain();
        jump(WINDOW);
        assertThat(pushes()).hasSize(2).allSatisfy(p -> {
            assertThat(p.body()).isEqualTo("b and a liked your post");
            assertThat(p.data()).containsEntry("count", "2");
        });

        // A like whose digest was sent already: its unlike undoes the rest, the push stays sent.
        unlike("b", "post-1");
        assertThat(unlikeCoordinator("b", "post-1").notes()).containsEntry(Flows.DIGEST, "sent-already");
        assertThat(unlikeCoordinator("b", "post-1").state()).isEqualTo(Flow.DONE);
        assertThat(openDigest()).isNull();
        assertThat(pushes()).isEmpty();
    }

    @Test
    void aDigestWhoseLikesWereAllTakenBackPushesNothing() {
        open(config());
        like("a", "post-1");
        like("b", "post-2");
        jump(Duration.ofSeconds(30));
        unlike("a", "post-1");
        unlike("b", "post-2");
        Facts.Digest empty = openDigest();
        assertThat(empty.count()).isZero();
        assertThat(empty.likes()).isEmpty();
        jump(WINDOW);
        assertThat(pushes()).isEmpty();
        assertThat(openDigest()).as("deleted at its due time all the same").isNull();
        assertThat(journal(Flows.LIKE_DIGEST + ":" + empty.id())).as("no coordinator to push nothing").isNull();
        assertThat(digests("empty")).isEqualTo(1.0);
        assertThat(digests("sent")).isZero();
    }

    @Test
    void aRestartWhileADigestIsOpenLosesNothingAndPushesItOnce() {
        open(config());
        for (String actor : List.of("a", "b", "c")) {
            like(actor, "post-1");
            jump(Duration.ofSeconds(1));
        }
        String digestId = likeCoordinator("a", "post-1").notes().get(Flows.DIGEST_ID);
        assertThat(pushes()).isEmpty();

        restart(config());
        assertThat(openDigest().id()).isEqualTo(digestId);
        like("d", "post-1"); // folded into the restored digest
        assertThat(likeCoordinator("d", "post-1").notes()).containsEntry(Flows.DIGEST_ID, digestId);
        jump(WINDOW.minus(d.elapsed()).minus(TICK));
        assertThat(pushes()).isEmpty();
        tick(TICK.multipliedBy(2));
        List<PushTask> pushes = pushes();
        assertThat(pushes).hasSize(2).allSatisfy(p -> {
            assertThat(p.body()).isEqualTo("d, c and 2 others liked your post");
            assertThat(p.pushId()).isEqualTo(pushId(digestId, p.token()));
        });

        // And a restart after it was pushed does not push it again.
        restart(config());
        jump(Duration.ofHours(1));
        assertThat(pushes()).isEmpty();
        assertThat(openDigest()).isNull();
    }

    @Test
    void aSelfLikeJoinsNoDigest() {
        open(config());
        like(OWNER, "post-1");
        assertThat(likeCoordinator(OWNER, "post-1").notes()).containsEntry(Flows.NOTIFIED, "false").containsEntry(Flows.PUSHES, "0")
                .doesNotContainKey(Flows.DIGEST_ID);
        assertThat(openDigest()).isNull();
        jump(WINDOW.plus(TICK));
        assertThat(pushes()).isEmpty();
    }

    @Test
    void aBanOfTheRecipientCancelsTheDigestsPush() {
        open(config());
        like("a", "post-1");
        String digestId = likeCoordinator("a", "post-1").notes().get(Flows.DIGEST_ID);
        d.publish(Topics.EVENTS, OWNER, Envelope.of("evt-ban-1", MODERATION, now(), new ProfileBanned(OWNER, "spam")));
        jump(WINDOW.plus(TICK));
        assertThat(pushes()).isEmpty();
        Coordinator sender = journal(Flows.LIKE_DIGEST + ":" + digestId);
        assertThat(sender.state()).isEqualTo(Flow.CANCELLED);
        assertThat(sender.journal().get(sender.journal().size() - 1).detail()).isEqualTo("banned: profile u1 (recipient)");
    }

    // ---- what a digest says

    @Test
    void theTextNamesTheNewestTwoAndCountsThePeople() {
        assertThat(Flows.digestText(1, List.of("alice"), false)).isEqualTo("alice liked your post");
        assertThat(Flows.digestText(2, List.of("alice", "bob"), false)).isEqualTo("alice and bob liked your post");
        assertThat(Flows.digestText(3, List.of("alice", "bob", "carol"), true)).isEqualTo("alice, bob and 1 other liked your posts");
        assertThat(Flows.digestText(15, List.of("alice", "bob"), false)).isEqualTo("alice, bob and 13 others liked your post");
        assertThat(Flows.digestText(4, List.of("alice"), false)).isEqualTo("alice and 3 others liked your post");
        assertThat(Flows.digestText(2, List.of(), false)).isEqualTo("2 people liked your post");
        assertThat(Flows.digestText(0, List.of(), false)).isEmpty();
    }

    @Test
    void theInputCountsPeopleNotLikesAndLeavesOutBannedActors() {
        // alice liked two posts: two likes, one person.
        Facts.Digest d = new Facts.Digest("d-1", 1_000, 3, List.of(new Facts.Liked("alice", "p2"), new Facts.Liked("bob", "p1"),
                new Facts.Liked("alice", "p1")), List.of("p2", "p1"));
        Map<String, String> input = Flows.digestInput(d, profile -> false);
        assertThat(input).containsEntry(Flows.DIGEST_ID, "d-1").containsEntry(Flows.EVENT_ID, "d-1")
                .containsEntry(Flows.DIGEST_START, "1000").containsEntry(Flows.DIGEST_LIKES, "3")
                .containsEntry(Flows.DIGEST_ACTOR_COUNT, "2").containsEntry(Flows.DIGEST_ACTORS, "alice,bob")
                .containsEntry(Flows.DIGEST_POSTS, "p2,p1");
        assertThat(Flows.digestInput(d, "alice"::equals)).containsEntry(Flows.DIGEST_LIKES, "1")
                .containsEntry(Flows.DIGEST_ACTORS, "bob").containsEntry(Flows.DIGEST_POSTS, "p1");
        assertThat(Flows.digestInput(d, profile -> true)).as("nobody left").isNull();
        // More likes than it remembers: the forgotten ones are taken for other people.
        Facts.Digest big = new Facts.Digest("d-2", 1_000, 50, List.of(new Facts.Liked("x", "p1"), new Facts.Liked("y", "p1")), List.of("p1"));
        assertThat(Flows.digestInput(big, profile -> false)).containsEntry(Flows.DIGEST_ACTOR_COUNT, "50")
                .containsEntry(Flows.DIGEST_LIKES, "50");
    }

    @Test
    void aDigestPushRedoneAfterACrashHasTheSameIds() {
        // A crash before the wake-up's transaction commits leaves the digest open: its push is redone, from the same
        // input, and must carry the same ids (the workers' receipts then send it once).
        Facts.Digest d = new Facts.Digest(Flows.digestId(OWNER, 1_000), 1_000, 1, List.of(new Facts.Liked("a", "p1")), List.of("p1"));
        Map<String, String> input = Flows.digestInput(d, profile -> false);
        SupervisorPolicy policy = SupervisorPolicy.DEFAULT;
        List<Output> once = TestFlows.create().device(OWNER, OWNER_TOKENS.get(0)).engine(policy)
                .start(Flows.LIKE_DIGEST + ":" + d.id(), Flows.LIKE_DIGEST, OWNER, input, WALL).outputs();
        List<Output> again = TestFlows.create().device(OWNER, OWNER_TOKENS.get(0)).engine(policy)
                .start(Flows.LIKE_DIGEST + ":" + d.id(), Flows.LIKE_DIGEST, OWNER, input, WALL.plusSeconds(3)).outputs();
        assertThat(once).hasSize(1);
        assertThat(again).extracting(o -> o.event().id()).containsExactly(once.get(0).event().id());
        assertThat(once.get(0).event().id()).isEqualTo(pushId(d.id(), OWNER_TOKENS.get(0)));
    }

    @Test
    void withTheDigestOffEveryLikePushesAtOnceAsBefore() {
        // The default; CoordinatorTopologyTest's likes (one push per device per like) run with it too.
        open(CoordinatorConfig.defaults().withMeterRegistry(registry));
        for (int i = 0; i < 15; i++) {
            like("a" + i, "post-1");
            assertThat(pushes()).as("like %d", i).hasSize(OWNER_TOKENS.size())
                    .allSatisfy(p -> assertThat(p.data()).containsEntry("type", "like"));
        }
        assertThat(likeCoordinator("a0", "post-1").notes()).containsEntry(Flows.PUSHES, "2").doesNotContainKey(Flows.DIGEST_ID);
        assertThat(openDigest()).isNull();
        jump(Duration.ofMinutes(16));
        assertThat(pushes()).isEmpty();
        assertThat(digests("folded")).isZero();
    }
}
