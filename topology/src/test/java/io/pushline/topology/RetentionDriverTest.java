package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.ContentRemoval;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * Retention of the topology's stores on Kafka's TopologyTestDriver (one partition, exactly_once_v2, RocksDB stores), its
 * mocked wall clock moved by days: the moderation content index keeps {@link TopologyConfig#contentRetention()} of
 * content, the device registry forgets invalidated tokens after {@link TopologyConfig#invalidatedTokenRetention()}, and
 * both forget in pages of {@link TopologyConfig#pageSize()} per wake-up.
 */
class RetentionDriverTest {
    private static final URI SOURCE = URI.create("test://retention");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private static final int PAGE = 100;
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private Instant now = T0;

    private void open(TopologyConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "retention-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(config.withMeterRegistry(registry).withPaging(PAGE, INTERVAL)),
                props, T0);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void contentOlderThanTheRetentionIsForgottenInBoundedPagesAndABanAfterThatRemovesOnlyNewerContent() {
        open(TopologyConfig.defaults());
        Duration retention = TopologyConfig.DEFAULT_CONTENT_RETENTION;
        for (int i = 0; i < 1_000; i++) {
            publish(new PostCreated(String.format("old-%04d", i), "spammer"), T0);
        }
        for (int i = 0; i < 200; i++) {
            publish(new LikeCreated("bystander", String.format("liked-%03d", i), "spammer"), T0);
        }
        advance(Duration.ofDays(60));
        for (int i = 0; i < 300; i++) {
            publish(new LikeCreated("spammer", String.format("new-%03d", i), "owner-" + (i % 3)), now);
        }
        publish(new PostCreated("keeper", "bystander"), now);
        assertThat(contentKeys("")).hasSize(1_501);

        // Nothing is due until the oldest content is a retention old: no page runs before.
        advance(retention.minusDays(60).minusMillis(1));
        assertThat(expired()).isZero();
        assertThat(contentKeys("")).hasSize(1_501);

        // Then a page per wake-up until the old content is gone: 1,200 items in 12 pages of 100.
        advance(Duration.ofMillis(1));
        List<Integer> pages = new ArrayList<>();
        int left = contentKeys("").size();
        pages.add(1_501 - left);
        for (int i = 0; i < 50 && pages.get(pages.size() - 1) > 0; i++) {
            advance(INTERVAL);
            int after = contentKeys("").size();
            pages.add(left - after);
            left = after;
        }
        assertThat(pages).as("content forgotten per wake-up").containsExactly(100, 100, 100, 100, 100, 100, 100, 100, 100,
                100, 100, 100, 0);
        assertThat(expired()).isEqualTo(1_200);
        assertThat(contentKeys("spammer|")).hasSize(300).allSatisfy(key -> assertThat(key).startsWith("spammer|like|new-"));
        assertThat(contentKeys("bystander|")).containsExactly("bystander|post|keeper");

        // A ban now removes what is still indexed, the content of the last retention, and nothing older.
        TestOutputTopic<byte[], byte[]> removals = driver.createOutputTopic(Topics.MODERATION_REMOVALS,
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        String banId = publish(new ProfileBanned("spammer", "spam"), now);
        List<ContentRemoval> removed = new ArrayList<>(removals(removals));
        for (int i = 0; i < 20; i++) {
            advance(INTERVAL);
            removed.addAll(removals(removals));
        }
        assertThat(removed).hasSize(300).allSatisfy(r -> {
            assertThat(r.kind()).isEqualTo(ContentKind.LIKE);
            assertThat(r.postId()).startsWith("new-");
            assertThat(r.banEventId()).isEqualTo(banId);
        });
        assertThat(removed.stream().map(ContentRemoval::postId).distinct()).hasSize(300);
        assertThat(contentKeys("spammer|")).isEmpty();

        // Content that is older than the retention when it arrives is not indexed at all.
        publish(new PostCreated("ancient", "bystander"), now.minus(retention).minusSeconds(1));
        assertThat(contentKeys("bystander|")).containsExactly("bystander|post|keeper");

        // The rest goes one retention after it was posted, the banned likes' time entries with it (4 pages).
        advance(Duration.ofDays(60));
        for (int i = 0; i < 10; i++) {
            advance(INTERVAL);
        }
        assertThat(contentKeys("")).isEmpty();
        assertThat(timeEntries(ModerationProcessor.CONTENT_EXPIRY)).isEmpty();
        assertThat(expired()).isEqualTo(1_201);
    }

    @Test
    void invalidatedTokensAreForgottenARetentionAfterTheRegistryLearnedOfThemAndRegistrationsStay() {
        open(TopologyConfig.defaults());
        Duration retention = TopologyConfig.DEFAULT_INVALIDATED_TOKEN_RETENTION;
        TestOutputTopic<byte[], byte[]> devices = driver.createOutputTopic(Topics.STATE_DEVICES, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        Instant earlier = T0.minus(Duration.ofDays(1));
        publish(new DeviceRegistered("alice", "token-alice", Platform.APNS, "io.app", earlier), T0);
        publish(new DeviceRegistered("bob", "token-bob", Platform.APNS, "io.app", earlier), T0);
        publish(new DeviceRegistered("carol", "token-carol", Platform.FCM, "io.app", earlier), T0);
        publish(new DeviceRegistered("dave", "token-moved", Platform.FCM, "io.app", earlier), T0);
        publish(new DeviceRegistered("erin", "token-moved", Platform.FCM, "io.app", T0), T0);   // moved to erin
        publish(new DeviceUnregistered("token-alice", T0, "Unregistered"), T0);
        publish(new DeviceUnregistered("token-never-seen", T0, "BadDeviceToken"), T0);
        publish(new DeviceUnregistered("token-carol", T0, "Unregistered"), T0);
        publish(new DeviceRegistered("carol", "token-carol", Platform.FCM, "io.app", T0.plusSeconds(1)), T0);

        // While the invalidation is remembered, a registration older than it loses the race.
        advance(Duration.ofDays(10));
        publish(new DeviceRegistered("alice", "token-alice", Platform.APNS, "io.app", earlier), now);
        assertThat(registry.get(TopologyMetrics.DEVICE_STALE).tag("kind", "registration").counter().count()).isEqualTo(1.0);
        // A provider reporting a token invalid since long ago: remembered a retention from now, not from then.
        publish(new DeviceRegistered("frank", "token-frank", Platform.APNS, "io.app", earlier.minus(Duration.ofDays(200))), now);
        publish(new DeviceUnregistered("token-frank", T0.minus(Duration.ofDays(100)), "Unregistered"), now);
        assertThat(tokens()).containsExactlyInAnyOrder("token-alice", "token-bob", "token-carol", "token-moved",
                "token-never-seen", "token-frank");

        advance(retention.minusDays(10).minusMillis(1));
        assertThat(invalidationsExpired()).isZero();
        advance(Duration.ofMillis(1));
        assertThat(tokens()).as("the invalidations learned at T0 are forgotten; registrations stay")
                .containsExactlyInAnyOrder("token-bob", "token-carol", "token-moved", "token-frank");
        assertThat(invalidationsExpired()).isEqualTo(2.0);

        advance(Duration.ofDays(10));
        assertThat(tokens()).containsExactlyInAnyOrder("token-bob", "token-carol", "token-moved");
        assertThat(invalidationsExpired()).isEqualTo(3.0);
        assertThat(timeEntries(DeviceRegistryProcessor.INVALIDATIONS)).isEmpty();

        // Forgotten: a registration older than the invalidation now registers the token again (its provider would
        // reject it again: an invalidated token does not come back).
        devices.readRecordsToList();
        publish(new DeviceRegistered("alice", "token-alice", Platform.APNS, "io.app", earlier), now);
        assertThat(devices.readKeyValuesToList()).extracting(kv -> new String(kv.key, StandardCharsets.UTF_8))
                .containsExactly("alice|token-alice");
    }

    @Test
    void retentionsThatAreNotPositiveAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> TopologyConfig.defaults().withRetention(Duration.ZERO, Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("contentRetention must be positive, was PT0S");
        assertThatThrownBy(() -> TopologyConfig.defaults().withRetention(Duration.ofDays(1), Duration.ofHours(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalidatedTokenRetention must be positive, was PT-1H");
        assertThatThrownBy(() -> TopologyConfig.defaults().withRetention(null, Duration.ofDays(1)))
                .isInstanceOf(NullPointerException.class).hasMessage("contentRetention");
    }

    private void advance(Duration by) {
        driver.advanceWallClockTime(by);
        now = now.plus(by);
    }

    private String publish(EventData data, Instant timestamp) {
        String id = UUID.randomUUID().toString();
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, timestamp, data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(),
                timestamp));
        return id;
    }

    private List<ContentRemoval> removals(TestOutputTopic<byte[], byte[]> topic) {
        return topic.readRecordsToList().stream()
                .map(r -> (ContentRemoval) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data())
                .toList();
    }

    private double expired() {
        return registry.get(TopologyMetrics.CONTENT_EXPIRED).counter().count();
    }

    private double invalidationsExpired() {
        return registry.get(TopologyMetrics.INVALIDATIONS_EXPIRED).counter().count();
    }

    private List<String> contentKeys(String prefix) {
        return keys(ModerationProcessor.CONTENT_INDEX, prefix);
    }

    private List<String> tokens() {
        return keys(DeviceRegistryProcessor.STORE, "");
    }

    /** The entries of an expiry index, without its sweep marker. */
    private List<String> timeEntries(String store) {
        return keys(store, "").stream().filter(k -> !k.startsWith("~")).toList();
    }

    private List<String> keys(String store, String prefix) {
        List<String> out = new ArrayList<>();
        KeyValueStore<String, byte[]> kv = driver.getKeyValueStore(store);
        try (KeyValueIterator<String, byte[]> all = kv.all()) {
            all.forEachRemaining(e -> {
                if (e.key.startsWith(prefix)) {
                    out.add(e.key);
                }
            });
        }
        return out;
    }
}
