package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Small client helpers for the test kit's own tests. */
final class Clients {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Clients() {}

    static String createTopic(KafkaBroker broker, String prefix, int partitions) throws Exception {
        String topic = TestTopics.unique(prefix);
        broker.admin().createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                .all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return topic;
    }

    /** Reads from the beginning until {@code count} records arrived or {@link #TIMEOUT} passed. */
    static List<ConsumerRecord<String, byte[]>> consume(KafkaBroker broker, String topic, int count,
                                                        Map<String, Object> extra) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("group"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.putAll(extra);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).as("records read from %s within %s", topic, TIMEOUT).hasSize(count);
        return records;
    }
}
