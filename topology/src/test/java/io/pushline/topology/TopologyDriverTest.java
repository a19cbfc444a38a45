package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topology without a broker: Kafka's own TopologyTestDriver runs it for real, with one partition per topic
 * (so co-partitioning is trivially satisfied); records written to topics the topology also reads are fed back in,
 * as the broker would.
 */
class TopologyDriverTest {
    private static final URI SOURCE = URI.create("test://topology");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "driver-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // Pages of 3 devices, so that the tests see a job expanded over several punctuations.
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(3, java.time.Duration.ofMillis(50))), props);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void publish(EventData data) {
        publish(UUID.randomUUID().toString(), data);
    }

    private void publish(String id, EventData data) {
        publish(SOURCE, id, data);
    }

    private void publish(URI source, String id, EventData data) {
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, source, Instant.now(), data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(), Instant.now()));
    }

    /** Lets the wall-clock punctuator expand every remaining page. */
    private void expandAllPages() {
        for (int i = 0; i < 100; i++) {
            driver.advanceWallClockTime(java.time.Duration.ofMillis(50));
        }
    }

    private List<PushTask> pushTasks() {
        expandAllPages();
        return driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList().stream()
                .map(r -> codec.decode(r.headers(), r.value()))
                .map(d -> (PushTask) ((Decoded.Ok) d).envelope().data())
                .collect(Collectors.toList());
    }

    @Test
    void twoSourcesThatReuseAnEventIdEachGetTheirPushes() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        publish(new DeviceRegistered("bob", "bob-token-apns-0001", Platform.APNS, "io.app", t));
        publish(new FollowCreated("bob", "alice"));
        URI otherSource = URI.create("test://another-publisher");
        publish(SOURCE, "post-event-1", new TimelinePosted("p1", "alice", "Alice posted", "Hello"));
        publish(otherSource, "post-event-1", new TimelinePosted("p2", "alice", "Alice posted again", "Hi"));

        List<PushTask> tasks = pushTasks();
        assertThat(tasks).extracting(PushTask::pushId).containsExactlyInAnyOrder(
                PushIds.pushId(SOURCE.toString(), "post-event-1", "bob-token-apns-0001"),
                PushIds.pushId(otherSource.toString(), "post-event-1", "bob-token-apns-0001"));
        assertThat(tasks).extracting(PushTask::title).containsExactlyInAnyOrder("Alice posted", "Alice posted again");
    }

    @Test
    void timelinePostExpandsToEveryDeviceOfEveryCurrentFollower() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        publish(new DeviceRegistered("bob", "bob-token-apns-0001", Platform.APNS, "io.app", t));
        publish(new DeviceRegistered("bob", "bob-token-fcm-00001", Platform.FCM, "io.app.android", t));
        publish(new DeviceRegistered("carol", "carol-token-apns-01", Platform.APNS, "io.app", t));
        publish(new DeviceRegistered("dave", "dave-token-apns-001", Platform.APNS, "io.app", t));
        publish(new FollowCreated("bob", "alice"));
        publish(new FollowCreated("carol", "alice"));
        publish(new FollowCreated("dave", "alice"));
        publish(new FollowCreated("dave", "alice10"));   // a prefix look-alike must not leak into alice's audience
        publish(new FollowRemoved("carol", "alice"));

        String postId = UUID.randomUUID().toString();
        publish(postId, new TimelinePosted("p1", "alice", "Alice posted", "Hello"));

        List<PushTask> tasks = pushTasks();
        assertThat(tasks).extracting(PushTask::token)
                .containsExactlyInAnyOrder("bob-token-apns-0001", "bob-token-fcm-00001", "dave-token-apns-001");
        assertThat(tasks).allSatisfy(task -> {
            assertThat(task.pushId()).isEqualTo(PushIds.pushId(SOURCE.toString(), postId, task.token()));
            assertThat(task.sourceEventId()).isEqualTo(postId);
            assertThat(task.title()).isEqualTo("Alice posted");
        });
        assertThat(registry.get(TopologyMetrics.DEVICES_EXPANDED).counter().count()).isEqualTo(3.0);
    }

    @Test
    void invalidationRemovesDeviceButANewerRegistrationWins() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        publish(new DeviceRegistered("bob", "bob-token-apns-0001", Platform.APNS, "io.app", t0));
        publish(new DeviceRegistered("bob", "bob-token-apns-0002", Platform.APNS, "io.app", t0));
        publish(new FollowCreated("bob", "alice"));
        // token 1: invalidated after registering → gone.
        publish(new DeviceUnregistered("bob-token-apns-0001", t0.plusSeconds(10), "Unregistered"));
        // token 2: re-registered after the provider invalidated it; the invalidation arrives late → the registration wins.
        publish(new DeviceRegistered("bob", "bob-token-apns-0002", Platform.APNS, "io.app", t0.plusSeconds(30)));
        publish(new DeviceUnregistered("bob-token-apns-0002", t0.plusSeconds(20), "Unregistered"));
        // token 3: an old registration arriving after a newer invalidation does not resurrect it.
        publish(new DeviceUnregistered("bob-token-apns-0003", t0.plusSeconds(20), "Unregistered"));
        publish(new DeviceRegistered("bob", "bob-token-apns-0003", Platform.APNS, "io.app", t0.plusSeconds(5)));
        publish(new TimelinePosted("p1", "alice", "t", "b"));

        assertThat(pushTasks()).extracting(PushTask::token).containsExactly("bob-token-apns-0002");
    }

    @Test
    void tokenMovingToAnotherUserLeavesTheOldUser() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        publish(new DeviceRegistered("bob", "shared-token-0001", Platform.FCM, "io.app.android", t0));
        publish(new DeviceRegistered("carol", "shared-token-0001", Platform.FCM, "io.app.android", t0.plusSeconds(1)));
        publish(new FollowCreated("bob", "alice"));
        publish(new TimelinePosted("p1", "alice", "t", "b"));
        assertThat(pushTasks()).isEmpty();
    }

    @Test
    void badInputIsDeadLetteredWithReasonAndOriginAndTheStreamKeepsMoving() {
        RecordHeaders noCe = new RecordHeaders();
        events.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), "{".getBytes(StandardCharsets.UTF_8), noCe, Instant.now()));
        publish(new FollowCreated("bob", "alice"));

        List<TestRecord<byte[], byte[]>> dead = driver.createOutputTopic(Topics.DEAD_LETTERS, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo("{".getBytes(StandardCharsets.UTF_8));
        assertThat(header(dead.get(0), DeadLetters.REASON)).isEqualTo(DeadLetterReason.NO_HEADERS.name());
        assertThat(header(dead.get(0), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.EVENTS);
        assertThat(header(dead.get(0), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(driver.createOutputTopic(Topics.STATE_FOLLOWS, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList()).hasSize(1);
        assertThat(registry.get(TopologyMetrics.DEAD_LETTERS).tag("reason", "NO_HEADERS").counter().count()).isEqualTo(1.0);
    }

    @Test
    void internalTypesAreNotAcceptedFromPublishers() {
        publish(new PushTask(UUID.randomUUID().toString(), "e1", "bob", "bob-token-apns-0001", Platform.APNS, "io.app",
                "t", "b", java.util.Map.of(), null, null, io.pushline.contracts.Priority.NORMAL, io.pushline.contracts.Lane.BULK));
        List<TestRecord<byte[], byte[]>> dead = driver.createOutputTopic(Topics.DEAD_LETTERS, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), DeadLetters.REASON)).isEqualTo(DeadLetterReason.UNKNOWN_TYPE.name());
        assertThat(pushTasks()).isEmpty();
    }

    @Test
    void jobsReachEveryPartitionAndCompoundKeysFollowTheirEntity() {
        var every = PushlineTopology.everyPartition();
        assertThat(every.partitions("t", "a".getBytes(StandardCharsets.UTF_8), null, 6)).contains(Set.of(0, 1, 2, 3, 4, 5));
        var byFirst = PushlineTopology.byFirstKeyPart();
        for (String user : List.of("bob", "carol", "user-0000042")) {
            assertThat(byFirst.partitions("t", (user + "|anything").getBytes(StandardCharsets.UTF_8), null, 6))
                    .contains(Set.of(io.pushline.contracts.Keys.partitionFor(user, 6)));
        }
    }

    @Test
    void aLargeAudienceIsExpandedInBoundedPagesAndUnfollowsBeforeTheirPageAreHonoured() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 20; i++) {
            String user = String.format("fan-%02d", i);
            publish(new DeviceRegistered(user, "token-of-" + user, Platform.APNS, "io.app", t));
            publish(new FollowCreated(user, "star"));
        }
        publish(new TimelinePosted("p1", "star", "t", "b"));
        // The first page goes out at once; the rest waits for the punctuator.
        List<TestRecord<byte[], byte[]>> firstPage = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).readRecordsToList();
        assertThat(firstPage).hasSize(3);
        // fan-19 unfollows before its page is reached: no push for it.
        publish(new FollowRemoved("fan-19", "star"));

        List<PushTask> rest = pushTasks();
        assertThat(rest).hasSize(16);
        assertThat(rest).extracting(PushTask::token).doesNotContain("token-of-fan-19").doesNotHaveDuplicates();
        assertThat(registry.get(TopologyMetrics.JOBS_EXPANDED).counter().count()).isEqualTo(1.0);
        assertThat(registry.get(TopologyMetrics.DEVICES_EXPANDED).counter().count()).isEqualTo(19.0);
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
