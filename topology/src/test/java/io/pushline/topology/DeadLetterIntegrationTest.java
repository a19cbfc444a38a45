package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
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
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad input against the real broker: each kind of bad record lands in the dead-letter topic with its reason and
 * origin and its original bytes, a counter moves, and a good record published after all of them is still routed.
 */
@KafkaIntegrationTest
class DeadLetterIntegrationTest {
    private static final String SOURCE = "test://dead-letters";

    @TempDir
    Path stateDir;

    private KafkaStreams streams;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start(KafkaBroker broker) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(Topics.catalogue(3, (short) 1));
        StreamsSettings settings = new StreamsSettings(TestTopics.unique("pushline-dlq"), broker.bootstrapServers(), stateDir,
                true, 1, Map.of());
        streams = new KafkaStreams(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)), settings.toProperties());
        streams.start();
    }

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
    }

    @Test
    void everyKindOfBadInputIsDeadLetteredWithReasonOriginAndOriginalBytes(KafkaBroker broker) throws Exception {
        String key = "same-partition";   // all on one partition: the good record after them proves the partition kept moving
        byte[] twoMegabytes = new byte[2 * 1024 * 1024];
        Arrays.fill(twoMegabytes, (byte) 'x');
        twoMegabytes[0] = '"';
        twoMegabytes[twoMegabytes.length - 1] = '"';
        Map<DeadLetterReason, ProducerRecord<String, byte[]>> bad = new java.util.LinkedHashMap<>();
        bad.put(DeadLetterReason.MALFORMED_JSON, record(key, "{\"followerId\": \"a\",".getBytes(StandardCharsets.UTF_8), ce("io.pushline.follow.created.v1")));
        bad.put(DeadLetterReason.UNKNOWN_TYPE, record(key, "{}".getBytes(StandardCharsets.UTF_8), ce("com.example.nope.v1")));
        bad.put(DeadLetterReason.SCHEMA_VIOLATION, record(key, "{\"followerId\":\"bob\"}".getBytes(StandardCharsets.UTF_8), ce("io.pushline.follow.created.v1")));
        bad.put(DeadLetterReason.PAYLOAD_TOO_LARGE, record(key, twoMegabytes, ce("io.pushline.follow.created.v1")));
        bad.put(DeadLetterReason.NOT_UTF8, record(key, new byte[]{'{', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'}, ce("io.pushline.follow.created.v1")));
        bad.put(DeadLetterReason.NO_HEADERS, record(key, "{\"followerId\":\"bob\",\"followeeId\":\"alice\"}".getBytes(StandardCharsets.UTF_8), new RecordHeaders()));

        Map<String, Object> producerConfig = new HashMap<>(broker.clientConfig());
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, StreamsSettings.MAX_REQUEST_BYTES);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        Map<DeadLetterReason, RecordMetadata> sent = new HashMap<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig,
                new org.apache.kafka.common.serialization.StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<DeadLetterReason, ProducerRecord<String, byte[]>> e : bad.entrySet()) {
                sent.put(e.getKey(), producer.send(e.getValue()).get(30, TimeUnit.SECONDS));
            }
            ProducerRecord<String, byte[]> good = new CloudEventCodec().toRecord(Topics.EVENTS,
                    Envelope.of(UUID.randomUUID().toString(), URI.create(SOURCE), Instant.now(), new FollowCreated("bob", "alice")));
            producer.send(new ProducerRecord<>(Topics.EVENTS, null, key, good.value(), good.headers())).get(30, TimeUnit.SECONDS);
        }

        List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> follows = new ArrayList<>();
        Map<String, Object> consumerConfig = new HashMap<>(broker.clientConfig());
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("dlq-reader"));
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.DEAD_LETTERS, Topics.STATE_FOLLOWS));
            await().atMost(Duration.ofMinutes(2)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    (r.topic().equals(Topics.DEAD_LETTERS) ? dead : follows).add(r);
                }
                return dead.size() >= bad.size() && !follows.isEmpty();
            });
        }

        assertThat(dead).hasSize(bad.size());
        for (ConsumerRecord<byte[], byte[]> letter : dead) {
            DeadLetterReason reason = DeadLetterReason.valueOf(header(letter, DeadLetters.REASON));
            assertThat(bad).containsKey(reason);
            assertThat(letter.value()).as("original bytes of %s", reason).isEqualTo(bad.get(reason).value());
            assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.EVENTS);
            assertThat(Integer.parseInt(header(letter, DeadLetters.SOURCE_PARTITION))).isEqualTo(sent.get(reason).partition());
            assertThat(Long.parseLong(header(letter, DeadLetters.SOURCE_OFFSET))).isEqualTo(sent.get(reason).offset());
            assertThat(header(letter, DeadLetters.DETAIL)).isNotBlank();
            assertThat(registry.get(TopologyMetrics.DEAD_LETTERS).tag("reason", reason.name()).counter().count()).isEqualTo(1.0);
        }
        assertThat(dead.stream().map(r -> header(r, DeadLetters.DETAIL)).filter(d -> d.contains("followeeId"))).isNotEmpty();
        assertThat(new String(follows.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("bob|alice");
    }

    private static ProducerRecord<String, byte[]> record(String key, byte[] value, RecordHeaders headers) {
        return new ProducerRecord<>(Topics.EVENTS, null, key, value, headers);
    }

    private static RecordHeaders ce(String type) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(new RecordHeader("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_source", SOURCE.getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_type", type.getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_time", Instant.now().toString().getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("content-type", "application/json".getBytes(StandardCharsets.UTF_8)));
        return headers;
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
