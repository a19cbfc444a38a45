package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.loadtests.report.ProgressBar;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical limits of this machine for Pushline's work, with the pipeline's own settings: Kafka produce and consume
 * rates for records the size of a push task, and the bare push-provider rates.
 */
final class LimitsScenario {
    record Result(double produceRecordsPerSec, double consumeRecordsPerSec, int recordBytes, BareProviders.Rates providers) {}

    private LimitsScenario() {
    }

    /** A push task as the expansion writes it: the record whose size the Kafka limits are measured with. */
    static ProducerRecord<String, byte[]> samplePushTask(String topic, int n) {
        String eventId = UUID.randomUUID().toString();
        String token = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
        PushTask task = new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, "user-" + n, token, Platform.APNS, "io.pushline.bench",
                "author-0 posted", "Something new on author-0's timeline", Map.of("postId", "post-0", "authorId", "author-0"),
                "post-post-0", 21_600, Priority.NORMAL, Lane.BULK);
        return CODEC.toRecord(topic, Envelope.of(task.pushId(), URI.create("pushline://bench"), Instant.now(), task));
    }

    private static final CloudEventCodec CODEC = new CloudEventCodec();

    static Result run(LocalStack stack, int records, int pushes, int partitions, AtomicLong completed, Duration timeout) throws Exception {
        String topic = "pushline.bench.limits-" + System.currentTimeMillis();
        stack.admin().createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        ProducerRecord<String, byte[]> sample = samplePushTask(topic, 0);
        int headerBytes = 0;
        for (Header h : sample.headers()) {
            headerBytes += h.key().length() + h.value().length;
        }
        int recordBytes = sample.value().length + sample.key().length() + headerBytes;

        // Produce: the pipeline's producer settings (idempotent, acks=all, linger 5 ms, no compression). The records are encoded
        // before the clock starts (a pool of distinct ones, reused): this measures Kafka, not our codec.
        List<ProducerRecord<String, byte[]>> pool = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(records, 4096); i++) {
            pool.add(samplePushTask(topic, i));
        }
        ProgressBar produceBar = new ProgressBar(System.out, "kafka produce", records);
        long start = System.nanoTime();
        AtomicLong acked = new AtomicLong();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                ProducerRecord<String, byte[]> r = pool.get(i % pool.size());
                producer.send(r, (m, e) -> {
                    acked.incrementAndGet();
                    completed.incrementAndGet();
                });
                if (i % 5000 == 0) {
                    produceBar.update(acked.get());
                }
            }
            producer.flush();
        }
        double produceRate = records / ((System.nanoTime() - start) / 1e9);
        produceBar.finish(acked.get());

        // Consume: the workers' consumer settings (max.poll.records 500, no auto commit).
        Map<String, Object> config = stack.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "pushline-bench-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        ProgressBar consumeBar = new ProgressBar(System.out, "kafka consume", records);
        long consumed = 0;
        Instant deadline = Instant.now().plus(timeout);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            // Join the group before the clock starts: the rate is of reading, not of a rebalance.
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(50)).forEach(r -> { });
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the consumer got no partitions within " + timeout);
                }
            }
            consumer.seekToBeginning(consumer.assignment());
            start = System.nanoTime();
            while (consumed < records) {
                int n = consumer.poll(Duration.ofMillis(200)).count();
                consumed += n;
                completed.addAndGet(n);
                consumeBar.update(consumed);
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("consumed only " + consumed + " of " + records + " records within " + timeout);
                }
            }
        }
        double consumeRate = records / ((System.nanoTime() - start) / 1e9);
        consumeBar.finish(consumed);
        stack.admin().deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);

        System.out.printf("  bare providers: Pushy → MockApnsServer, Firebase Admin SDK → fake FCM, then both at once (%,d pushes each) ...%n", pushes);
        BareProviders.Rates rates = BareProviders.measure(stack.apns(), stack.fcm(), pushes, timeout);
        return new Result(produceRate, consumeRate, recordBytes, rates);
    }
}
