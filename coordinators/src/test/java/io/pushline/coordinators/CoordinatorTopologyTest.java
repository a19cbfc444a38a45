package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.ActivityRecorded;
import io.pushline.contracts.ActivityVerb;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Lane;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.NotificationKind;
import io.pushline.contracts.NotificationUpdated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelineEntryUpdated;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The coordinators' topology on Kafka's TopologyTestDriver (exactly-once v2, in-memory stores, one partition per topic,
 * so co-partitioning holds trivially; records written to the intake topic are fed back in, as the broker would). The
 * processor's clock is the driver's mocked wall clock: {@link #tick} advances it and runs the punctuator.
 */
class CoordinatorTopologyTest {
    private static final Instant WALL = Instant.parse("2026-03-01T12:00:00Z");
    private static final URI LIKES = URI.create("urn:pushline:service:likes");
    private static final URI FOLLOWS = URI.create("urn:pushline:service:follows");
    private static final Duration TICK = Duration.ofMillis(50);
    private static final String OWNER = "u1";
    private static final List<String> OWNER_TOKENS = List.of("u1-token-apns-0001", "u1-token-fcm-000002");
    /** Every topic the topology writes. */
    private static final List<String> OUTPUTS = List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY,
            Topics.NOTIFICATIONS, Topics.PUSH_HIGH, Topics.COORDINATORS_PARKED, Topics.DEAD_LETTERS, Topics.COORDINATOR_INTAKE);

    /** Strict: every output is checked against its schema on the way out of the test (the processor trusts push tasks). */
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** While set, the like's NOTIFYING step throws for the post {@code poison}. */
    private final AtomicBoolean poisoned = new AtomicBoolean(true);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestInputTopic<byte[], byte[]> devices;
    private TestInputTopic<byte[], byte[]> commands;
    private final Map<String, TestOutputTopic<byte[], byte[]>> outputs = new LinkedHashMap<>();

    private CoordinatorConfig config() {
        return CoordinatorConfig.defaults().withMeterRegistry(registry);
    }

    /** A decorator making the like's NOTIFYING step throw for post {@code poison} while {@link #poisoned}. */
    private CoordinatorConfig.StepDecorator poison() {
        return (flow, state, step) -> flow.equals(Flows.LIKE) && state.equals("NOTIFYING") ? ctx -> {
            if (poisoned.get() && ctx.input(Flows.POST).equals("poison")) {
                throw new RuntimeException("poisoned post");
            }
            step.run(ctx);
        } : step;
    }

    private void open(CoordinatorConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "coordinators-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(CoordinatorTopology.build(config, Stores::inMemoryKeyValueStore), props, WALL);
        ByteArraySerializer out = new ByteArraySerializer();
        events = driver.createInputTopic(Topics.EVENTS, out, out);
        devices = driver.createInputTopic(Topics.STATE_DEVICES, out, out);
        commands = driver.createInputTopic(Topics.COORDINATOR_COMMANDS, out, out);
        ByteArrayDeserializer in = new ByteArrayDeserializer();
        for (String topic : OUTPUTS) {
            outputs.put(topic, driver.createOutputTopic(topic, in, in));
        }
        for (String token : OWNER_TOKENS) {
            device(OWNER, token);
        }
        device("u9", "u9-token-apns-0001"); // someone else's device: never pushed to by u1's flows
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    // ---- inputs

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private void publish(TestInputTopic<byte[], byte[]> topic, String key, Envelope<?> envelope) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(envelope, headers);
        topic.pipeInput(new TestRecord<>(utf8(key), value, headers, envelope.time()));
    }

    private void device(String user, String token) {
        publish(devices, user + "|" + token, Envelope.of("dev-" + token, URI.create("urn:pushline:service:devices"), WALL.minusSeconds(3600),
                new DeviceRegistered(user, token, Platform.APNS, "io.pushline.app", WALL.minusSeconds(3600))));
    }

    private Envelope<LikeCreated> like(String id, Instant time, String actor, String post) {
        Envelope<LikeCreated> e = Envelope.of(id, LIKES, time, new LikeCreated(actor, post, OWNER));
        publish(events, OWNER, e);
        return e;
    }

    private void unlike(String id, Instant time, String actor, String post) {
        publish(events, OWNER, Envelope.of(id, LIKES, time, new LikeRemoved(actor, post, OWNER)));
    }

    private void command(String key, String json) {
        commands.pipeInput(new TestRecord<>(utf8(key), utf8(json), new RecordHeaders(), WALL));
    }

    /** Advances the wall clock by {@code total}, one tick at a time (each runs the punctuator once). */
    private void tick(Duration total) {
        for (long done = 0; done < total.toMillis(); done += TICK.toMillis()) {
            driver.advanceWallClockTime(TICK);
        }
    }

    /** Advances the wall clock by {@code total} at once: the punctuator runs once, at the end. */
    private void jump(Duration total) {
        driver.advanceWallClockTime(total);
    }

    // ---- outputs

    /** What the topology wrote since the last call, by topic (every topic present, maybe empty). */
    private Map<String, List<TestRecord<byte[], byte[]>>> drain() {
        Map<String, List<TestRecord<byte[], byte[]>>> out = new LinkedHashMap<>();
        outputs.forEach((topic, t) -> out.put(topic, t.readRecordsToList()));
        return out;
    }

    private static Map<String, Integer> counts(Map<String, List<TestRecord<byte[], byte[]>>> drained) {
        Map<String, Integer> out = new LinkedHashMap<>();
        drained.forEach((topic, records) -> out.put(topic, records.size()));
        return out;
    }

    private static Map<String, Integer> expect(Object... topicAndCount) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String topic : OUTPUTS) {
            out.put(topic, 0);
        }
        for (int i = 0; i < topicAndCount.length; i += 2) {
            out.put((String) topicAndCount[i], (Integer) topicAndCount[i + 1]);
        }
        return out;
    }

    private Envelope<?> envelope(TestRecord<byte[], byte[]> record) {
        Decoded d = codec.decode(record.headers(), record.value());
        assertThat(d).as("decoded %s", d).isInstanceOf(Decoded.Ok.class);
        return ((Decoded.Ok) d).envelope();
    }

    @SuppressWarnings("unchecked")
    private <T extends EventData> T data(TestRecord<byte[], byte[]> record) {
        return (T) envelope(record).data();
    }

    private <T extends EventData> List<T> data(List<TestRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> this.<T>data(r)).toList();
    }

    private static String key(TestRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private double gauge() {
        return registry.get(CoordinatorMetrics.PARKED).gauge().value();
    }

    private double active(String flow, String state) {
        Gauge g = registry.find(CoordinatorMetrics.ACTIVE).tags("flow", flow, "state", state).gauge();
        return g == null ? 0 : g.value();
    }

    private double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private Coordinator journal(String id) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(CoordinatorProcessor.JOURNAL_STORE);
        byte[] bytes = store.get(id);
        return bytes == null ? null : new JournalCodec(TestFlows.declarations()::get).decode(bytes);
    }

    private Facts.Decision likeDecision(String actor, String post) {
        KeyValueStore<String, byte[]> facts = driver.getKeyValueStore(Facts.STORE);
        KeyValueStore<String, byte[]> devs = driver.getKeyValueStore(Facts.DEVICES_STORE);
        return new Facts(facts, devs).decision("like", actor, post);
    }

    // ---- a. one like

    @Test
    void aLikeProducesItsRecordsOnceEach() {
        open(config());
        drain();
        Instant t1 = WALL.minusMillis(1_250);
        like("evt-like-1", t1, "u2", "post-1");

        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1,
                Topics.NOTIFICATIONS, 1, Topics.PUSH_HIGH, 2));

        TestRecord<byte[], byte[]> saved = out.get(Topics.STATE_LIKES).get(0);
        assertThat(key(saved)).isEqualTo("u2|post-1");
        assertThat(envelope(saved)).isEqualTo(Envelope.of("evt-like-1", LIKES, t1, new LikeCreated("u2", "post-1", OWNER)));
        assertThat(header(saved, "ce_id")).isEqualTo("evt-like-1");

        TestRecord<byte[], byte[]> timeline = out.get(Topics.TIMELINE_ENTRIES).get(0);
        assertThat(key(timeline)).isEqualTo("u1|post-1");
        assertThat(this.<TimelineEntryUpdated>data(timeline)).isEqualTo(new TimelineEntryUpdated(OWNER, "post-1", 1));

        TestRecord<byte[], byte[]> activity = out.get(Topics.ACTIVITY).get(0);
        assertThat(key(activity)).isEqualTo(OWNER);
        assertThat(this.<ActivityRecorded>data(activity)).isEqualTo(new ActivityRecorded("u2", ActivityVerb.LIKED, "post-1", OWNER));

        TestRecord<byte[], byte[]> notificationRecord = out.get(Topics.NOTIFICATIONS).get(0);
        NotificationUpdated n = data(notificationRecord);
        assertThat(key(notificationRecord)).isEqualTo(OWNER + "|" + n.notificationId());
        assertThat(n.text()).isEqualTo("u2 liked your post");
        assertThat(n.kind()).isEqualTo(NotificationKind.LIKE);
        assertThat(n.recipientId()).isEqualTo(OWNER);
        assertThat(n.objectId()).isEqualTo("post-1");
        assertThat(n.latestActorIds()).containsExactly("u2");
        assertThat(n.actorCount()).isEqualTo(1);
        assertThat(n.collapseKey()).isEqualTo("like-post-1");
        assertThat(n.windowStart()).isEqualTo(WALL);

        List<TestRecord<byte[], byte[]>> pushRecords = out.get(Topics.PUSH_HIGH);
        List<PushTask> pushes = data(pushRecords);
        assertThat(pushes).extracting(PushTask::token).containsExactlyInAnyOrderElementsOf(OWNER_TOKENS);
        assertThat(pushRecords).isNotEmpty().allSatisfy(r -> assertThat(key(r)).isEqualTo(OWNER));
        for (TestRecord<byte[], byte[]> r : pushRecords) {
            PushTask p = data(r);
            assertThat(p.pushId()).isEqualTo(PushIds.pushId(LIKES.toString(), "evt-like-1", p.token()));
            assertThat(envelope(r).id()).isEqualTo(p.pushId());
            assertThat(p.sourceEventId()).isEqualTo("evt-like-1");
            assertThat(p.userId()).isEqualTo(OWNER);
            assertThat(p.lane()).isEqualTo(Lane.HIGH);
            assertThat(p.priority()).isEqualTo(Priority.HIGH);
            assertThat(p.collapseKey()).isEqualTo(n.collapseKey());
            assertThat(p.title()).isEqualTo("New like");
            assertThat(p.body()).isEqualTo("u2 liked your post");
            assertThat(p.data()).containsEntry("notificationId", n.notificationId()).containsEntry("postId", "post-1")
                    .containsEntry("actorId", "u2");
            assertThat(p.ttlSeconds()).isEqualTo(3600);
        }

        Coordinator c = journal(likeId("evt-like-1"));
        assertThat(c.state()).isEqualTo(Flow.DONE);
        assertThat(counter(CoordinatorMetrics.STARTED, "flow", "like")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.TRANSITIONS, "flow", "like", "kind", "SUCCEEDED")).isEqualTo(5.0);
    }

    @Test
    void aRemovedDeviceIsNotPushedTo() {
        open(config());
        devices.pipeInput(new TestRecord<>(utf8(OWNER + "|" + OWNER_TOKENS.get(0)), null, new RecordHeaders(), WALL));
        drain();
        like("evt-like-d", WALL, "u2", "post-1");
        assertThat(this.<PushTask>data(drain().get(Topics.PUSH_HIGH))).extracting(PushTask::token).containsExactly(OWNER_TOKENS.get(1));
    }

    // ---- b. duplicates

    @Test
    void aRedeliveredLikeAndASecondLikeOfTheSamePostAreNoOps() {
        open(config());
        drain();
        Envelope<LikeCreated> e = like("evt-like-1", WALL.minusSeconds(1), "u2", "post-1");
        publish(events, OWNER, e);
        publish(events, OWNER, e);
        Map<String, Integer> once = expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1,
                Topics.NOTIFICATIONS, 1, Topics.PUSH_HIGH, 2);
        assertThat(counts(drain())).isEqualTo(once);

        like("evt-like-1-again", WALL, "u2", "post-1");
        assertThat(counts(drain())).isEqualTo(expect());
        tick(Duration.ofSeconds(1));
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "duplicate")).isEqualTo(2.0);
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "already")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.STARTED, "flow", "like")).isEqualTo(1.0);
        assertThat(journal(likeId("evt-like-1-again"))).isNull();
    }

    @Test
    void aFinishedLikeSeededAsHistoryIsWhatTheFlowsRead() {
        // FinishedLikes writes what a finished like leaves in the facts store (for bench history): the flows must read
        // it as their own, so that the same like again is a no-op and its unlike undoes it.
        open(config());
        drain();
        KeyValueStore<String, byte[]> facts = driver.getKeyValueStore(Facts.STORE);
        Instant then = WALL.minus(Duration.ofDays(90));
        java.util.Map.Entry<String, byte[]> decision = FinishedLikes.decision("u2", "post-1", then, "evt-old", "like:old");
        java.util.Map.Entry<String, byte[]> count = FinishedLikes.count("post-1", 1);
        facts.put(decision.getKey(), decision.getValue());
        facts.put(count.getKey(), count.getValue());
        assertThat(likeDecision("u2", "post-1")).isEqualTo(new Facts.Decision(true, then.toEpochMilli(), "evt-old", "like:old"));

        like("evt-like-again", WALL, "u2", "post-1");
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "already")).isEqualTo(1.0);

        unlike("evt-unlike-1", WALL, "u2", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(this.<TimelineEntryUpdated>data(out.get(Topics.TIMELINE_ENTRIES).get(0)))
                .isEqualTo(new TimelineEntryUpdated(OWNER, "post-1", 0));
        assertThat(FinishedLikes.factsChangelog("pushline-coordinators")).isEqualTo("pushline-coordinators-coordinator-facts-changelog");
        assertThatThrownBy(() -> FinishedLikes.count("post-1", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- c. order

    @Test
    void anUnlikeDeliveredBeforeItsLikeLeavesNothing() {
        open(config());
        drain();
        Instant t1 = WALL.minusSeconds(10);
        Instant t2 = WALL.minusSeconds(5);
        unlike("evt-unlike-1", t2, "u2", "post-1");
        like("evt-like-1", t1, "u2", "post-1");
        tick(Duration.ofSeconds(1));

        assertThat(counts(drain())).isEqualTo(expect());
        Facts.Decision d = likeDecision("u2", "post-1");
        assertThat(d.active()).isFalse();
        assertThat(d.eventId()).isEqualTo("evt-unlike-1");
        assertThat(d.at()).isEqualTo(t2.toEpochMilli());
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "stale")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.STARTED, "flow", "like")).isZero();
        assertThat(counter(CoordinatorMetrics.STARTED, "flow", "unlike")).isZero();

        // A like after the removal is a new like.
        like("evt-like-2", WALL, "u2", "post-1");
        assertThat(counts(drain()).get(Topics.STATE_LIKES)).isEqualTo(1);
    }

    @Test
    void anUnlikeAfterItsLikeUndoesIt() {
        open(config());
        drain();
        like("evt-like-1", WALL.minusSeconds(10), "u2", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> liked = drain();
        NotificationUpdated n = data(liked.get(Topics.NOTIFICATIONS).get(0));

        tick(Duration.ofSeconds(2));
        unlike("evt-unlike-1", WALL.minusSeconds(5), "u2", "post-1");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1,
                Topics.NOTIFICATIONS, 1));

        TestRecord<byte[], byte[]> tombstone = out.get(Topics.STATE_LIKES).get(0);
        assertThat(key(tombstone)).isEqualTo("u2|post-1");
        assertThat(tombstone.value()).isNull();
        assertThat(this.<TimelineEntryUpdated>data(out.get(Topics.TIMELINE_ENTRIES).get(0)))
                .isEqualTo(new TimelineEntryUpdated(OWNER, "post-1", 0));
        assertThat(this.<ActivityRecorded>data(out.get(Topics.ACTIVITY).get(0)))
                .isEqualTo(new ActivityRecorded("u2", ActivityVerb.UNLIKED, "post-1", OWNER));
        TestRecord<byte[], byte[]> retractedRecord = out.get(Topics.NOTIFICATIONS).get(0);
        NotificationUpdated retracted = data(retractedRecord);
        assertThat(key(retractedRecord)).isEqualTo(key(liked.get(Topics.NOTIFICATIONS).get(0)));
        assertThat(retracted.notificationId()).isEqualTo(n.notificationId());
        assertThat(retracted.actorCount()).isZero();
        assertThat(retracted.latestActorIds()).isEmpty();
        assertThat(retracted.text()).isEmpty();
        assertThat(retracted.collapseKey()).isEqualTo(n.collapseKey());
        assertThat(retracted.windowStart()).isEqualTo(n.windowStart());

        assertThat(journal("unlike:" + PushIds.eventKey(LIKES.toString(), "evt-unlike-1")).state()).isEqualTo(Flow.DONE);
        assertThat(likeDecision("u2", "post-1").active()).isFalse();
        // The same unlike again, and the original like again: nothing.
        unlike("evt-unlike-1", WALL.minusSeconds(5), "u2", "post-1");
        like("evt-like-1", WALL.minusSeconds(10), "u2", "post-1");
        assertThat(counts(drain())).isEqualTo(expect());
    }

    @Test
    void unlikesTakeActorsOutOfTheOpenNotification() {
        open(config());
        drain();
        for (String actor : List.of("a", "b", "c")) {
            like("evt-like-" + actor, WALL, actor, "post-1");
        }
        drain();
        unlike("evt-unlike-c", WALL.plusSeconds(1), "c", "post-1");
        NotificationUpdated afterC = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(afterC.latestActorIds()).containsExactly("b", "a");
        assertThat(afterC.actorCount()).isEqualTo(2);
        assertThat(afterC.text()).isEqualTo("b and a liked your post");
        unlike("evt-unlike-a", WALL.plusSeconds(2), "a", "post-1");
        NotificationUpdated afterA = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(afterA.latestActorIds()).containsExactly("b");
        assertThat(afterA.text()).isEqualTo("b liked your post");
    }

    @Test
    void unlikesOfTheNamedActorsOfALargerNotificationCountTheOthers() {
        open(config());
        drain();
        for (String actor : List.of("a", "b", "c", "d")) {
            like("evt-like-" + actor, WALL, actor, "post-1");
        }
        drain();
        unlike("evt-unlike-d", WALL.plusSeconds(1), "d", "post-1");
        NotificationUpdated afterD = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(afterD.latestActorIds()).as("the window remembers more actors than it names").containsExactly("c", "b", "a");
        assertThat(afterD.actorCount()).isEqualTo(3);
        assertThat(afterD.text()).isEqualTo("c and 2 others liked your post");
        unlike("evt-unlike-c", WALL.plusSeconds(2), "c", "post-1");
        NotificationUpdated afterC = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(afterC.latestActorIds()).containsExactly("b", "a");
        assertThat(afterC.actorCount()).isEqualTo(2);
        assertThat(afterC.text()).isEqualTo("b and a liked your post");
        unlike("evt-unlike-b", WALL.plusSeconds(3), "b", "post-1");
        NotificationUpdated afterB = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(afterB.latestActorIds()).containsExactly("a");
        assertThat(afterB.actorCount()).isEqualTo(1);
        assertThat(afterB.text()).isEqualTo("a liked your post");
        assertThat(gauge()).as("no unlike parked").isZero();
    }

    @Test
    void anUnlikeOfAParkedLikeCancelsItAndUndoesOnlyWhatItDid() {
        open(config().withSteps(poison()));
        drain();
        like("evt-like-p", WALL, "u2", "poison");
        tick(Duration.ofSeconds(2)); // the default policy: 5 failures; still retrying
        Map<String, Integer> sofar = counts(drain());
        assertThat(sofar.get(Topics.STATE_LIKES)).isEqualTo(1);
        assertThat(sofar.get(Topics.NOTIFICATIONS)).isZero();
        tick(Duration.ofSeconds(10));
        assertThat(drain().get(Topics.COORDINATORS_PARKED)).hasSize(1);
        assertThat(gauge()).isEqualTo(1.0);

        unlike("evt-unlike-p", WALL.plusSeconds(1), "u2", "poison");
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1,
                Topics.COORDINATORS_PARKED, 1));
        assertThat(out.get(Topics.COORDINATORS_PARKED).get(0).value()).isNull();
        assertThat(key(out.get(Topics.COORDINATORS_PARKED).get(0))).isEqualTo(likeId("evt-like-p"));
        assertThat(gauge()).isZero();
        Coordinator like = journal(likeId("evt-like-p"));
        assertThat(like.state()).isEqualTo(Flow.CANCELLED);
        assertThat(like.journal().get(like.journal().size() - 1).detail()).isEqualTo("like removed by evt-unlike-p");
        assertThat(journal("unlike:" + PushIds.eventKey(LIKES.toString(), "evt-unlike-p")).input()).containsEntry(Flows.UNDO, "SAVING,UPDATING_TIMELINE,APPENDING_ACTIVITY");
    }

    // ---- d. aggregation

    @Test
    void likesWithinTheWindowAggregateIntoOneNotification() {
        open(config().withNotificationWindow(Duration.ofMinutes(5)));
        drain();
        List<String> actors = List.of("a", "b", "c", "d");
        for (String actor : actors) {
            like("evt-like-" + actor, WALL, actor, "post-1");
            tick(Duration.ofSeconds(1));
        }
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        List<NotificationUpdated> ns = data(out.get(Topics.NOTIFICATIONS));
        assertThat(ns).extracting(NotificationUpdated::text).containsExactly("a liked your post", "b and a liked your post",
                "c and 2 others liked your post", "d and 3 others liked your post");
        assertThat(ns).extracting(NotificationUpdated::notificationId).containsOnly(ns.get(0).notificationId());
        assertThat(ns).extracting(NotificationUpdated::collapseKey).containsOnly("like-post-1");
        assertThat(ns).extracting(NotificationUpdated::actorCount).containsExactly(1L, 2L, 3L, 4L);
        assertThat(ns.get(3).latestActorIds()).containsExactly("d", "c", "b");
        assertThat(ns).extracting(NotificationUpdated::windowStart).containsOnly(WALL);
        assertThat(out.get(Topics.NOTIFICATIONS)).extracting(CoordinatorTopologyTest::key)
                .containsOnly(OWNER + "|" + ns.get(0).notificationId());
        List<PushTask> pushes = data(out.get(Topics.PUSH_HIGH));
        assertThat(pushes).hasSize(actors.size() * OWNER_TOKENS.size());
        assertThat(pushes).extracting(PushTask::collapseKey).containsOnly("like-post-1");
        assertThat(pushes).extracting(PushTask::body).containsSubsequence("a liked your post", "d and 3 others liked your post");
        assertThat(this.<TimelineEntryUpdated>data(out.get(Topics.TIMELINE_ENTRIES))).extracting(TimelineEntryUpdated::likeCount)
                .containsExactly(1L, 2L, 3L, 4L);

        // The window (5 min from the first like) passes: a new like starts a new notification.
        jump(Duration.ofMinutes(5));
        like("evt-like-e", WALL.plusSeconds(400), "e", "post-1");
        NotificationUpdated next = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(next.notificationId()).isNotEqualTo(ns.get(0).notificationId());
        assertThat(next.text()).isEqualTo("e liked your post");
        assertThat(next.actorCount()).isEqualTo(1);
        assertThat(next.collapseKey()).isEqualTo("like-post-1");
        assertThat(next.windowStart()).isAfter(WALL.plus(Duration.ofMinutes(5)));
        // Another post has its own notification.
        like("evt-like-f", WALL.plusSeconds(401), "f", "post-2");
        NotificationUpdated other = data(drain().get(Topics.NOTIFICATIONS).get(0));
        assertThat(other.notificationId()).isNotEqualTo(next.notificationId());
        assertThat(other.text()).isEqualTo("f liked your post");
    }

    // ---- e. self-like

    @Test
    void aSelfLikeNotifiesNobody() {
        open(config());
        drain();
        like("evt-like-self", WALL, OWNER, "post-1");
        Map<String, Integer> out = counts(drain());
        assertThat(out).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1));
        Coordinator c = journal(likeId("evt-like-self"));
        assertThat(c.state()).isEqualTo(Flow.DONE);
        assertThat(c.notes()).containsEntry(Flows.NOTIFIED, "false").containsEntry(Flows.PUSHES, "0");
    }

    // ---- f. follow

    @Test
    void aFollowIsReKeyedToTheFolloweeAndNotifiesThem() {
        open(config());
        drain();
        Envelope<FollowCreated> follow = Envelope.of("evt-follow-1", FOLLOWS, WALL, new FollowCreated("x", OWNER));
        publish(events, "x", follow);

        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1, Topics.ACTIVITY, 1, Topics.NOTIFICATIONS, 1,
                Topics.PUSH_HIGH, 2));
        TestRecord<byte[], byte[]> intake = out.get(Topics.COORDINATOR_INTAKE).get(0);
        assertThat(key(intake)).isEqualTo(OWNER);
        assertThat(envelope(intake)).isEqualTo(follow);

        assertThat(this.<ActivityRecorded>data(out.get(Topics.ACTIVITY).get(0)))
                .isEqualTo(new ActivityRecorded("x", ActivityVerb.FOLLOWED, OWNER, OWNER));
        NotificationUpdated n = data(out.get(Topics.NOTIFICATIONS).get(0));
        assertThat(n.text()).isEqualTo("x followed you");
        assertThat(n.kind()).isEqualTo(NotificationKind.FOLLOW);
        assertThat(n.objectId()).isEqualTo(OWNER);
        assertThat(n.collapseKey()).isEqualTo("follow-" + OWNER);
        List<PushTask> pushes = data(out.get(Topics.PUSH_HIGH));
        assertThat(pushes).extracting(PushTask::token).containsExactlyInAnyOrderElementsOf(OWNER_TOKENS);
        assertThat(pushes).isNotEmpty().allSatisfy(p -> {
            assertThat(p.pushId()).isEqualTo(PushIds.pushId(FOLLOWS.toString(), "evt-follow-1", p.token()));
            assertThat(p.title()).isEqualTo("New follower");
            assertThat(p.body()).isEqualTo("x followed you");
            assertThat(p.lane()).isEqualTo(Lane.HIGH);
            assertThat(p.collapseKey()).isEqualTo(n.collapseKey());
        });
        assertThat(journal(followId("evt-follow-1")).state()).isEqualTo(Flow.DONE);

        // Redelivered: nothing new (the intake record is forwarded again, and deduplicated there).
        publish(events, "x", follow);
        Map<String, Integer> again = counts(drain());
        assertThat(again).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));
    }

    @Test
    void anUnfollowDeliveredBeforeItsFollowLeavesNothing() {
        open(config());
        drain();
        publish(events, "x", Envelope.of("evt-unfollow-1", FOLLOWS, WALL.minusSeconds(1), new FollowRemoved("x", OWNER)));
        publish(events, "x", Envelope.of("evt-follow-1", FOLLOWS, WALL.minusSeconds(2), new FollowCreated("x", OWNER)));
        assertThat(counts(drain())).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 2));
    }

    // ---- g. supervision

    @Test
    void aPoisonedCoordinatorIsParkedAndOthersCarryOnThenOperatorsRetryOrDiscardIt() {
        open(config().withSteps(poison())
                .withSupervisor(new SupervisorPolicy(3, Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofSeconds(1))));
        drain();
        like("evt-poison-1", WALL, "u2", "poison");
        like("evt-poison-2", WALL, "u3", "poison");
        like("evt-fine-1", WALL, "u4", "fine");
        Map<String, List<TestRecord<byte[], byte[]>>> first = drain();
        // The fine like is done; the poisoned ones did their first three steps and wait for a retry.
        assertThat(this.<PushTask>data(first.get(Topics.PUSH_HIGH))).extracting(PushTask::sourceEventId).containsOnly("evt-fine-1");
        assertThat(first.get(Topics.STATE_LIKES)).hasSize(3);
        assertThat(first.get(Topics.NOTIFICATIONS)).hasSize(1);
        assertThat(journal(likeId("evt-poison-1")).state()).isEqualTo("NOTIFYING");
        assertThat(journal(likeId("evt-poison-1")).failures()).hasSize(1);
        assertThat(active("like", "NOTIFYING")).as("waiting for a retry").isEqualTo(2.0);
        assertThat(registry.get(CoordinatorMetrics.STEP).tags("flow", "like", "step", "SAVING", "outcome", "succeeded").timer().count())
                .isEqualTo(3);
        assertThat(registry.get(CoordinatorMetrics.DURATION).tags("flow", "like", "outcome", Flow.DONE).timer().count()).isEqualTo(1);

        // Retries on the wall clock: 100 ms, then 200 ms (±20 %), then parked.
        tick(Duration.ofMillis(150));
        assertThat(journal(likeId("evt-poison-1")).failures()).hasSize(2);
        assertThat(drain().get(Topics.COORDINATORS_PARKED)).isEmpty();
        like("evt-fine-2", WALL.plusMillis(150), "u5", "fine");
        tick(Duration.ofMillis(400));
        Map<String, List<TestRecord<byte[], byte[]>>> parkedOut = drain();
        List<TestRecord<byte[], byte[]>> parked = parkedOut.get(Topics.COORDINATORS_PARKED);
        assertThat(parked).extracting(CoordinatorTopologyTest::key).containsExactlyInAnyOrder(likeId("evt-poison-1"), likeId("evt-poison-2"));
        Admin.Parked p1 = Admin.Parked.fromJson(parked.stream().filter(r -> key(r).equals(likeId("evt-poison-1"))).findFirst()
                .orElseThrow().value());
        assertThat(p1.id()).isEqualTo(likeId("evt-poison-1"));
        assertThat(p1.flow()).isEqualTo("like");
        assertThat(p1.recipient()).isEqualTo(OWNER);
        assertThat(p1.state()).isEqualTo("NOTIFYING");
        assertThat(p1.failures()).isEqualTo(3);
        assertThat(p1.reason()).isEqualTo("failed 3 times within PT10M: RuntimeException: poisoned post");
        assertThat(p1.input()).containsEntry(Flows.POST, "poison").containsEntry(Flows.ACTOR, "u2");
        assertThat(p1.parkedAt()).isAfter(WALL).isBefore(WALL.plusMillis(551));
        assertThat(gauge()).isEqualTo(2.0);
        assertThat(active("like", Flow.PARKED)).isEqualTo(2.0);
        assertThat(active("like", "NOTIFYING")).isZero();
        assertThat(registry.get(CoordinatorMetrics.STEP).tags("flow", "like", "step", "NOTIFYING", "outcome", "parked").timer()
                .max(java.util.concurrent.TimeUnit.MILLISECONDS)).as("entered NOTIFYING at the like, parked after two backoffs")
                .isBetween(250.0, 551.0);
        // One poisoned coordinator never stops the others.
        assertThat(this.<PushTask>data(parkedOut.get(Topics.PUSH_HIGH))).extracting(PushTask::sourceEventId).containsOnly("evt-fine-2");
        assertThat(journal(likeId("evt-fine-2")).state()).isEqualTo(Flow.DONE);

        // Parked coordinators stay parked: the wall clock alone does nothing.
        tick(Duration.ofSeconds(5));
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(journal(likeId("evt-poison-1")).isParked()).isTrue();

        // Fixed; an operator retries one: it completes.
        poisoned.set(false);
        command(OWNER, "{\"action\":\"retry\",\"id\":\"" + likeId("evt-poison-1") + "\",\"note\":\"store fixed\"}");
        Map<String, List<TestRecord<byte[], byte[]>>> retried = drain();
        assertThat(counts(retried)).isEqualTo(expect(Topics.NOTIFICATIONS, 1, Topics.PUSH_HIGH, 2, Topics.COORDINATORS_PARKED, 1));
        assertThat(this.<PushTask>data(retried.get(Topics.PUSH_HIGH))).extracting(PushTask::pushId)
                .containsExactlyInAnyOrder(OWNER_TOKENS.stream().map(t -> PushIds.pushId(LIKES.toString(), "evt-poison-1", t)).toArray(String[]::new));
        TestRecord<byte[], byte[]> tombstone = retried.get(Topics.COORDINATORS_PARKED).get(0);
        assertThat(key(tombstone)).isEqualTo(likeId("evt-poison-1"));
        assertThat(tombstone.value()).isNull();
        assertThat(gauge()).isEqualTo(1.0);
        Coordinator done = journal(likeId("evt-poison-1"));
        assertThat(done.state()).isEqualTo(Flow.DONE);
        assertThat(done.journal()).extracting(JournalEntry::kind).contains(JournalEntry.Kind.RETRIED);
        assertThat(done.journal().stream().filter(e -> e.kind() == JournalEntry.Kind.RETRIED).findFirst().orElseThrow().detail())
                .isEqualTo("operator: store fixed");

        // The other one is discarded: no push, ever.
        command(OWNER, "{\"action\":\"discard\",\"id\":\"" + likeId("evt-poison-2") + "\",\"note\":\"duplicate of a support ticket\"}");
        Map<String, List<TestRecord<byte[], byte[]>>> discarded = drain();
        assertThat(counts(discarded)).isEqualTo(expect(Topics.COORDINATORS_PARKED, 1));
        assertThat(discarded.get(Topics.COORDINATORS_PARKED).get(0).value()).isNull();
        assertThat(journal(likeId("evt-poison-2")).state()).isEqualTo(Flow.DISCARDED);
        assertThat(gauge()).isZero();
        assertThat(active("like", Flow.PARKED)).isZero();
        assertThat(registry.get(CoordinatorMetrics.DURATION).tags("flow", "like", "outcome", Flow.DISCARDED).timer().count()).isEqualTo(1);
        tick(Duration.ofSeconds(2));
        assertThat(counts(drain())).isEqualTo(expect());

        // Commands for what is not parked (done, or waiting for a retry), or not there, change nothing.
        poisoned.set(true);
        like("evt-poison-3", WALL.plusSeconds(6), "u6", "poison");
        drain();
        assertThat(journal(likeId("evt-poison-3")).state()).isEqualTo("NOTIFYING");
        assertThat(active("like", "NOTIFYING")).isEqualTo(1.0);
        command(OWNER, "{\"action\":\"retry\",\"id\":\"" + likeId("evt-poison-1") + "\"}");
        command(OWNER, "{\"action\":\"discard\",\"id\":\"" + likeId("evt-poison-3") + "\"}");
        command(OWNER, "{\"action\":\"retry\",\"id\":\"" + likeId("evt-poison-3") + "\"}");
        command(OWNER, "{\"action\":\"discard\",\"id\":\"like:no-such\"}");
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(journal(likeId("evt-poison-3")).journal()).hasSize(5);
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "retry", "result", "done")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "discard", "result", "done")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "retry", "result", "not-parked")).isEqualTo(2.0);
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "discard", "result", "not-parked")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "discard", "result", "unknown")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.TRANSITIONS, "flow", "like", "kind", "PARKED")).isEqualTo(2.0);
    }

    @Test
    void aRetryThatParksAgainPublishesTheNewReason() {
        open(config().withSteps(poison())
                .withSupervisor(new SupervisorPolicy(1, Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofSeconds(1))));
        drain();
        like("evt-poison-1", WALL, "u2", "poison");
        Admin.Parked first = Admin.Parked.fromJson(drain().get(Topics.COORDINATORS_PARKED).get(0).value());
        assertThat(first.parkedAt()).isEqualTo(WALL);
        assertThat(gauge()).isEqualTo(1.0);

        tick(Duration.ofSeconds(1));
        command(OWNER, "{\"action\":\"retry\",\"id\":\"" + likeId("evt-poison-1") + "\",\"note\":\"try again\"}");
        List<TestRecord<byte[], byte[]>> parked = drain().get(Topics.COORDINATORS_PARKED);
        // Parked again at once: the compacted topic must describe this park, not the first.
        assertThat(parked).hasSize(1);
        Admin.Parked second = Admin.Parked.fromJson(parked.get(0).value());
        assertThat(second.parkedAt()).isEqualTo(WALL.plusSeconds(1));
        assertThat(second.failures()).isEqualTo(1);
        assertThat(gauge()).isEqualTo(1.0);
    }

    @Test
    void badCommandsAreDeadLetteredAndNothingElseBreaks() {
        open(config());
        drain();
        command(OWNER, "this is not json");
        command(OWNER, "{\"action\":\"explode\",\"id\":\"" + likeId("evt-1") + "\"}");
        command(OWNER, "{\"action\":\"retry\"}");
        command(OWNER, null);

        List<TestRecord<byte[], byte[]>> dead = drain().get(Topics.DEAD_LETTERS);
        assertThat(dead).hasSize(4);
        assertThat(dead).isNotEmpty().allSatisfy(r -> {
            assertThat(header(r, DeadLetters.REASON)).isEqualTo(DeadLetterReason.SCHEMA_VIOLATION.name());
            assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.COORDINATOR_COMMANDS);
            assertThat(header(r, DeadLetters.DEAD_LETTERED_AT)).isEqualTo(WALL.toString());
            assertThat(key(r)).isEqualTo(OWNER);
        });
        assertThat(dead).extracting(r -> header(r, DeadLetters.DETAIL)).containsExactly(
                "command is not JSON: this is not json",
                "action must be retry or discard, was 'explode'",
                "command must be an object with text fields action and id",
                "empty command");
        assertThat(dead).extracting(r -> header(r, DeadLetters.SOURCE_OFFSET)).containsExactly("0", "1", "2", "3");
        assertThat(dead.get(0).value()).isEqualTo(utf8("this is not json"));
        assertThat(counter(CoordinatorMetrics.COMMANDS, "action", "unknown", "result", "invalid")).isEqualTo(4.0);

        like("evt-like-1", WALL, "u2", "post-1");
        assertThat(counts(drain())).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1,
                Topics.NOTIFICATIONS, 1, Topics.PUSH_HIGH, 2));
    }

    // ---- h. timeouts

    @Test
    void aStepThatKeepsFailingWithALongBackoffTimesOutOnTheWallClock() {
        open(config().withSteps(poison())
                .withSupervisor(new SupervisorPolicy(100, Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(10))));
        drain();
        like("evt-poison-1", WALL, "u2", "poison");
        Coordinator c = journal(likeId("evt-poison-1"));
        assertThat(c.failures()).hasSize(1);
        assertThat(c.nextAttemptAt()).isAfter(WALL.plus(Duration.ofMinutes(3)));

        // NOTIFYING's timeout is 2 minutes from when the like entered it.
        jump(Duration.ofMinutes(2).minus(TICK));
        assertThat(drain().get(Topics.COORDINATORS_PARKED)).isEmpty();
        assertThat(journal(likeId("evt-poison-1")).state()).isEqualTo("NOTIFYING");
        tick(TICK.multipliedBy(2));
        List<TestRecord<byte[], byte[]>> parked = drain().get(Topics.COORDINATORS_PARKED);
        assertThat(parked).hasSize(1);
        Admin.Parked p = Admin.Parked.fromJson(parked.get(0).value());
        assertThat(p.reason()).isEqualTo("timed out: NOTIFYING did not succeed within PT2M; last failure: RuntimeException: poisoned post");
        assertThat(p.parkedAt()).isBetween(WALL.plus(Duration.ofMinutes(2)), WALL.plus(Duration.ofMinutes(2)).plus(TICK));
        assertThat(journal(likeId("evt-poison-1")).journal()).extracting(JournalEntry::kind).containsOnlyOnce(JournalEntry.Kind.FAILED);
        assertThat(gauge()).isEqualTo(1.0);
    }

    // ---- clean-up

    @Test
    void finishedJournalsAreDeletedAfterTheirRetention() {
        open(config().withNotificationWindow(Duration.ofMinutes(1)));
        drain();
        like("evt-like-1", WALL, "u2", "post-1");
        drain();
        assertThat(journal(likeId("evt-like-1")).state()).isEqualTo(Flow.DONE);
        // Retention: the notification window plus 5 minutes.
        jump(Duration.ofMinutes(6).minus(TICK));
        assertThat(journal(likeId("evt-like-1"))).isNotNull();
        tick(TICK.multipliedBy(2));
        assertThat(journal(likeId("evt-like-1"))).isNull();
        // The like still stands: a second like is still a no-op, and an unlike still undoes it (without its journal).
        like("evt-like-1b", WALL.plusSeconds(400), "u2", "post-1");
        assertThat(counts(drain())).isEqualTo(expect());
        unlike("evt-unlike-1", WALL.plusSeconds(401), "u2", "post-1");
        Map<String, Integer> undone = counts(drain());
        assertThat(undone).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1));
    }

    /** The id of the like coordinator an event of the test's likes source starts: kind, event id and source tag. */
    private static String likeId(String eventId) {
        return "like:" + PushIds.eventKey(LIKES.toString(), eventId);
    }

    /** The id of the follow coordinator an event of the test's follows source starts. */
    private static String followId(String eventId) {
        return "follow:" + PushIds.eventKey(FOLLOWS.toString(), eventId);
    }

}
