package io.pushline.workers;

import io.pushline.contracts.Keys;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Which devices were unregistered recently, so that a push queued before its device was unregistered is not sent.
 *
 * <p>It follows the registry's compacted output, {@code pushline.state.devices} (key {@code userId|token}; a
 * registration is a value, an unregistration or a move to another user a tombstone), from {@code lookback} ago: a
 * tombstone marks the pair unregistered, a later registration of the same pair clears it. Pushes older than the
 * lookback are expired anyway (their TTL), so older unregistrations do not matter; the registry itself has already
 * kept such devices out of every expansion since. At most {@code maxEntries} pairs are kept (the oldest are
 * forgotten first, and counted).
 *
 * <p>It is eventually consistent: an unregistration reaches it within about a poll (100 ms) of the registry writing it.
 * One daemon thread; thread-safe queries.
 */
final class DeviceGate implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeviceGate.class);

    private final Map<String, Object> consumerConfig;
    private final Duration lookback;
    private final int maxEntries;
    private final Clock clock;
    private final Map<String, Long> unregistered;   // userId|token -> time of the tombstone; guarded by itself
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile long forgotten;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    DeviceGate(Map<String, Object> clientConfig, Duration lookback, int maxEntries, Clock clock) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-device-gate-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = config;
        this.lookback = lookback;
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.unregistered = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                if (size() > DeviceGate.this.maxEntries) {
                    forgotten++;
                    return true;
                }
                return false;
            }
        };
    }

    /** Assigns every partition of the devices topic from {@code lookback} ago and starts following it. */
    synchronized void start() {
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.STATE_DEVICES, Duration.ofSeconds(60)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        long since = clock.millis() - lookback.toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, since));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, Duration.ofSeconds(60));
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(60));
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp start = starts.get(partition);
            consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
        }
        thread = new Thread(() -> follow(ends), "pushline-device-gate");
        thread.setDaemon(true);
        thread.start();
    }

    private void follow(Map<TopicPartition, Long> initialEnds) {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    apply(record.key(), record.value() == null, record.timestamp());
                }
                if (!caughtUp && initialEnds.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    caughtUp = true;
                    log.info("device gate caught up: {} devices unregistered in the last {}", size(), lookback);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("device gate stopped following {}; unregistered devices are no longer skipped", Topics.STATE_DEVICES, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** A record of the devices topic: a tombstone unregisters the pair, a value registers it. */
    void apply(String key, boolean tombstone, long timestamp) {
        if (key == null) {
            return;
        }
        synchronized (unregistered) {
            if (tombstone) {
                unregistered.remove(key);   // re-inserted at the young end
                unregistered.put(key, timestamp);
            } else {
                unregistered.remove(key);
            }
        }
    }

    /** Whether the device was unregistered (and not registered again) within the lookback. */
    boolean isUnregistered(String userId, String token) {
        String key = Keys.compound(userId, token);
        synchronized (unregistered) {
            return unregistered.containsKey(key);
        }
    }

    /** Whether it has read everything that was on the topic when it started. */
    boolean caughtUp() {
        return caughtUp;
    }

    int size() {
        synchronized (unregistered) {
            return unregistered.size();
        }
    }

    /** Pairs forgotten because {@code maxEntries} was reached. */
    long forgotten() {
        return forgotten;
    }

    /** Waits (bounded) until it has caught up; a worker sends nothing before, so nothing slips through at start. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp && thread != null && thread.isAlive()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);   // polling interval of a bounded wait for the follower thread
        }
        return caughtUp;
    }

    @Override
    public synchronized void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
