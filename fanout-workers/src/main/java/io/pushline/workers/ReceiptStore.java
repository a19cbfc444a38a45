package io.pushline.workers;

import io.pushline.contracts.Keys;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The push ids that have a receipt, for the receipts partitions whose numbers the worker owns, restored on assignment
 * and followed afterwards.
 *
 * <p>Receipts are co-partitioned with the push tasks: a receipt is keyed {@code userId|pushId} and written to
 * {@link #partitionOf partitionOf(userId)}, the partition Kafka's default partitioner gives the task's own key
 * ({@code userId}) on a topic of the receipts topic's partition count; the lane topic and its retry topics have that
 * count too, so receipts partition {@code p} holds the receipts of the tasks on partition {@code p} of each of them.
 *
 * <p>The worker says which partition numbers it owns ({@link #track}, on its poll thread). One daemon thread with its
 * own consumer (manual assignment, no group) then reads each newly owned receipts partition from its beginning to its
 * end offset as of the assignment; only then is the number {@link #isRestored restored}, and the worker keeps every
 * task partition of that number paused until it is. Afterwards the thread keeps following the owned partitions (about
 * 100 ms behind), so receipts written by another member (the owner of a retry partition with the same number, or the
 * previous owner finishing its in-flight pushes) are seen too. A number no longer owned is dropped with its receipts,
 * so memory is bounded by the receipts of the owned partitions (about 100 bytes each). The poll thread never waits
 * for a restore: it keeps polling, with the partitions paused.
 *
 * <p>Keys written by the previous version (a bare {@code pushId}, no {@code |}) count as well: the key's shape decides,
 * the value is never decoded. Such a receipt sits on the partition of its push id, not of its user, so it is only seen
 * by the owner of that partition number (see the class notes in {@link PushWorker}).
 *
 * <p>If the thread fails unexpectedly, {@link #failure()} says so and the worker stops rather than send without a
 * receipt check. Thread-safe; {@link #start} once, {@link #close} once.
 */
final class ReceiptStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReceiptStore.class);
    static final String STATUS_HEADER = PushWorker.RECEIPT_STATUS_HEADER;
    private static final byte[] FAILED = "FAILED".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration SLOW_RESTORE = Duration.ofSeconds(60);
    private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final Map<String, Object> consumerConfig;
    private final String label;
    private final Consumer<Duration> restoreTimer;
    /** Partition number → push ids with a receipt; only numbers being restored or restored are present. */
    private final Map<Integer, Set<String>> held = new ConcurrentHashMap<>();
    /** Partition number → the push ids among {@link #held} whose latest receipt says FAILED (rare: pushes given up on). */
    private final Map<Integer, Set<String>> failedOnly = new ConcurrentHashMap<>();
    private final Set<Integer> restored = ConcurrentHashMap.newKeySet();
    private final Object changed = new Object();
    private volatile Set<Integer> wanted = Set.of();
    private volatile boolean running = true;
    private volatile RuntimeException failure;
    private volatile int partitions;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    // follower thread only
    private final Set<Integer> assigned = new HashSet<>();
    private final Set<Integer> needEnd = new HashSet<>();
    private final Map<Integer, Long> restoring = new HashMap<>();   // number → end offset to reach
    private final Set<Integer> batch = new TreeSet<>();
    private long batchStart;
    private boolean batchWarned;

    /**
     * @param clientConfig Kafka client settings (bootstrap servers, security); group settings are ignored
     * @param topic        the receipts topic
     * @param label        for log lines (the lane)
     * @param restoreTimer told how long each restore took (from the assignment of new numbers to their end offsets)
     */
    ReceiptStore(Map<String, Object> clientConfig, String topic, String label, Consumer<Duration> restoreTimer) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // The worker's producer is idempotent, not transactional, so read_committed costs nothing here (the last stable
        // offset is the high watermark); it keeps a receipt of an aborted transaction, should a transactional writer
        // ever appear, from suppressing a push that was never sent.
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-receipts-" + label + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = config;
        this.topic = topic;
        this.label = label;
        this.restoreTimer = restoreTimer;
    }

    /**
     * The receipts partition of {@code userId}'s pushes: the partition Kafka's default partitioner picks for the
     * String key {@code userId} on a topic of {@code partitions} partitions ({@code toPositive(murmur2(UTF-8)) % n}).
     */
    static int partitionOf(String userId, int partitions) {
        return Keys.partitionFor(userId, partitions);
    }

    /** The push id a receipts key names: the part after {@code |} of {@code userId|pushId}, or an old bare push id. */
    static String pushIdOf(String key) {
        if (key == null) {
            return null;
        }
        return key.indexOf(Keys.SEPARATOR) >= 0 ? Keys.second(key) : key;
    }

    /**
     * Looks up the receipts topic and starts the follower thread (which reads nothing until {@link #track}).
     *
     * @throws IllegalStateException if the receipts topic does not exist within {@code timeout}
     */
    synchronized void start(Duration timeout) {
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("receipts topic " + topic + " does not exist; provision the topic catalogue first");
            }
            partitions = infos.size();
        } catch (RuntimeException e) {
            consumer.close(Duration.ofSeconds(5));
            throw e;
        }
        thread = new Thread(this::follow, "pushline-receipts-" + label);
        thread.setDaemon(true);
        thread.start();
    }

    /** Partition count of the receipts topic. */
    int partitions() {
        return partitions;
    }

    /**
     * The partition numbers the worker owns now (across its lane and retry topics). New numbers are restored, numbers
     * no longer listed are dropped with their receipts. Cheap when nothing changed.
     */
    void track(Set<Integer> numbers) {
        if (numbers.equals(wanted)) {
            return;
        }
        wanted = Set.copyOf(numbers);
        synchronized (changed) {
            changed.notifyAll();
        }
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();   // out of a poll of the old assignment, at once
        }
    }

    /** Whether the receipts of partition {@code number} are restored: its tasks may be processed. */
    boolean isRestored(int number) {
        return restored.contains(number);
    }

    /** Whether {@code pushId} has a receipt on one of the owned partitions. */
    boolean contains(String pushId) {
        for (Set<String> ids : held.values()) {
            if (ids.contains(pushId)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the latest receipt of {@code pushId} says FAILED (the worker gave up on it), so that a replay of its dead
     * letter may send it after all. Receipts written before the status header existed never count as FAILED.
     */
    boolean onlyFailed(String pushId) {
        for (Set<String> ids : failedOnly.values()) {
            if (ids.contains(pushId)) {
                return true;
            }
        }
        return false;
    }

    /** A receipt this worker wrote (acknowledged), seen before the follower reads it back; ignored if not owned. */
    void add(int number, String pushId, boolean failed) {
        Set<String> ids = held.get(number);
        Set<String> failures = failedOnly.get(number);
        if (ids != null) {
            ids.add(pushId);
        }
        if (failures != null) {
            if (failed) {
                failures.add(pushId);
            } else {
                failures.remove(pushId);
            }
        }
    }

    /** Push ids held, over every owned partition. */
    long size() {
        long size = 0;
        for (Set<String> ids : held.values()) {
            size += ids.size();
        }
        return size;
    }

    /** The partition numbers whose receipts are held (being restored or restored). */
    Set<Integer> heldPartitions() {
        return Set.copyOf(held.keySet());
    }

    /** Why the follower thread stopped, if it failed; null while it is healthy. */
    RuntimeException failure() {
        return failure;
    }

    // ---- follower thread ----

    private void follow() {
        try {
            while (running) {
                try {
                    sync();
                    if (assigned.isEmpty()) {
                        synchronized (changed) {
                            if (running && wanted.isEmpty()) {
                                changed.wait(POLL.toMillis());   // nothing to follow: wait for an assignment
                            }
                        }
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                        apply(record);
                    }
                    checkRestored();
                } catch (WakeupException e) {
                    // the wanted numbers changed, or closing: look again
                } catch (TimeoutException e) {
                    log.warn("{} lane: receipts follower timed out talking to the broker; trying again", label, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
            log.error("{} lane: receipts follower of {} failed; the worker stops rather than send without a receipt check",
                    label, topic, e);
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("{} lane: closing the receipts consumer failed", label, e);
            }
        }
    }

    /** Brings the consumer's assignment to the wanted numbers; new ones start from the beginning. */
    private void sync() {
        Set<Integer> want = wanted;
        if (!want.equals(assigned)) {
            Set<Integer> removed = new HashSet<>(assigned);
            removed.removeAll(want);
            Set<Integer> added = new HashSet<>(want);
            added.removeAll(assigned);
            for (Integer number : removed) {
                restored.remove(number);
                held.remove(number);
                failedOnly.remove(number);
                restoring.remove(number);
                needEnd.remove(number);
                batch.remove(number);
            }
            if (!added.isEmpty() && batch.isEmpty()) {
                batchStart = System.nanoTime();
                batchWarned = false;
            }
            for (Integer number : added) {
                held.put(number, ConcurrentHashMap.newKeySet());
                failedOnly.put(number, ConcurrentHashMap.newKeySet());
                needEnd.add(number);
                batch.add(number);
            }
            consumer.assign(partitionsOf(want));
            if (!added.isEmpty()) {
                consumer.seekToBeginning(partitionsOf(added));
            }
            assigned.clear();
            assigned.addAll(want);
            if (!removed.isEmpty()) {
                log.info("{} lane: dropped the receipts of partitions {}; holding {} receipts of {}", label,
                        new TreeSet<>(removed), size(), new TreeSet<>(assigned));
            }
        }
        if (!needEnd.isEmpty()) {
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitionsOf(needEnd), END_OFFSETS_TIMEOUT);
            ends.forEach((partition, end) -> restoring.put(partition.partition(), end));
            needEnd.clear();
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        Set<String> ids = held.get(record.partition());
        Set<String> failures = failedOnly.get(record.partition());
        String pushId = pushIdOf(record.key());
        if (ids == null || failures == null || pushId == null) {
            return;
        }
        var status = record.headers().lastHeader(STATUS_HEADER);
        if (record.value() != null && status != null && java.util.Arrays.equals(status.value(), FAILED)) {
            failures.add(pushId);
        } else {
            failures.remove(pushId);
        }
        if (record.value() == null) {
            ids.remove(pushId);
        } else {
            ids.add(pushId);
        }
    }

    private void checkRestored() {
        if (restoring.isEmpty()) {
            return;
        }
        for (var it = restoring.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Long> entry = it.next();
            if (consumer.position(new TopicPartition(topic, entry.getKey())) >= entry.getValue()) {
                restored.add(entry.getKey());
                it.remove();
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - batchStart);
        if (restoring.isEmpty() && needEnd.isEmpty() && !batch.isEmpty()) {
            long count = 0;
            for (Integer number : batch) {
                Set<String> ids = held.get(number);
                count += ids == null ? 0 : ids.size();
            }
            log.info("{} lane: restored {} receipts of partitions {} of {} in {} ms; holding {} receipts of {}", label,
                    count, batch, topic, took.toMillis(), size(), new TreeSet<>(assigned));
            restoreTimer.accept(took);
            batch.clear();
        } else if (!batchWarned && took.compareTo(SLOW_RESTORE) > 0) {
            batchWarned = true;
            log.warn("{} lane: restoring the receipts of partitions {} takes longer than {}; their tasks wait (paused)",
                    label, restoring.keySet(), SLOW_RESTORE);
        }
    }

    private List<TopicPartition> partitionsOf(Collection<Integer> numbers) {
        return numbers.stream().sorted().map(n -> new TopicPartition(topic, n)).toList();
    }

    /** Stops the follower thread (bounded) and closes its consumer; the held receipts are gone. */
    @Override
    public synchronized void close() {
        running = false;
        synchronized (changed) {
            changed.notifyAll();
        }
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
        held.clear();
        failedOnly.clear();
        restored.clear();
    }
}
