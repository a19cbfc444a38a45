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
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "caps-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withTimelineCap(FrequencyCap.parse("2/1h"))), props, T0);
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
    void capsAreReadFromTheirSpecAndRefusedWhenTheyMakeNoSense() {
        assertThat(FrequencyCap.parse("3/1h")).isEqualTo(new FrequencyCap(3, Duration.ofHours(1)));
        assertThat(FrequencyCap.parse(" 10 / 1d ")).isEqualTo(new FrequencyCap(10, Duration.ofDays(1)));
        assertThat(FrequencyCap.parse("5/PT30M")).isEqualTo(new FrequencyCap(5, Duration.ofMinutes(30)));
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
