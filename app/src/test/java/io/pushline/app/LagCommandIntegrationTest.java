package io.pushline.app;

import io.pushline.observability.LagMetrics;
import io.pushline.testkit.Waits;

import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline lag} against a real broker: its record lag equals what Kafka's own {@code kafka-consumer-groups
 * --describe} reports for the same group, and its lag in seconds tracks a known age of the oldest unconsumed record
 * (records written with a timestamp 90 s in the past) within 5 s.
 */
@KafkaIntegrationTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LagCommandIntegrationTest {
    private static final String TOPIC = "lagtest.events";
    private static final String GROUP = "lagtest-group";

    @Test
    void recordLagMatchesKafkasToolAndSecondsTrackTheOldestRecordsAge(KafkaBroker broker) throws Exception {
        broker.admin().createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        long ninetySecondsAgo = Instant.now().minusSeconds(90).toEpochMilli();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, ninetySecondsAgo + i, "k", "old-" + i));
            }
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 1, null, "k", "new-" + i));
            }
            producer.flush();
        }
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", GROUP));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.commitSync(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(3), new TopicPartition(TOPIC, 1),
                    new OffsetAndMetadata(5)));
        }

        CliRun.Result ours = run("lag", "--group", GROUP, "--bootstrap-servers", broker.bootstrapServers());
        assertThat(ours.code()).as(ours.err()).isZero();
        Map<Integer, String[]> byPartition = rows(ours.out());
        assertThat(byPartition.get(0)[5]).isEqualTo("7");
        assertThat(byPartition.get(1)[5]).isEqualTo("0");
        double seconds = Double.parseDouble(byPartition.get(0)[6]);
        assertThat(seconds).as("the oldest unconsumed record was written 90 s before the run").isBetween(88.0, 95.0);
        assertThat(Double.parseDouble(byPartition.get(1)[6])).isZero();

        Map<Integer, Long> kafkas = kafkaConsumerGroupsLag(broker.bootstrapServers());
        assertThat(kafkas).containsEntry(0, 7L).containsEntry(1, 0L);

        // The same figures as gauges, as every router process exports them on /metrics.
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (LagMetrics metrics = LagMetrics.start(Map.of("bootstrap.servers", broker.bootstrapServers()), registry, GROUP::equals,
                java.time.Duration.ofMillis(200))) {
            Waits.until(() -> registry.find(LagMetrics.RECORDS).tags("group", GROUP, "topic", TOPIC, "partition", "0")
                    .gauge() != null, java.time.Duration.ofSeconds(30), () -> "the lag gauges");
            assertThat(registry.get(LagMetrics.RECORDS).tags("group", GROUP, "topic", TOPIC, "partition", "0").gauge().value()).isEqualTo(7.0);
            assertThat(registry.get(LagMetrics.RECORDS).tags("group", GROUP, "topic", TOPIC, "partition", "1").gauge().value()).isZero();
            assertThat(registry.get(LagMetrics.SECONDS).tags("group", GROUP, "topic", TOPIC, "partition", "0").gauge().value())
                    .isBetween(88.0, 100.0);
        }

        CliRun.Result unknown = run("lag", "--group", "no-such-group", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("consumer group 'no-such-group' does not exist");
    }

    /** GROUP TOPIC PARTITION COMMITTED END LAG LAG-SECONDS rows of our table, by partition. */
    private static Map<Integer, String[]> rows(String out) {
        Map<Integer, String[]> rows = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 7 && cols[1].equals(TOPIC)) {
                rows.put(Integer.parseInt(cols[2]), cols);
            }
        }
        return rows;
    }

    /** Kafka's own {@code kafka-consumer-groups.sh --describe}, in a child JVM: the LAG column by partition. */
    private static Map<Integer, Long> kafkaConsumerGroupsLag(String bootstrap) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server", bootstrap, "--describe", "--group", GROUP));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Map<Integer, Long> lag = new HashMap<>();
        List<String> header = null;
        for (String line : output.split("\n")) {
            List<String> cols = List.of(line.trim().split("\\s+"));
            if (cols.contains("LAG") && cols.contains("PARTITION")) {
                header = cols;
            } else if (header != null && cols.size() >= header.size() - 3 && cols.contains(TOPIC)) {
                lag.put(Integer.parseInt(cols.get(header.indexOf("PARTITION"))), Long.parseLong(cols.get(header.indexOf("LAG"))));
            }
        }
        assertThat(lag).as("kafka-consumer-groups output:\n" + output).isNotEmpty();
        return lag;
    }

    private static CliRun.Result run(String... args) {
        return CliRun.run(args);
    }
}
