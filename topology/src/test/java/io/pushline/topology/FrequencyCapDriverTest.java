package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.contracts.UserPreferencesUpdated;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A frequency cap of 2 timeline notifications per user per hour, on Kafka's TopologyTestDriver with a mocked wall clock:
 * a post counts once per user whatever their devices, the third post in the hour is not sent (each of its pushes gets
 * a {@code CANCELLED} receipt naming the cap), and an hour later the user gets pushes again.
 */
class FrequencyCapDriverTest {
    private static final URI SOURCE = URI.create("test://caps");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> pushes;
    private TestOutputTopic<byte[], byte[]> receipts;

    @BeforeEach
    void open() {
        open("2/1h");
    }

    private void open(String cap) {
        if (driver != null) {
            driver.close();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "caps-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withTimelineCap(FrequencyCap.parse(cap))), props, T0);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        pushes = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        receipts = driver.createOutputTopic(Topics.PUSH_RECEIPTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void theThirdPostInAnHourIsNotSentAndAnHourLaterPushesGoAgain() {
        publish(new DeviceRegistered("fan-1", "token-of-1a", Platform.APNS, "io.app", T0));
        publish(new DeviceRegistered("fan-1", "token-of-1b", Platform.FCM, "io.app.android", T0));
        publish(new DeviceRegistered("fan-2", "token-of-2", Platform.APNS, "io.app", T0));
        publish(new DeviceRegistered("muted", "token-of-3", Platform.APNS, "io.app", T0));
        for (String fan : List.of("fan-1", "fan-2", "muted")) {
            publish(new FollowCreated(fan, "author"));
        }
        publish(new UserPreferencesUpdated("muted", "UTC", List.of(), List.of("timeline"), T0));

        publish(new TimelinePosted("p1", "author", "t", "b"));
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p2", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("two posts: every device, a user with two devices counted once per post")
                .hasSize(6);
        assertThat(receipts(ReceiptStatus.CANCELLED)).allSatisfy(r -> assertThat(r.reason()).startsWith("policy muted"));

        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p3", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("the third post in the hour").isEmpty();
        List<PushReceipt> capped = receipts(ReceiptStatus.CANCELLED).stream().filter(r -> r.reason().startsWith("policy cap")).toList();
        assertThat(capped).extracting(PushReceipt::token).containsExactlyInAnyOrder("token-of-1a", "token-of-1b", "token-of-2");
        assertThat(capped).allSatisfy(r -> assertThat(r.reason()).contains("had 2 per 1h timeline notifications"));
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "capped").counter().count()).isEqualTo(3.0);

        // 10:00 and 10:10 leave the window at 11:00 and 11:10: at 11:05 one slot is free, at 11:15 both.
        driver.advanceWallClockTime(Duration.ofMinutes(45));
        publish(new TimelinePosted("p4", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("one slot free").hasSize(3);
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        publish(new TimelinePosted("p5", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("p4 took the free slot").isEmpty();
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p6", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("10:10 left the window").hasSize(3);
    }

    @Test
    void postsOverTheCapAreMergedIntoOneDigestPerDeviceSentWhenASlotFrees() {
        open("2/1h:digest");
        publish(new DeviceRegistered("fan-1", "token-of-1a", Platform.APNS, "io.app", T0));
        publish(new DeviceRegistered("fan-1", "token-of-1b", Platform.FCM, "io.app.android", T0));
        publish(new DeviceRegistered("fan-2", "token-of-2", Platform.APNS, "io.app", T0));
        publish(new FollowCreated("fan-1", "author"));
        publish(new FollowCreated("fan-2", "author"));
        publish(new FollowCreated("fan-1", "other-author"));

        publish(new TimelinePosted("p1", "author", "t", "b"));
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p2", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).as("two posts under the cap").hasSize(6);

        // 10:20 and 10:30: over the cap. fan-1 has both merged into one digest per device, fan-2 the first.
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p3", "author", "t", "b", "news.example"));
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p4", "other-author", "t", "b", "news.example"));
        assertThat(pushes.readRecordsToList()).as("merged, not sent").isEmpty();
        List<PushReceipt> merged = receipts(ReceiptStatus.CANCELLED);
        assertThat(merged).hasSize(5).allSatisfy(r -> assertThat(r.reason()).startsWith("policy cap: merged into digest ")
                .endsWith("had 2 per 1h timeline notifications)"));
        java.util.Map<String, String> digestIdByToken = new java.util.HashMap<>();
        for (PushReceipt r : merged) {
            String id = r.reason().substring("policy cap: merged into digest ".length()).split(" ")[0];
            assertThat(digestIdByToken.putIfAbsent(r.token(), id)).as("one digest per device").isIn(null, id);
        }
        assertThat(digestIdByToken).hasSize(3);
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "merged").counter().count()).isEqualTo(5.0);

        // 10:00 leaves the window at 11:00: each device gets its digest, once.
        driver.advanceWallClockTime(Duration.ofMinutes(29));
        assertThat(pushes.readRecordsToList()).as("not before a slot is free").isEmpty();
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        List<PushTask> digests = tasks(pushes.readRecordsToList());
        assertThat(digests).hasSize(3);
        for (PushTask d : digests) {
            assertThat(d.pushId()).as("the id the receipts named").isEqualTo(digestIdByToken.get(d.token()));
            assertThat(d.collapseKey()).isEqualTo("timeline-digest");
        }
        PushTask fan1 = digests.stream().filter(d -> d.token().equals("token-of-1a")).findFirst().orElseThrow();
        assertThat(fan1.title()).isEqualTo("2 new posts");
        assertThat(fan1.body()).isEqualTo("from other-author and author");
        assertThat(fan1.data()).containsEntry("type", "digest").containsEntry("posts", "2");
        PushTask fan2 = digests.stream().filter(d -> d.token().equals("token-of-2")).findFirst().orElseThrow();
        assertThat(fan2.title()).isEqualTo("1 new post");
        assertThat(fan2.body()).isEqualTo("from author");
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "digest").counter().count()).isEqualTo(3.0);
        driver.advanceWallClockTime(Duration.ofHours(2));
        assertThat(pushes.readRecordsToList()).as("a digest goes once").isEmpty();

        // 13:00: the window is empty again. Two posts go, the third starts a new digest (a new id), due an hour later.
        publish(new TimelinePosted("p5", "author", "t", "b"));
        publish(new TimelinePosted("p6", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).hasSize(6);
        publish(new TimelinePosted("p7", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).isEmpty();
        List<PushReceipt> again = receipts(ReceiptStatus.CANCELLED);
        assertThat(again).hasSize(3).allSatisfy(r -> assertThat(r.reason()).doesNotContain(digestIdByToken.get(r.token())));
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(tasks(pushes.readRecordsToList())).hasSize(3).allSatisfy(d -> assertThat(d.title()).isEqualTo("1 new post"));
    }

    @Test
    void aDigestDueInTheUsersQuietHoursIsHeldUntilTheyEnd() {
        open("1/1h:digest");
        publish(new DeviceRegistered("night-owl", "token-of-owl", Platform.APNS, "io.app", T0));
        publish(new FollowCreated("night-owl", "author"));
        publish(new UserPreferencesUpdated("night-owl", "UTC", List.of(new UserPreferencesUpdated.QuietWindow(
                List.of(java.time.DayOfWeek.MONDAY), "09:00", "11:30")), List.of(), T0));
        publish(new TimelinePosted("p1", "author", "t", "b"));   // held; counts against the cap
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        publish(new TimelinePosted("p2", "author", "t", "b"));   // over the cap: merged
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "merged").counter().count()).isEqualTo(1.0);

        driver.advanceWallClockTime(Duration.ofMinutes(55));     // 11:05: the digest is due, the user still quiet
        assertThat(pushes.readRecordsToList()).isEmpty();
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "digest").counter().count()).isEqualTo(1.0);
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "held").counter().count()).as("p1 and the digest").isEqualTo(2.0);

        driver.advanceWallClockTime(Duration.ofMinutes(30));     // 11:35: quiet hours over
        List<PushTask> sent = tasks(pushes.readRecordsToList());
        assertThat(sent).extracting(PushTask::title).containsExactlyInAnyOrder("t", "1 new post");
    }

    @Test
    void aDigestThatCannotGoBeforeItsPostsExpireExpires() {
        open("1/1d:digest");
        publish(new DeviceRegistered("fan-1", "token-of-1", Platform.APNS, "io.app", T0));
        publish(new FollowCreated("fan-1", "author"));
        publish(new TimelinePosted("p1", "author", "t", "b"));
        publish(new TimelinePosted("p2", "author", "t", "b"));
        assertThat(pushes.readRecordsToList()).hasSize(1);
        String digestId = receipts(ReceiptStatus.CANCELLED).get(0).reason().split(" ")[5];

        // The timeline TTL (6 h) runs out long before the day's slot frees.
        driver.advanceWallClockTime(Duration.ofDays(1));
        assertThat(pushes.readRecordsToList()).isEmpty();
        assertThat(receipts(ReceiptStatus.EXPIRED)).singleElement()
                .satisfies(r -> assertThat(r.pushId()).isEqualTo(digestId))
                .satisfies(r -> assertThat(r.reason()).startsWith("policy cap: the digest expired"));
    }

    @Test
    void capsAreReadFromTheirSpecAndRefusedWhenTheyMakeNoSense() {
        assertThat(FrequencyCap.parse("3/1h")).isEqualTo(new FrequencyCap(3, Duration.ofHours(1)));
        assertThat(FrequencyCap.parse(" 10 / 1d ")).isEqualTo(new FrequencyCap(10, Duration.ofDays(1)));
        assertThat(FrequencyCap.parse("5/PT30M")).isEqualTo(new FrequencyCap(5, Duration.ofMinutes(30)));
        assertThat(FrequencyCap.parse("3/1h:digest")).isEqualTo(new FrequencyCap(3, Duration.ofHours(1), FrequencyCap.Overflow.DIGEST));
        assertThat(FrequencyCap.parse("3/1h:DROP")).isEqualTo(new FrequencyCap(3, Duration.ofHours(1)));
        assertThatThrownBy(() -> FrequencyCap.parse("3/1h:merge")).hasMessageContaining(":drop, :digest");
        assertThat(FrequencyCap.parse("none")).isNull();
        assertThat(FrequencyCap.parse("")).isNull();
        assertThat(new FrequencyCap(3, Duration.ofMinutes(90)).describe()).isEqualTo("3 per 90m");
        assertThatThrownBy(() -> FrequencyCap.parse("3")).hasMessageContaining("expected N/DURATION");
        assertThatThrownBy(() -> FrequencyCap.parse("0/1h")).hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> FrequencyCap.parse("3/30s")).hasMessageContaining("minutes, hours or days");
        assertThatThrownBy(() -> FrequencyCap.parse("3/10d")).hasMessageContaining("between 1m and 7d");
        assertThatThrownBy(() -> FrequencyCap.parse("3/soon")).hasMessageContaining("minutes, hours or days");
        assertThatThrownBy(() -> FrequencyCap.parse("3/h")).hasMessageContaining("minutes, hours or days");
    }

    private List<PushTask> tasks(List<TestRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> (PushTask) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data()).toList();
    }

    private List<PushReceipt> receipts(ReceiptStatus status) {
        return receipts.readRecordsToList().stream()
                .map(r -> (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data())
                .filter(r -> r.status() == status).toList();
    }

    private void publish(EventData data) {
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE,
                T0, data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(), T0));
    }
}
