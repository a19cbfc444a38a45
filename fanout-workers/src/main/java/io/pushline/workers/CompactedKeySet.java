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
 * The keys of a compacted topic whose latest record is a tombstone ({@link Mode#TOMBSTONES}) or a value
 * ({@link Mode#VALUES}), followed by one daemon thread from {@code lookback} ago (or from the beginning), so that a
 * worker can ask cheaply, before a send, whether the push has been overtaken:
 *
 * <ul>
 *   <li>{@link #devices}: {@code pushline.state.devices} (key {@code userId|token}; a registration is a value, an
 *       unregistration or a move to another user a tombstone), tombstones of the last 24 h: a device unregistered
 *       after its push was queued. Pushes older than that have expired anyway (their TTL), and the registry has kept
 *       such devices out of every expansion since.</li>
 *   <li>{@link #bannedProfiles}: {@code pushline.state.banned-profiles} (key profile id), values from the beginning:
 *       the banned profiles (few).</li>
 * </ul>
 *
 * <p>At most {@code maxEntries} keys are kept (the oldest are forgotten first, and counted). Eventually consistent: a
 * change reaches it within about a poll (100 ms) of being written. Thread-safe queries.
 */
final class CompactedKeySet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CompactedKeySet.class);

    /** Which keys are in the set: those whose latest record is a tombstone, or those whose latest record is a value. */
    enum Mode { TOMBSTONES, VALUES }

    /** Devices unregistered (or moved) within {@code lookback}, by {@code userId|token}. */
    static CompactedKeySet devices(Map<String, Object> clientConfig, Duration lookback, int maxEntries, Clock clock) {
        return new CompactedKeySet(clientConfig, Topics.STATE_DEVICES, Mode.TOMBSTONES, lookback, maxEntries, clock);
    }

    /** Banned profiles, by profile id. */
    static CompactedKeySet bannedProfiles(Map<String, Object> clientConfig, int maxEntries, Clock clock) {
        return new CompactedKeySet(clientConfig, Topics.STATE_BANNED_PROFILES, Mode.VALUES, null, maxEntries, clock);
    }

    private final String topic;
    private final Mode mode;

    private final Map<String, Object> consumerConfig;
    private final Duration lookback;
    private final int maxEntries;
    private final Clock clock;
    private final Map<String, Long> unregistered;   // key -> time of its record; guarded by itself
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile long forgotten;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    /** @param lookback how far back to start; null for the beginning of the topic */
    CompactedKeySet(Map<String, Object> clientConfig, String topic, Mode mode, Duration lookback, int maxEntries, Clock clock) {
        this.topic = topic;
        this.mode = mode;
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-" + topic + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = config;
        this.lookback = lookback;
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.unregistered = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                if (size() > CompactedKeySet.this.maxEntries) {
                    forgotten++;
                    return true;
                }
                return false;
            }
        };
    }

    /** Assigns every partition of the topic from {@code lookback} ago (or the beginning) and starts following it. */
    synchronized void start() {
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(60));
        if (lookback == null) {
            consumer.seekToBeginning(partitions);
        } else {
            long since = clock.millis() - lookback.toMillis();
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, since));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, Duration.ofSeconds(60));
            for (TopicPartition partition : partitions) {
                OffsetAndTimestamp start = starts.get(partition);
                consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
            }
        }
        thread = new Thread(() -> follow(ends), "pushline-follow-" + topic);
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
                    log.info("caught up with {}: {} keys", topic, size());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("stopped following {}; pushes it would stop are sent", topic, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** A record of the topic: depending on the mode, a tombstone or a value puts its key in the set, the other removes it. */
    void apply(String key, boolean tombstone, long timestamp) {
        if (key == null) {
            return;
        }
        synchronized (unregistered) {
            if (tombstone == (mode == Mode.TOMBSTONES)) {
                unregistered.remove(key);   // re-inserted at the young end
                unregistered.put(key, timestamp);
            } else {
                unregistered.remove(key);
            }
        }
    }

    /** Whether the device was unregistered (and not registered again) within the lookback (a {@link #devices} set). */
    boolean isUnregistered(String userId, String token) {
        return contains(Keys.compound(userId, token));
    }

    boolean contains(String key) {
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
