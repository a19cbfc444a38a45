package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Expansion pages are bounded by followers scanned as well as by devices found. An author with a million followers of
 * whom a handful have a device, on Kafka's TopologyTestDriver (one partition, exactly_once_v2, a mocked wall clock that
 * drives the wake-ups) with the default page settings: before the bound, the first page scanned all million followers
 * for its 2,000 devices, one transaction past any timeout.
 */
class SparseAudienceDriverTest {
    private static final URI SOURCE = URI.create("test://sparse-audience");
    private static final int FOLLOWERS = 1_000_000;
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void aPageOverAMillionFollowersWithoutDevicesScansABoundedNumberAndTheJobStillReachesEveryDeviceOnce() {
        TopologyConfig config = TopologyConfig.defaults().withMeterRegistry(registry);
        int bound = config.followersPerPage();
        assertThat(bound).isEqualTo(TopologyConfig.DEFAULT_FOLLOWERS_PER_PAGE).isLessThan(FOLLOWERS / 50);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sparse-audience-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // In-memory stores order keys as RocksDB does; a million follow edges go straight into the follow index (as its
        // changelog would restore them), since a million input records through the driver would take minutes.
        driver = new TopologyTestDriver(PushlineTopology.build(config, Stores::inMemoryKeyValueStore), props);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        TestOutputTopic<byte[], byte[]> pushes = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());

        KeyValueStore<String, byte[]> followIndex = driver.getKeyValueStore(ExpansionProcessor.FOLLOW_INDEX);
        for (int i = 0; i < FOLLOWERS; i++) {
            followIndex.put("star|" + fan(i), new byte[0]);
        }
        driver.<String, Long>getKeyValueStore(ExpansionProcessor.FOLLOWER_COUNTS).put("star", (long) FOLLOWERS);
        // The handful with devices: the first and last follower, one on each side of the first page's bound, one with two
        // devices, and a follower who joined through the topology. A device of someone who does not follow gets nothing.
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        List<String> expected = new ArrayList<>();
        for (int i : new int[]{0, bound - 1, bound, 500_000, 777_777, FOLLOWERS - 1}) {
            String token = "token-of-" + fan(i);
            publish(new DeviceRegistered(fan(i), token, Platform.APNS, "io.app", t));
            expected.add(token);
        }
        publish(new DeviceRegistered(fan(777_777), "second-token-of-" + fan(777_777), Platform.FCM, "io.app", t));
        expected.add("second-token-of-" + fan(777_777));
        publish(new DeviceRegistered("zz-late", "token-of-zz-late", Platform.APNS, "io.app", t));
        publish(new FollowCreated("zz-late", "star"));
        expected.add("token-of-zz-late");
        publish(new DeviceRegistered("not-a-follower", "token-of-not-a-follower", Platform.APNS, "io.app", t));

        String postId = publish(new TimelinePosted("p1", "star", "t", "b"));
        List<String> delivered = new ArrayList<>(tokens(pushes));

        // The first page, at once: the bound of followers scanned, the cursor on the last of them, two devices found.
        ExpansionProcessor.Job first = job(postId);
        assertThat(first.followersTotal()).isEqualTo(FOLLOWERS + 1L);
        assertThat(first.followersDone()).isEqualTo(bound);
        assertThat(first.cursor()).isEqualTo(fan(bound - 1));
        assertThat(first.emitted()).isEqualTo(2);
        assertThat(delivered).containsExactly("token-of-" + fan(0), "token-of-" + fan(bound - 1));
        assertThat(scanned()).isEqualTo(bound);

        // Then one page per wake-up, each within the bound, until every follower is done.
        ExpansionProcessor.Job previous = first;
        int wakeUps = 0;
        int maxWakeUps = 2 * (FOLLOWERS / bound + 1);
        while (wakeUps < maxWakeUps && previous != null) {
            double scannedBefore = scanned();
            driver.advanceWallClockTime(config.pageInterval());
            wakeUps++;
            delivered.addAll(tokens(pushes));
            assertThat(scanned() - scannedBefore).as("followers scanned by wake-up %d", wakeUps).isPositive().isLessThanOrEqualTo(bound);
            ExpansionProcessor.Job next = jobOrNull(postId);
            if (next != null) {
                assertThat(next.followersDone() - previous.followersDone()).isEqualTo(bound);
                assertThat(next.cursor()).as("the cursor moves on, devices found or not").isGreaterThan(previous.cursor());
            }
            previous = next;
        }
        assertThat(previous).as("the job finished within %d wake-ups", maxWakeUps).isNull();
        assertThat(wakeUps).isEqualTo((FOLLOWERS + 1 + bound - 1) / bound - 1);
        assertThat(scanned()).as("every follower scanned once").isEqualTo(FOLLOWERS + 1.0);
        assertThat(delivered).as("each existing device once").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(registry.get(TopologyMetrics.JOBS_EXPANDED).counter().count()).isEqualTo(1.0);
    }

    @Test
    void aBoundOfFollowersPerPageBelowOneIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> TopologyConfig.defaults().withFollowersPerPage(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("followersPerPage must be >= 1, was 0");
        assertThatThrownBy(() -> TopologyConfig.defaults().withFollowersPerPage(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("followersPerPage must be >= 1, was -5");
        assertThat(TopologyConfig.defaults().withPaging(300, Duration.ofMillis(10)).followersPerPage())
                .as("paging scales the bound").isEqualTo(300 * TopologyConfig.FOLLOWERS_PER_DEVICE);
        assertThat(TopologyConfig.defaults().withPaging(Integer.MAX_VALUE, Duration.ofMillis(10)).followersPerPage())
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(TopologyConfig.defaults().withPaging(300, Duration.ofMillis(10)).withFollowersPerPage(7).followersPerPage())
                .isEqualTo(7);
    }

    private static String fan(int i) {
        String digits = Integer.toString(i);
        return "fan-" + "0".repeat(7 - digits.length()) + digits;
    }

    private double scanned() {
        return registry.get(TopologyMetrics.FOLLOWERS_SCANNED).counter().count();
    }

    private String publish(EventData data) {
        String id = UUID.randomUUID().toString();
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(),
                Instant.now()));
        return id;
    }

    private List<String> tokens(TestOutputTopic<byte[], byte[]> pushes) {
        return pushes.readRecordsToList().stream()
                .map(r -> ((PushTask) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data()).token())
                .toList();
    }

    private ExpansionProcessor.Job job(String eventId) {
        ExpansionProcessor.Job job = jobOrNull(eventId);
        assertThat(job).as("job %s in the store", eventId).isNotNull();
        return job;
    }

    private ExpansionProcessor.Job jobOrNull(String eventId) {
        byte[] bytes = driver.<String, byte[]>getKeyValueStore(ExpansionProcessor.JOBS).get(PushIds.eventKey(SOURCE.toString(), eventId));
        if (bytes == null) {
            return null;
        }
        try {
            return json.readValue(bytes, ExpansionProcessor.Job.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
