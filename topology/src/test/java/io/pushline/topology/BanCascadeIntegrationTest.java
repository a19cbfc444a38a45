package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.ContentRemoval;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ban cascade against the real broker with {@code exactly_once_v2}: a ban is interrupted twice, once resuming on the
 * same state directory and once on an empty one (its stores, cursor included, restored from their changelogs), and the
 * removals topic still holds each removal exactly once.
 */
@KafkaIntegrationTest
class BanCascadeIntegrationTest {
    private static final URI SOURCE = URI.create("test://ban-cascade");
    private static final int POSTS = 15_000;
    private static final int LIKES = 5_000;
    private static final int ITEMS = POSTS + LIKES;

    @TempDir
    Path stateDir;
    @TempDir
    Path emptyStateDir;

    private final CloudEventCodec codec = new CloudEventCodec();
    private KafkaStreams streams;
    private SimpleMeterRegistry registry;
    private String appId;

    @BeforeEach
    void topics(KafkaBroker broker) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(Topics.catalogue(3, (short) 1));
    }

    @AfterEach
    void stop(KafkaBroker broker) throws Exception {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        if (appId != null) {
            // Its changelogs are many partitions: deleted now, they do not slow the set-up of the next test on this broker.
            TestTopics.deleteAll(broker.admin(), appId, Duration.ofMinutes(1));
        }
    }

    private void start(KafkaBroker broker, String appId, Path dir) {
        registry = new SimpleMeterRegistry();
        StreamsSettings settings = new StreamsSettings(appId, broker.bootstrapServers(), dir, true, 1, Map.of());
        // 100 removals per 50 ms: the ban runs for seconds, long enough to interrupt it.
        streams = new KafkaStreams(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(100, Duration.ofMillis(50))), settings.toProperties());
        streams.start();
    }

    private void restartAfter(int moreRemovals, Removals removals, KafkaBroker broker, String appId, Path dir) {
        int target = removals.all.size() + moreRemovals;
        await().atMost(Duration.ofMinutes(2)).until(() -> removals.poll() >= target);
        assertThat(removals.all).as("the ban is still running when interrupted").hasSizeLessThan(ITEMS);
        // Leaving the group lets the next instance take over at once instead of after the session timeout.
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        start(broker, appId, dir);
    }

    @Test
    void anInterruptedBanResumesFromItsCursorAndEmitsEachRemovalExactlyOnce(KafkaBroker broker) throws Exception {
        appId = TestTopics.unique("pushline-ban");
        Map<String, Object> producerConfig = new HashMap<>(broker.clientConfig());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        String banId = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < POSTS; i++) {
                send(producer, UUID.randomUUID().toString(), new PostCreated(String.format("post-%05d", i), "spammer"));
            }
            for (int i = 0; i < LIKES; i++) {   // keyed by the post's owner: re-keyed by the router to the actor
                send(producer, UUID.randomUUID().toString(), new LikeCreated("spammer", String.format("liked-%05d", i), "owner-" + (i % 11)));
            }
            send(producer, banId, new ProfileBanned("spammer", "spam"));
            producer.flush();
        }

        try (Removals removals = new Removals(broker)) {
            start(broker, appId, stateDir);
            restartAfter(2_000, removals, broker, appId, stateDir);        // resumes on its own state
            restartAfter(2_000, removals, broker, appId, emptyStateDir);   // restores state and cursor from the changelogs
            await().atMost(Duration.ofMinutes(3)).until(() -> removals.poll() >= ITEMS);
            await().atMost(Duration.ofMinutes(1)).until(() -> registry.get(TopologyMetrics.BAN_JOBS_FINISHED).counter().count() == 1.0);
            assertThat(registry.get(TopologyMetrics.BAN_JOBS_STARTED).counter().count()).as("resumed, not started again").isZero();
            removals.drainToEnd();

            assertThat(removals.all).as("removals in total").hasSize(ITEMS);
            assertThat(removals.all.stream().map(Removal::id).collect(Collectors.toSet())).as("distinct removal ids").hasSize(ITEMS);
            assertThat(removals.all.stream().map(r -> r.data().kind() + "/" + r.data().postId()).collect(Collectors.toSet()))
                    .as("distinct content").hasSize(ITEMS);
            assertThat(removals.all).allSatisfy(r -> {
                assertThat(r.data().banEventId()).isEqualTo(banId);
                assertThat(r.id()).isEqualTo(ContentRemoval.removalId(banId, r.data().kind(), r.data().postId()));
            });
        }
    }

    private void send(KafkaProducer<String, byte[]> producer, String id, EventData data) {
        producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data)));
    }

    private record Removal(String id, ContentRemoval data) {}

    /** A read_committed reader of the removals topic: it sees only what committed transactions wrote. */
    private final class Removals implements AutoCloseable {
        final List<Removal> all = new ArrayList<>();
        final KafkaConsumer<byte[], byte[]> consumer;

        Removals(KafkaBroker broker) {
            Map<String, Object> config = new HashMap<>(broker.clientConfig());
            config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("removals-reader"));
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(Topics.MODERATION_REMOVALS));
        }

        int poll() {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                Envelope<?> envelope = ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope();
                all.add(new Removal(envelope.id(), (ContentRemoval) envelope.data()));
            }
            return all.size();
        }

        /** Reads up to the last stable offset, so a duplicate committed after the last expected removal would be seen. */
        void drainToEnd() {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                poll();
                return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            });
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
