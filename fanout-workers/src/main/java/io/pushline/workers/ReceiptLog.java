package io.pushline.workers;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The push ids that already have a receipt, restored from the compacted receipts topic before the worker consumes.
 *
 * <p>A redelivered push task whose id is here is not sent again. This version keeps every id of the topic in
 * memory (about 100 bytes each); a co-partitioned store restored per assigned partition replaces it when fanouts
 * reach millions of devices per instance. Thread-safe.
 */
final class ReceiptLog {
    private final Set<String> pushIds = ConcurrentHashMap.newKeySet();

    boolean contains(String pushId) {
        return pushIds.contains(pushId);
    }

    void add(String pushId) {
        pushIds.add(pushId);
    }

    int size() {
        return pushIds.size();
    }

    /** Reads the receipts topic from the beginning to its end offsets as of now, bounded by {@code timeout}. */
    static ReceiptLog restore(Map<String, Object> clientConfig, String topic, Duration timeout) {
        ReceiptLog log = new ReceiptLog();
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Instant deadline = Instant.now().plus(timeout);
            while (!caughtUp(consumer, end)) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("restoring receipts from " + topic + " did not finish within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        log.pushIds.remove(record.key());
                    } else {
                        log.pushIds.add(record.key());
                    }
                }
            }
        }
        return log;
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
