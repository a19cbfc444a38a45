package io.pushline.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.testkit.Waits;
import io.pushline.topology.TopologyMetrics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Poison records in the Streams applications, as a process runs them ({@link Pipeline}): a record that makes a processor
 * throw, every time, lands in the dead letters with {@code PROCESSING_FAILED} and its origin, and the records after it
 * on its partition are processed. The poison here is real: a store entry this version cannot read (as a newer version
 * or a corruption would leave it), restored from the store's changelog, which the processor reads for that record only.
 * And the hot loop: a record that kills every stream thread that reads it ends, after the replacement bound, in a
 * client shut down and {@link Pipeline#fatal()} saying so.
 */
@KafkaIntegrationTest
class PoisonRecordsIntegrationTest {
    private static final int PARTITIONS = 3;
    private static final URI SOURCE = URI.create("test://poison-records");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private KafkaBroker broker;
    private KafkaProducer<String, byte[]> producer;
    @TempDir
    Path stateDir;

    @BeforeEach
    void setUp(KafkaBroker broker) throws Exception {
        this.broker = broker;
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        producer = new KafkaProducer<>(Pipeline.producerConfig(broker.clientConfig()), new StringSerializer(), new ByteArraySerializer());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void aRecordTheDeviceRegistryCannotProcessIsDeadLetteredAndItsPartitionMovesOn() throws Exception {
        String appId = TestTopics.unique("pushline-poison");
        String poisonToken = "poison" + UUID.randomUUID().toString().replace("-", "");
        int partition = Keys.partitionFor(poisonToken, PARTITIONS);
        String nextToken = tokenOn(partition, "next");
        // The registry's entry for the poison token, unreadable to this version (restored into its store at start).
        String changelog = appId + "-device-tokens-changelog";
        createCompacted(changelog);
        producer.send(new ProducerRecord<>(changelog, partition, poisonToken, "{\"userId\":".getBytes(StandardCharsets.UTF_8)))
                .get(30, TimeUnit.SECONDS);
        Pipeline pipeline = start(appId, ProcessRole.ROUTER);

        ProducerRecord<String, byte[]> poison = event(new DeviceRegistered("user-1", poisonToken, Platform.FCM, "io.pushline.test", Instant.now()));
        send(poison);
        send(event(new DeviceRegistered("user-2", nextToken, Platform.FCM, "io.pushline.test", Instant.now())));

        // The record after the poison, on the same partition of the registry's input, is processed.
        Waits.until(() -> keys(Topics.STATE_DEVICES).contains("user-2|" + nextToken), Duration.ofSeconds(30),
                () -> "user-2's device in " + Topics.STATE_DEVICES + ": " + keys(Topics.STATE_DEVICES));
        List<ConsumerRecord<byte[], byte[]>> dead = read(Topics.DEAD_LETTERS);
        assertThat(dead).hasSize(1);
        ConsumerRecord<byte[], byte[]> letter = dead.get(0);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo(DeadLetterReason.PROCESSING_FAILED.name());
        assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.DEVICE_EVENTS_BY_TOKEN);
        assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo(Integer.toString(partition));
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(letter, DeadLetters.DETAIL))
                .startsWith("processor device-registry: java.io.UncheckedIOException: device-tokens store entry is unreadable")
                .doesNotContain(poisonToken);
        // The original record as the registry read it: key (the token), value and the event's headers.
        assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo(poisonToken);
        assertThat(letter.value()).isEqualTo(poison.value());
        assertThat(header(letter, "ce_id")).isEqualTo(new String(poison.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8));
        assertThat(deadLettersCounted(TopologyMetrics.DEAD_LETTERS)).isEqualTo(1.0);
        assertThat(pipeline.fatal()).isNull();
    }

    @Test
    void aRecordTheCoordinatorsCannotProcessIsDeadLetteredAndItsPartitionMovesOn() throws Exception {
        String owner = "owner-" + UUID.randomUUID().toString().substring(0, 8);
        int partition = Keys.partitionFor(owner, PARTITIONS);
        // What the coordinators remember of alice's like of post-1, unreadable to this version.
        String changelog = CoordinatorTopology.DEFAULT_APPLICATION_ID + "-coordinator-facts-changelog";
        createCompacted(changelog);
        producer.send(new ProducerRecord<>(changelog, partition, "like|alice|post-1", "[1,".getBytes(StandardCharsets.UTF_8)))
                .get(30, TimeUnit.SECONDS);
        Pipeline pipeline = start(TestTopics.unique("pushline-poison"), ProcessRole.COORDINATORS);

        ProducerRecord<String, byte[]> poison = event(new LikeCreated("alice", "post-1", owner));
        RecordMetadata poisonAt = send(poison);
        RecordMetadata nextAt = send(event(new LikeCreated("bob", "post-1", owner)));
        assertThat(nextAt.partition()).isEqualTo(poisonAt.partition()).isEqualTo(partition);

        // Bob's like, after the poison on the same partition, runs its flow: its like is saved.
        Waits.until(() -> keys(Topics.STATE_LIKES).stream().anyMatch(k -> k.contains("bob")), Duration.ofSeconds(30),
                () -> "bob's like in " + Topics.STATE_LIKES + ": " + keys(Topics.STATE_LIKES));
        List<ConsumerRecord<byte[], byte[]>> dead = read(Topics.DEAD_LETTERS);
        assertThat(dead).hasSize(1);
        ConsumerRecord<byte[], byte[]> letter = dead.get(0);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo(DeadLetterReason.PROCESSING_FAILED.name());
        assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.EVENTS);
        assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo(Integer.toString(poisonAt.partition()));
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo(Long.toString(poisonAt.offset()));
        assertThat(header(letter, DeadLetters.DETAIL)).startsWith("processor coordinators: java.io.UncheckedIOException: unreadable ");
        assertThat(letter.value()).isEqualTo(poison.value());
        assertThat(deadLettersCounted(CoordinatorMetrics.DEAD_LETTERS)).isEqualTo(1.0);
        assertThat(keys(Topics.STATE_LIKES)).noneMatch(k -> k.contains("alice"));
        assertThat(pipeline.fatal()).isNull();
    }

    @Test
    void aRecordThatKillsEveryStreamThreadShutsTheApplicationDownInsteadOfLoopingForever() throws Exception {
        // The router's output for device events takes records of at most 100 bytes: every device event the router
        // forwards there is refused by the broker, and Streams fails the thread (not a processing exception: the
        // record is not dead-lettered). Every replacement thread reads it again.
        broker.admin().createTopics(List.of(new NewTopic(Topics.DEVICE_EVENTS_BY_TOKEN, PARTITIONS, (short) 1)
                .configs(Map.of("max.message.bytes", "100")))).all().get(30, TimeUnit.SECONDS);
        // One replacement allowed (5 in production): each round of a thread failing and its replacement joining costs
        // about 9 s here; ThreadReplacementsTest covers the bound itself.
        Pipeline pipeline = Pipeline.start(settings(TestTopics.unique("pushline-poison")), Set.of(ProcessRole.ROUTER), registry,
                () -> new ThreadReplacements(1, ThreadReplacements.DEFAULT_WINDOW, java.time.Clock.systemUTC()));
        closeables.add(pipeline);
        assertThat(pipeline.fatal()).isNull();

        send(event(new DeviceRegistered("user-1", "token" + UUID.randomUUID().toString().replace("-", ""), Platform.FCM,
                "io.pushline.test", Instant.now())));

        Waits.until(() -> pipeline.fatal() != null, Duration.ofSeconds(90), "the topology to shut down");
        assertThat(pipeline.fatal()).startsWith("the topology is ");
        assertThat(pipeline.notReady()).isEqualTo(pipeline.fatal());
    }

    private Pipeline.Settings settings(String appId) {
        // Kafka Streams does not leave its group on close: a short session lets the next test's members take over quickly.
        return new Pipeline.Settings(broker.bootstrapServers(), Map.of("session.timeout.ms", 6000, "heartbeat.interval.ms", 1500),
                PARTITIONS, io.pushline.contracts.Replication.Choice.AUTO, stateDir, appId, 8);
    }

    private Pipeline start(String appId, ProcessRole role) {
        Pipeline pipeline = Pipeline.start(settings(appId), Set.of(role), Map.of(), registry);
        closeables.add(pipeline);
        return pipeline;
    }

    private void createCompacted(String topic) throws Exception {
        broker.admin().createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                .all().get(30, TimeUnit.SECONDS);
    }

    /** A token on {@code partition} (Kafka's default partitioner over its bytes), found in at most 1,000 tries. */
    private static String tokenOn(int partition, String prefix) {
        for (int i = 0; i < 1_000; i++) {
            String token = prefix + i + UUID.randomUUID().toString().replace("-", "");
            if (Keys.partitionFor(token, PARTITIONS) == partition) {
                return token;
            }
        }
        throw new AssertionError("no token on partition " + partition + " in 1,000 tries");
    }

    private ProducerRecord<String, byte[]> event(EventData data) {
        return codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, Instant.now(), data));
    }

    private RecordMetadata send(ProducerRecord<String, byte[]> record) throws Exception {
        return producer.send(record).get(30, TimeUnit.SECONDS);
    }

    private double deadLettersCounted(String metric) {
        Counter counter = registry.find(metric).tag("reason", DeadLetterReason.PROCESSING_FAILED.name()).counter();
        return counter == null ? 0 : counter.count();
    }

    private List<String> keys(String topic) {
        return read(topic).stream().map(r -> r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8)).toList();
    }

    /** Every committed record on {@code topic} now, read from the start. */
    private List<ConsumerRecord<byte[], byte[]>> read(String topic) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
