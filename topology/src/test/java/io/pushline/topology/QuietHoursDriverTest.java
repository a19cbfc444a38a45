package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Quiet hours on the bulk lane, on Kafka's TopologyTestDriver with its wall clock as the driver clock: a timeline push
 * inside the recipient's quiet hours (Europe/Berlin, 22:00–07:00 every day) is held and released when they end, both
 * sides of the spring change; one whose TTL (6 h) ends first expires while held, with a receipt; a muted category is
 * not sent, with a receipt.
 */
class QuietHoursDriverTest {
    private static final URI SOURCE = URI.create("test://quiet-hours");
    private static final String TOKEN = "bob-token-apns-0001";
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> bulk;
    private TestOutputTopic<byte[], byte[]> receipts;
    private Instant clock;

    private void start(Instant at) {
        start(at, java.util.Set.of());
    }

    private void start(Instant at, java.util.Set<String> passThrough) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "quiet-hours-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(100, Duration.ofMillis(50)).withQuietHoursPassThrough(passThrough)), props, at);
        clock = at;
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        bulk = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        receipts = driver.createOutputTopic(Topics.PUSH_RECEIPTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        publish(new DeviceRegistered("bob", TOKEN, Platform.APNS, "io.app", at));
        publish(new FollowCreated("bob", "alice"));
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private String publish(EventData data) {
        String id = UUID.randomUUID().toString();
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, clock, data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(), clock));
        return id;
    }

    /** Moves the driver's wall clock to {@code to}, a second at a time near it, so punctuations fire in order. */
    private void advanceTo(Instant to) {
        Duration left = Duration.between(clock, to);
        if (left.compareTo(Duration.ofSeconds(2)) > 0) {
            driver.advanceWallClockTime(left.minusSeconds(1));
            clock = to.minusSeconds(1);
        }
        driver.advanceWallClockTime(Duration.between(clock, to));
        clock = to;
    }

    private void quietNightsInBerlin(List<String> muted) {
        publish(new UserPreferencesUpdated("bob", "Europe/Berlin",
                List.of(new UserPreferencesUpdated.QuietWindow(List.of(DayOfWeek.values()), "22:00", "07:00")), muted, clock));
    }

    private String post() {
        String id = publish(new TimelinePosted("p-" + UUID.randomUUID(), "alice", "Alice posted", "Hello"));
        advanceTo(clock.plusSeconds(1));   // the expansion's pages
        return PushIds.pushId(SOURCE.toString(), id, TOKEN);
    }

    private List<String> released() {
        return bulk.readRecordsToList().stream()
                .map(r -> ((PushTask) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data()).pushId()).toList();
    }

    private List<PushReceipt> receipts() {
        return receipts.readRecordsToList().stream()
                .map(r -> (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data()).toList();
    }

    @Test
    void aPushInQuietHoursIsHeldUntilTheyEndBothSidesOfTheSpringChange() {
        start(Instant.parse("2026-03-28T03:59:00Z"));   // Saturday 04:59 CET
        quietNightsInBerlin(List.of());
        advanceTo(Instant.parse("2026-03-28T04:00:00Z"));
        String before = post();                            // 05:00 CET: quiet until 07:00 CET = 06:00Z
        assertThat(released()).isEmpty();
        advanceTo(Instant.parse("2026-03-28T05:59:59Z"));
        assertThat(released()).as("a second before the quiet hours end").isEmpty();
        advanceTo(Instant.parse("2026-03-28T06:00:01Z"));
        assertThat(released()).containsExactly(before);

        advanceTo(Instant.parse("2026-03-29T03:00:00Z"));   // Sunday 05:00 CEST, after the change at 02:00 CET
        String after = post();                             // quiet until 07:00 CEST = 05:00Z
        advanceTo(Instant.parse("2026-03-29T04:59:59Z"));
        assertThat(released()).as("a second before the quiet hours end").isEmpty();
        advanceTo(Instant.parse("2026-03-29T05:00:01Z"));
        assertThat(released()).containsExactly(after);
        assertThat(receipts()).isEmpty();
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "held").counter().count()).isEqualTo(2.0);
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "released").counter().count()).isEqualTo(2.0);

        String day = post();                               // 06:00Z is 08:00 CEST: not quiet, sent at once
        assertThat(released()).containsExactly(day);
    }

    @Test
    void aPushWhoseTtlEndsBeforeTheQuietHoursExpiresWhileHeld() {
        start(Instant.parse("2026-03-27T21:59:00Z"));   // Friday 22:59 CET
        quietNightsInBerlin(List.of());
        advanceTo(Instant.parse("2026-03-27T22:00:00Z"));
        String pushId = post();                            // quiet until 06:00Z; the TTL of 6 h ends at 04:00Z
        advanceTo(Instant.parse("2026-03-28T03:59:59Z"));
        assertThat(receipts()).isEmpty();
        advanceTo(Instant.parse("2026-03-28T04:00:02Z"));
        assertThat(receipts()).singleElement().satisfies(r -> {
            assertThat(r.pushId()).isEqualTo(pushId);
            assertThat(r.status()).isEqualTo(ReceiptStatus.EXPIRED);
            assertThat(r.reason()).contains("quiet hours");
        });
        advanceTo(Instant.parse("2026-03-28T07:00:00Z"));
        assertThat(released()).as("never sent").isEmpty();
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "expired").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aMutedCategoryIsNotSentAndSaysWhy() {
        start(Instant.parse("2026-03-28T12:00:00Z"));
        quietNightsInBerlin(List.of("timeline"));
        String pushId = post();
        assertThat(released()).isEmpty();
        assertThat(receipts()).singleElement().satisfies(r -> {
            assertThat(r.pushId()).isEqualTo(pushId);
            assertThat(r.status()).isEqualTo(ReceiptStatus.CANCELLED);
            assertThat(r.reason()).contains("muted timeline");
        });
    }

    @Test
    void aUserWithoutPreferencesIsNotHeld() {
        start(Instant.parse("2026-03-28T02:00:00Z"));
        String pushId = post();
        assertThat(released()).containsExactly(pushId);
    }

    @Test
    void aCategoryThatPassesQuietHoursIsSentAtOnceButAMuteStillHolds() {
        start(Instant.parse("2026-03-28T01:00:00Z"), java.util.Set.of("timeline"));   // 02:00 CET: quiet
        quietNightsInBerlin(List.of());
        String pushId = post();
        assertThat(released()).as("timeline passes quiet hours").containsExactly(pushId);
        assertThat(registry.get(TopologyMetrics.POLICY).tag("decision", "held").counter().count()).isZero();

        quietNightsInBerlin(List.of("timeline"));
        post();
        assertThat(released()).as("a mute is not quiet hours").isEmpty();
        assertThat(receipts()).singleElement().satisfies(r -> assertThat(r.reason()).contains("muted timeline"));
    }
}
