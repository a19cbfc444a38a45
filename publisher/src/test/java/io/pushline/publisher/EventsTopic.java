package io.pushline.publisher;

import static org.awaitility.Awaitility.await;

import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.TestTopics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** {@link Topics#EVENTS} on the test broker: created as the catalogue says, and read back record by record. */
final class EventsTopic implements AutoCloseable {
    static final int PARTITIONS = 3;

    private final KafkaConsumer<String, byte[]> consumer;

    private EventsTopic(KafkaBroker broker) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("publisher-reader"));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Makes sure the events topic exists (with the catalogue's settings) and opens a reader. */
    static EventsTopic open(KafkaBroker broker) {
        new TopicProvisioner(broker.admin(), Duration.ofSeconds(30)).ensure(Topics.catalogue(PARTITIONS, (short) 1).stream()
                .filter(spec -> spec.name().equals(Topics.EVENTS)).toList());
        return new EventsTopic(broker);
    }

    /** The record at {@code offset} of {@code partition}, waiting at most 30 s for it. */
    ConsumerRecord<String, byte[]> read(int partition, long offset) {
        TopicPartition tp = new TopicPartition(Topics.EVENTS, partition);
        consumer.assign(List.of(tp));
        consumer.seek(tp, offset);
        AtomicReference<ConsumerRecord<String, byte[]>> found = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (r.offset() == offset) {
                    found.set(r);
                }
            }
            return found.get() != null;
        });
        return found.get();
    }

    /** The record {@code published} says was written. */
    ConsumerRecord<String, byte[]> read(Published published) {
        return read(published.partition(), published.offset());
    }

    @Override
    public void close() {
        consumer.close();
    }
}
