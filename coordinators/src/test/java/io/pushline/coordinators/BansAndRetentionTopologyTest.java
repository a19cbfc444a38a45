package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.Platform;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushTask;
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

/**
 * Bans and the time-bounded stores on Kafka's TopologyTestDriver (exactly-once v2, in-memory stores, one partition per
 * topic; records written to the intake topic, bans broadcast there among them, are fed back in as the broker would).
 * The processor's clock is the driver's mocked wall clock: {@link #tick} and {@link #jump} advance it.
 *
 * <p>A coordinator "waiting" is one whose step failed and waits for its retry (or is parked): the like flow runs all
 * its steps at once when nothing fails, so that is how a like stays running long enough for a ban to meet it.
 */
class BansAndRetentionTopologyTest {
    private static final Instant WALL = Instant.parse("2026-03-01T12:00:00Z");
    private static final URI LIKES = URI.create("urn:pushline:service:likes");
    private static final URI FOLLOWS = URI.create("urn:pushline:service:follows");
    private static final URI MODERATION = URI.create("urn:pushline:service:moderation");
    private static final Duration TICK = Duration.ofMillis(50);
    private static final String OWNER = "u1";
    private static final String BANNED = "p-spammer";
    private static final List<String> OUTPUTS = List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY,
            Topics.NOTIFICATIONS, Topics.PUSH_HIGH, Topics.COORDINATORS_PARKED, Topics.DEAD_LETTERS, Topics.COORDINATOR_INTAKE);
    /** A retry far enough away that a coordinator waits through a test (the step timeouts are 2 and 10 minutes). */
    private static final SupervisorPolicy SLOW_RETRIES = new SupervisorPolicy(5, Duration.ofMinutes(10), Duration.ofSeconds(20),
            Duration.ofSeconds(20));

    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** While set, steps of posts named {@code waiting…} fail (retryable) and of posts named {@code parked…} fail for good. */
    private final AtomicBoolean poisoned = new AtomicBoolean(true);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private final Map<String, TestOutputTopic<byte[], byte[]>> outputs = new LinkedHashMap<>();

    private CoordinatorConfig config() {
        return CoordinatorConfig.defaults().withMeterRegistry(registry).withSteps(poison()).withSupervisor(SLOW_RETRIES);
    }

    /**
     * Makes the like's NOTIFYING (or, for posts named {@code waiting-push…}, PUSHING) step fail while {@link #poisoned};
     * the follow's NOTIFYING fails for good for followers named {@code parked…}.
     */
    private CoordinatorConfig.StepDecorator poison() {
        return (flow, state, step) -> ctx -> {
            if (poisoned.get() && flow.equals(Flows.LIKE)) {
                String post = ctx.input(Flows.POST);
                boolean here = state.equals(post.startsWith("waiting-push") ? "PUSHING" : "NOTIFYING");
                if (here && post.startsWith("waiting")) {
                    throw new IllegalStateException("inbox unavailable");
                }
                if (here && post.startsWith("parked")) {
                    throw new PermanentStepFailure("post " + post + " is broken");
                }
            }
            if (poisoned.get() && flow.equals(Flows.FOLLOW) && state.equals("NOTIFYING") && ctx.input(Flows.ACTOR).startsWith("parked")) {
                throw new PermanentStepFailure("follower is broken");
            }
            step.run(ctx);
        };
    }

    private void open(CoordinatorConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "coordinators-bans-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(CoordinatorTopology.build(config, Stores::inMemoryKeyValueStore), props, WALL);
        ByteArraySerializer out = new ByteArraySerializer();
        events = driver.createInputTopic(Topics.EVENTS, out, out);
        TestInputTopic<byte[], byte[]> devices = driver.createInputTopic(Topics.STATE_DEVICES, out, out);
        ByteArrayDeserializer in = new ByteArrayDeserializer();
        for (String topic : OUTPUTS) {
            outputs.put(topic, driver.createOutputTopic(topic, in, in));
        }
        for (String user : List.of(OWNER, BANNED, "u9")) {
            String token = user + "-token-apns-0001";
            publish(devices, user + "|" + token, Envelope.of("dev-" + user, URI.create("urn:pushline:service:devices"),
                    WALL.minusSeconds(3600), new DeviceRegistered(user, token, Platform.APNS, "io.pushline.app", WALL.minusSeconds(3600))));
        }
        drain();
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    // ---- inputs

    private void publish(TestInputTopic<byte[], byte[]> topic, String key, Envelope<?> envelope) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(envelope, headers);
        topic.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, headers, envelope.time()));
    }

    private void like(String id, String actor, String post, String owner) {
        publish(events, owner, Envelope.of(id, LIKES, now(), new LikeCreated(actor, post, owner)));
    }

    private void unlike(String id, String actor, String post, String owner) {
        publish(events, owner, Envelope.of(id, LIKES, now(), new LikeRemoved(actor, post, owner)));
    }

    private void follow(String id, String follower, String followee) {
        publish(events, follower, Envelope.of(id, FOLLOWS, now(), new FollowCreated(follower, followee)));
    }

    /** A ban as the moderation service publishes it: on the events topic, keyed by the banned profile. */
    private void ban(String id, String profile) {
        publish(events, profile, Envelope.of(id, MODERATION, now(), new ProfileBanned(profile, "spam")));
    }

    private Instant now() {
        return WALL.plus(elapsed);
    }

    private Duration elapsed = Duration.ZERO;

    /** Advances the wall clock by {@code total}, one tick at a time (each may run the wake-up). */
    private void tick(Duration total) {
        for (long done = 0; done < total.toMillis(); done += TICK.toMillis()) {
            driver.advanceWallClockTime(TICK);
            elapsed = elapsed.plus(TICK);
        }
    }

    /** Advances the wall clock by {@code total} at once: the wake-up runs once at most. */
    private void jump(Duration total) {
        driver.advanceWallClockTime(total);
        elapsed = elapsed.plus(total);
    }

    // ---- outputs and state

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

    private <T extends EventData> List<T> data(List<TestRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> {
            @SuppressWarnings("unchecked")
            T d = (T) ((io.pushline.contracts.Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            return d;
        }).toList();
    }

    private static String key(TestRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private Coordinator journal(String id) {
        byte[] bytes = store(CoordinatorProcessor.JOURNAL_STORE).get(id);
        return bytes == null ? null : new JournalCodec(TestFlows.declarations()::get).decode(bytes);
    }

    private static JournalEntry last(Coordinator c) {
        return c.journal().get(c.journal().size() - 1);
    }

    private KeyValueStore<String, byte[]> store(String name) {
        return driver.getKeyValueStore(name);
    }

    /** A facts entry's value as text, or null. */
    private String fact(String key) {
        byte[] v = store(Facts.STORE).get(key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    private double parkedGauge() {
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

    // ---- bans

    @Test
    void aLikeByPWaitingBeforeTheBanPushesNothingAfterIt() {
        open(config());
        like("evt-like-w", BANNED, "waiting-1", OWNER);
        like("evt-like-k", BANNED, "parked-1", OWNER);
        assertThat(counts(drain())).as("saved, counted, in the activity stream; not notified, not pushed")
                .isEqualTo(expect(Topics.STATE_LIKES, 2, Topics.TIMELINE_ENTRIES, 2, Topics.ACTIVITY, 2, Topics.COORDINATORS_PARKED, 1));
        assertThat(journal(likeId("evt-like-w")).state()).isEqualTo("NOTIFYING");
        assertThat(journal(likeId("evt-like-k")).isParked()).isTrue();
        assertThat(parkedGauge()).isEqualTo(1.0);
        assertThat(fact("running|" + BANNED + "|" + likeId("evt-like-w"))).as("indexed under its actor").isNotNull();
        assertThat(fact("running|" + OWNER + "|" + likeId("evt-like-w"))).as("and its recipient").isNotNull();

        ban("evt-ban-1", BANNED);
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).as("the ban re-published to every partition of the intake topic; the parked one's record removed")
                .isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1, Topics.COORDINATORS_PARKED, 1));
        assertThat(key(out.get(Topics.COORDINATOR_INTAKE).get(0))).isEqualTo(BANNED);
        assertThat(out.get(Topics.COORDINATORS_PARKED).get(0).value()).isNull();
        for (String id : List.of(likeId("evt-like-w"), likeId("evt-like-k"))) {
            Coordinator c = journal(id);
            assertThat(c.state()).as(id).isEqualTo(Flow.CANCELLED);
            assertThat(last(c).detail()).as(id).isEqualTo("banned: profile " + BANNED + " (actor), by evt-ban-1");
            assertThat(fact("running|" + BANNED + "|" + id)).as(id).isNull();
            assertThat(fact("running|" + OWNER + "|" + id)).as(id).isNull();
        }
        assertThat(journal(likeId("evt-like-k")).journal()).extracting(JournalEntry::from).last().isEqualTo(Flow.PARKED);
        assertThat(parkedGauge()).isZero();
        assertThat(active("like", "NOTIFYING")).isZero();
        assertThat(active("like", Flow.PARKED)).isZero();
        assertThat(counter(CoordinatorMetrics.BANNED, "flow", "like")).isEqualTo(2.0);
        assertThat(store(Bans.STORE).get(BANNED)).isNotNull();

        // The inbox is back and the retry would have come: nothing is notified or pushed about P, ever.
        poisoned.set(false);
        jump(Duration.ofSeconds(30));
        jump(Duration.ofMinutes(10));
        assertThat(counts(drain())).isEqualTo(expect());

        // Nobody else is stopped.
        like("evt-like-other", "u3", "post-2", OWNER);
        assertThat(this.<PushTask>data(drain().get(Topics.PUSH_HIGH))).extracting(PushTask::sourceEventId).containsExactly("evt-like-other");
    }

    @Test
    void aLikeOrAFollowByPAfterTheBanStartsNothing() {
        open(config());
        ban("evt-ban-1", BANNED);
        assertThat(counts(drain())).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));

        like("evt-like-1", BANNED, "post-1", OWNER);
        follow("evt-follow-1", BANNED, OWNER);
        assertThat(counts(drain())).as("only the follow re-keyed by its followee").isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));
        tick(Duration.ofSeconds(1));
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(journal(likeId("evt-like-1"))).isNull();
        assertThat(journal(followId("evt-follow-1"))).isNull();
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "banned-actor")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "follow", "reason", "banned-actor")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.STARTED, "flow", "like")).isZero();
        assertThat(fact("like|" + BANNED + "|post-1")).as("not remembered").isNull();

        // The same ban again (a redelivery, or a second moderation event) changes nothing.
        ban("evt-ban-2", BANNED);
        assertThat(counts(drain())).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));
        assertThat(store(Bans.STORE).get(BANNED)).asString(StandardCharsets.UTF_8).contains("evt-ban-1");
    }

    @Test
    void aLikeOfABannedRecipientsPostPushesNothing() {
        open(config());
        like("evt-like-w", "u3", "waiting-1", OWNER);
        drain();
        assertThat(journal(likeId("evt-like-w")).state()).isEqualTo("NOTIFYING");

        ban("evt-ban-owner", OWNER);
        assertThat(counts(drain())).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));
        assertThat(last(journal(likeId("evt-like-w"))).detail()).isEqualTo("banned: profile " + OWNER + " (recipient), by evt-ban-owner");

        like("evt-like-2", "u2", "post-1", OWNER);
        follow("evt-follow-2", "u2", OWNER);
        assertThat(counts(drain())).isEqualTo(expect(Topics.COORDINATOR_INTAKE, 1));
        poisoned.set(false);
        jump(Duration.ofSeconds(30));
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "like", "reason", "banned-recipient")).isEqualTo(1.0);
        assertThat(counter(CoordinatorMetrics.SKIPPED, "flow", "follow", "reason", "banned-recipient")).isEqualTo(1.0);
    }

    @Test
    void thePushStepChecksTheBanRightBeforeItEmitsEvenForACoordinatorTheBanDidNotFind() {
        open(config());
        like("evt-like-w", BANNED, "waiting-push-1", OWNER);
        assertThat(counts(drain())).as("notified, not pushed").isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1,
                Topics.ACTIVITY, 1, Topics.NOTIFICATIONS, 1));
        assertThat(journal(likeId("evt-like-w")).state()).isEqualTo("PUSHING");
        // As if it had started before the running index existed: the ban cannot find it.
        store(Facts.STORE).delete("running|" + BANNED + "|" + likeId("evt-like-w"));
        store(Facts.STORE).delete("running|" + OWNER + "|" + likeId("evt-like-w"));

        ban("evt-ban-1", BANNED);
        drain();
        assertThat(journal(likeId("evt-like-w")).state()).isEqualTo("PUSHING");
        poisoned.set(false);
        jump(Duration.ofSeconds(30));
        assertThat(counts(drain())).isEqualTo(expect());
        Coordinator c = journal(likeId("evt-like-w"));
        assertThat(c.state()).isEqualTo(Flow.CANCELLED);
        assertThat(last(c).from()).isEqualTo("PUSHING");
        assertThat(last(c).detail()).isEqualTo("banned: profile " + BANNED + " (actor)");
        assertThat(counter(CoordinatorMetrics.BANNED, "flow", "like")).isEqualTo(1.0);
    }

    // ---- stores bounded by time

    @Test
    void windowsAndHistoryDecisionsExpireWithTheNotificationWindowWhatStandsStays() {
        open(config().withNotificationWindow(Duration.ofMinutes(1)));
        like("evt-like-a", "u2", "post-1", OWNER);
        follow("evt-follow-x", "x", OWNER);
        like("evt-like-b", "u3", "post-2", OWNER);
        tick(Duration.ofSeconds(1));
        unlike("evt-unlike-a", "u2", "post-1", OWNER);
        drain();
        List<String> history = List.of("window|u1|LIKE|post-1", "window|u1|LIKE|post-2", "window|u1|FOLLOW|u1", "like|u2|post-1",
                "follow|x|u1");
        assertThat(history).isNotEmpty().allSatisfy(k -> assertThat(fact(k)).as(k).isNotNull());
        assertThat(fact("like|u2|post-1")).contains("\"active\":false");
        assertThat(fact("count|post-1")).as("a count at zero is deleted at once").isNull();
        assertThat(fact("count|post-2")).isEqualTo("1");

        // Window 1 minute, plus 5 minutes of grace, from when each was written.
        jump(Duration.ofMinutes(6).minus(Duration.ofSeconds(2)));
        assertThat(history).isNotEmpty().allSatisfy(k -> assertThat(fact(k)).as(k).isNotNull());
        tick(Duration.ofSeconds(3));
        assertThat(history).isNotEmpty().allSatisfy(k -> assertThat(fact(k)).as(k).isNull());
        assertThat(counter(CoordinatorMetrics.EXPIRED, "kind", "window")).isEqualTo(3.0);
        assertThat(counter(CoordinatorMetrics.EXPIRED, "kind", "decision")).isEqualTo(2.0);
        assertThat(counts(drain())).as("expiring publishes nothing").isEqualTo(expect());

        // A like that stands and its post's count are live state: an unlike an hour later still undoes it.
        assertThat(fact("like|u3|post-2")).contains("\"active\":true");
        assertThat(fact("count|post-2")).isEqualTo("1");
        jump(Duration.ofHours(1));
        unlike("evt-unlike-b", "u3", "post-2", OWNER);
        assertThat(counts(drain())).isEqualTo(expect(Topics.STATE_LIKES, 1, Topics.TIMELINE_ENTRIES, 1, Topics.ACTIVITY, 1));
        assertThat(fact("count|post-2")).isNull();
    }

    @Test
    void anExpiryLeavesAWindowThatReplacedTheOneItWasFor() {
        open(config().withNotificationWindow(Duration.ofMinutes(1)));
        like("evt-like-a", "u2", "post-1", OWNER);
        jump(Duration.ofMinutes(2));
        like("evt-like-b", "u3", "post-1", OWNER);
        drain();
        String newer = fact("window|u1|LIKE|post-1");
        assertThat(newer).contains("\"windowStart\":" + WALL.plus(Duration.ofMinutes(2)).toEpochMilli());

        jump(Duration.ofMinutes(4).plus(TICK)); // the first window's expiry: WALL + 6 minutes
        assertThat(fact("window|u1|LIKE|post-1")).isEqualTo(newer);
        jump(Duration.ofMinutes(2)); // the second's: WALL + 8 minutes
        assertThat(fact("window|u1|LIKE|post-1")).isNull();
        assertThat(counter(CoordinatorMetrics.EXPIRED, "kind", "window")).isEqualTo(1.0);
    }

    @Test
    void aParkedCoordinatorIsDiscardedAfterItsRetentionWithADeadLetterAndTheParkedCountDrops() {
        open(config());
        assertThat(CoordinatorConfig.defaults().parkedRetention()).isEqualTo(Duration.ofDays(7));
        like("evt-like-k", "u2", "parked-1", OWNER);
        follow("evt-follow-k", "parked-fan", OWNER);
        Map<String, List<TestRecord<byte[], byte[]>>> parkedOut = drain();
        assertThat(parkedOut.get(Topics.COORDINATORS_PARKED)).hasSize(2);
        assertThat(parkedGauge()).isEqualTo(2.0);
        assertThat(active("like", Flow.PARKED)).isEqualTo(1.0);

        // Past the notification window, the follow's decision stays while its coordinator is parked.
        jump(Duration.ofMinutes(30));
        assertThat(fact("follow|parked-fan|u1")).isNotNull();
        jump(Duration.ofDays(7).minus(Duration.ofMinutes(31)));
        assertThat(counts(drain())).isEqualTo(expect());
        assertThat(journal(likeId("evt-like-k")).isParked()).isTrue();

        jump(Duration.ofMinutes(2));
        Map<String, List<TestRecord<byte[], byte[]>>> out = drain();
        assertThat(counts(out)).isEqualTo(expect(Topics.DEAD_LETTERS, 2, Topics.COORDINATORS_PARKED, 2));
        assertThat(out.get(Topics.COORDINATORS_PARKED)).isNotEmpty().allSatisfy(r -> assertThat(r.value()).isNull());
        TestRecord<byte[], byte[]> dead = out.get(Topics.DEAD_LETTERS).stream().filter(r -> key(r).equals(likeId("evt-like-k")))
                .findFirst().orElseThrow();
        assertThat(header(dead, DeadLetters.REASON)).isEqualTo(DeadLetterReason.PARKED_EXPIRED.name());
        assertThat(header(dead, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.COORDINATORS_PARKED);
        assertThat(header(dead, DeadLetters.SOURCE_OFFSET)).isEqualTo("-1");
        assertThat(header(dead, DeadLetters.DETAIL)).isEqualTo("coordinator " + likeId("evt-like-k") + " (like for u1) parked in NOTIFYING since "
                + WALL + ", longer than the parked retention PT168H: discarded; parked for: permanent failure: "
                + "PermanentStepFailure: post parked-1 is broken");
        Admin.Parked described = Admin.Parked.fromJson(dead.value());
        assertThat(described.id()).isEqualTo(likeId("evt-like-k"));
        assertThat(described.state()).isEqualTo("NOTIFYING");
        assertThat(described.input()).containsEntry(Flows.POST, "parked-1");

        Coordinator c = journal(likeId("evt-like-k"));
        assertThat(c.state()).isEqualTo(Flow.DISCARDED);
        assertThat(last(c).detail()).isEqualTo("retention: parked longer than PT168H");
        assertThat(parkedGauge()).isZero();
        assertThat(active("like", Flow.PARKED)).isZero();
        assertThat(active("follow", Flow.PARKED)).isZero();
        assertThat(counter(CoordinatorMetrics.EXPIRED, "kind", "parked")).isEqualTo(2.0);
        assertThat(counter(CoordinatorMetrics.DEAD_LETTERS, "reason", "PARKED_EXPIRED")).isEqualTo(2.0);
        assertThat(fact("running|u2|" + likeId("evt-like-k"))).isNull();

        // Then the discarded journals go like any finished one, and the follow's decision with them.
        jump(Duration.ofMinutes(22));
        assertThat(journal(likeId("evt-like-k"))).isNull();
        assertThat(journal(followId("evt-follow-k"))).isNull();
        assertThat(fact("follow|parked-fan|u1")).isNull();
        assertThat(counts(drain())).isEqualTo(expect());
    }

    @Test
    void anOperatorsRetryBeforeTheRetentionRestartsItsClock() {
        open(config().withParkedRetention(Duration.ofHours(1)));
        like("evt-like-k", "u2", "parked-1", OWNER);
        drain();
        jump(Duration.ofMinutes(50));
        // Retried and parked again at once: a new park, a new hour.
        TestInputTopic<byte[], byte[]> commands = driver.createInputTopic(Topics.COORDINATOR_COMMANDS, new ByteArraySerializer(),
                new ByteArraySerializer());
        commands.pipeInput(new TestRecord<>(OWNER.getBytes(StandardCharsets.UTF_8),
                ("{\"action\":\"retry\",\"id\":\"" + likeId("evt-like-k") + "\"}").getBytes(StandardCharsets.UTF_8), new RecordHeaders(), now()));
        assertThat(drain().get(Topics.COORDINATORS_PARKED)).hasSize(1);
        jump(Duration.ofMinutes(20));
        assertThat(journal(likeId("evt-like-k")).isParked()).as("an hour after the first park, 20 minutes after the second").isTrue();
        jump(Duration.ofMinutes(41));
        assertThat(journal(likeId("evt-like-k")).state()).isEqualTo(Flow.DISCARDED);
        assertThat(drain().get(Topics.DEAD_LETTERS)).hasSize(1);
        assertThat(parkedGauge()).isZero();
    }

    @Test
    void stateLeftByAVersionWithoutExpiriesIsGivenItsTimesOnce() {
        open(config());
        // What an older version left: a parked like parked 8 days ago, a like by P waiting for a retry (in no index),
        // an old window and an old removal, none of them with a time in the schedule.
        TestFlows flows = TestFlows.create(CoordinatorConfig.defaults().withSteps(poison()));
        CoordinatorEngine engine = flows.engine(SLOW_RETRIES);
        JournalCodec journals = flows.codec();
        Instant longAgo = WALL.minus(Duration.ofDays(8));
        Coordinator parked = engine.start("like:evt-old-k", Flows.LIKE, OWNER,
                JournalFixtureGenerator.likeInput("evt-old-k", longAgo, "u2", "parked-9", OWNER), longAgo).coordinator();
        Coordinator waiting = engine.start("like:evt-old-w", Flows.LIKE, OWNER,
                JournalFixtureGenerator.likeInput("evt-old-w", WALL, BANNED, "waiting-9", OWNER), WALL).coordinator();
        assertThat(parked.isParked()).isTrue();
        assertThat(waiting.state()).isEqualTo("NOTIFYING");
        store(CoordinatorProcessor.JOURNAL_STORE).put(parked.id(), journals.encode(parked));
        store(CoordinatorProcessor.JOURNAL_STORE).put(waiting.id(), journals.encode(waiting));
        store(Facts.STORE).put("window|u1|LIKE|old-post",
                ("{\"windowStart\":" + WALL.minus(Duration.ofHours(1)).toEpochMilli() + ",\"latestActors\":[\"u5\"],\"count\":1}")
                        .getBytes(StandardCharsets.UTF_8));
        store(Facts.STORE).put("like|u5|old-post", ("{\"active\":false,\"at\":" + WALL.minusSeconds(60).toEpochMilli()
                + ",\"eventId\":\"evt-old-u\",\"coordinatorId\":null}").getBytes(StandardCharsets.UTF_8));

        tick(TICK.multipliedBy(4));
        assertThat(fact("upgrade|expiries-v1")).as("scanned once, and marked").isNotNull();
        assertThat(journal(parked.id()).state()).as("past its retention already").isEqualTo(Flow.DISCARDED);
        assertThat(drain().get(Topics.DEAD_LETTERS)).extracting(BansAndRetentionTopologyTest::key).containsExactly(parked.id());
        assertThat(fact("window|u1|LIKE|old-post")).as("its window closed long ago").isNull();
        assertThat(fact("running|" + BANNED + "|" + waiting.id())).as("indexed for bans").isNotNull();

        ban("evt-ban-1", BANNED);
        assertThat(journal(waiting.id()).state()).isEqualTo(Flow.CANCELLED);
        assertThat(fact("like|u5|old-post")).isNotNull();
        jump(Duration.ofMinutes(21));
        assertThat(fact("like|u5|old-post")).isNull();
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
