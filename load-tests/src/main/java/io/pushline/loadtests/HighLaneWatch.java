package io.pushline.loadtests;

import io.pushline.contracts.Topics;
import io.pushline.localstack.LocalStack;
import io.pushline.loadtests.LikesScenario.Seen;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A read_committed consumer of the high lane from its end: when each push task became visible to a consumer like
 * the workers, and its {@code ce_time}, by {@code ce_id} (the push id). Reads the headers only.
 */
final class HighLaneWatch implements AutoCloseable {
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    HighLaneWatch(LocalStack stack) {
        Map<String, Object> config = stack.clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-bench-high-lane-watch");
        consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.PUSH_HIGH, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(Topics.PUSH_HIGH, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
        thread = new Thread(this::watch, "pushline-bench-high-lane-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                Instant now = Instant.now();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    String id = header(r, "ce_id");
                    String time = header(r, "ce_time");
                    if (id != null && time != null) {
                        try {
                            seen.putIfAbsent(id, new Seen(OffsetDateTime.parse(time).toInstant(), now));
                        } catch (java.time.format.DateTimeParseException e) {
                            // not a push task of ours; the stages leave it out
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    Map<String, Seen> seen() {
        return seen;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }
}
