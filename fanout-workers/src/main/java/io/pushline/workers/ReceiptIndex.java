package io.pushline.workers;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The push receipts of one process, for the duplicate checks of both its lanes: one index, one follower thread and one
 * consumer, whatever the number of lanes, holding each receipt once.
 *
 * <p>What it holds: the receipts partitions whose numbers a lane of this process owns (a number is held while at least
 * one lane owns it; the lanes say which through their {@code ReceiptStore}), and of those only the receipts within the
 * retention ({@link ReceiptsConfig#retention()}, by record timestamp), in time buckets that expire whole. Memory is thus
 * bounded by the receipts a process's partitions get within the retention (about 21 to 43 bytes each; see
 * {@link ReceiptIds}), not by the age of the deployment.
 *
 * <p>Restore: a newly owned number is read from the first offset at or after {@code now - retention}
 * ({@code offsetsForTimes}), not from the beginning, up to its end offset as of that moment; only then is it restored,
 * and its tasks wait (paused) until it is. A restart thus reads at most one retention's worth of receipts, whatever the
 * topic's age. While numbers the high lane owns are being restored, the restore of numbers only the bulk lane owns
 * waits, so that likes are sent first. Afterwards every held number is followed (about 100 ms behind), so receipts
 * written by another process are seen too.
 *
 * <p>Lifecycle: made once per process ({@link #create}), where the lanes' workers are built, and handed to each of them;
 * it starts with the first lane's worker and is {@link #close closed} once, by its maker, after the workers. If the
 * follower thread fails, every lane's worker stops rather than send without a receipt check. Thread-safe.
 */
public final class ReceiptIndex implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReceiptIndex.class);
    private static final byte[] FAILED = "FAILED".getBytes(StandardCharsets.US_ASCII);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration SLOW_RESTORE = Duration.ofSeconds(60);
    private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(30);

    private final ReceiptsConfig config;
    private final String topic;
    private final String name;
    private final Map<String, Object> consumerConfig;
    private final Clock clock;
    private final ReceiptBuckets buckets;
    private final Set<Integer> restored = ConcurrentHashMap.newKeySet();
    private final List<ReceiptStore> lanes = new CopyOnWriteArrayList<>();
    /**
     * Guards the link between what the lanes want and what is restored: a lane changes its numbers, and the follower
     * takes the numbers no lane wants out of the restored ones, under it; so a lane never sees a number restored that
     * is being dropped.
     */
    final Object lock = new Object();
    private final AtomicLong recordsRead = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private volatile int partitions;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    // follower thread only
    private final Set<Integer> assigned = new HashSet<>();
    private final Set<Integer> toSeek = new HashSet<>();
    private final Map<Integer, Long> restoring = new HashMap<>();   // number → end offset to reach
    private final Set<Integer> paused = new HashSet<>();
    private final Set<Integer> batch = new TreeSet<>();
    private long batchStart;
    private long batchRead;
    private boolean batchWarned;

    ReceiptIndex(ReceiptsConfig config, Map<String, Object> clientConfig, String topic, String name, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.name = name;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.buckets = new ReceiptBuckets(config.retention().toMillis(), config.bucket().toMillis());
        Map<String, Object> settings = new HashMap<>(clientConfig);
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        settings.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A position that falls off the log's start (old segments deleted during a restore) goes on from the start:
        // what was deleted was past the retention anyway.
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // The worker's producer is idempotent, not transactional, so read_committed costs nothing here (the last stable
        // offset is the high watermark); it keeps a receipt of an aborted transaction, should a transactional writer
        // ever appear, from suppressing a push that was never sent.
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, name + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = settings;
    }

    /**
     * The receipts index of a process, shared by its lanes' workers (pass it to each); its gauges
     * ({@link WorkerMetrics#RECEIPTS_INDEXED}, {@link WorkerMetrics#RECEIPTS_INDEXED_BYTES}) go to {@code registry}. The
     * caller closes it, after the workers.
     *
     * @param clientConfig Kafka client settings (bootstrap servers, security); group settings are ignored
     */
    public static ReceiptIndex create(ReceiptsConfig config, Map<String, Object> clientConfig, MeterRegistry registry) {
        return create(config, clientConfig, registry, Clock.systemUTC());
    }

    static ReceiptIndex create(ReceiptsConfig config, Map<String, Object> clientConfig, MeterRegistry registry, Clock clock) {
        ReceiptIndex index = new ReceiptIndex(config, clientConfig, Topics.PUSH_RECEIPTS, "pushline-receipts", clock);
        Gauge.builder(WorkerMetrics.RECEIPTS_INDEXED, index, ReceiptIndex::size).strongReference(true).register(registry);
        Gauge.builder(WorkerMetrics.RECEIPTS_INDEXED_BYTES, index, ReceiptIndex::bytes).strongReference(true).register(registry);
        return index;
    }

    /** This process's settings. */
    public ReceiptsConfig config() {
        return config;
    }

    /**
     * A lane's view of this index: it says which numbers the lane owns, and answers its duplicate checks. The high lane's
     * numbers are restored first.
     *
     * @throws IllegalArgumentException if the lane's retries may wait longer than the retention allows for
     * @throws IllegalStateException    if closed
     */
    ReceiptStore attach(WorkerConfig lane, Consumer<Duration> restoreTimer, boolean ownsIndex) {
        config.requireCovers(lane);
        if (closed) {
            throw new IllegalStateException("the receipts index is closed");
        }
        ReceiptStore store = new ReceiptStore(this, lane.lane().name().toLowerCase(java.util.Locale.ROOT),
                lane.lane() == Lane.HIGH, restoreTimer, ownsIndex);
        lanes.add(store);
        return store;
    }

    /** A lane's view is closed: its numbers are no longer wanted through it. */
    void detach(ReceiptStore store) {
        synchronized (lock) {
            lanes.remove(store);
            lock.notifyAll();
        }
        wakeup();
    }

    /**
     * Looks up the receipts topic and starts the follower thread (which reads nothing until a lane owns numbers); a
     * no-op once started.
     *
     * @throws IllegalStateException if closed, or if the receipts topic does not exist within {@code timeout}
     */
    synchronized void start(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("the receipts index is closed");
        }
        if (thread != null) {
            return;
        }
        KafkaConsumer<String, byte[]> made = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<PartitionInfo> infos = made.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("receipts topic " + topic + " does not exist; provision the topic catalogue first");
            }
            partitions = infos.size();
        } catch (RuntimeException e) {
            made.close(Duration.ofSeconds(5));
            throw e;
        }
        consumer = made;
        thread = new Thread(this::follow, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Partition count of the receipts topic; known once started. */
    int partitions() {
        return partitions;
    }

    /** Out of a poll at once: a lane's numbers changed, or closing. */
    void wakeup() {
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    boolean isRestored(int number) {
        return restored.contains(number);
    }

    boolean contains(String pushId) {
        return buckets.contains(ReceiptIds.Key.of(pushId));
    }

    boolean onlyFailed(String pushId) {
        return buckets.onlyFailed(ReceiptIds.Key.of(pushId));
    }

    /** A receipt written (acknowledged) by a worker of this process, before the follower reads it; ignored if not held. */
    void add(int number, String pushId, boolean failed) {
        long now = clock.millis();
        buckets.add(number, ReceiptIds.Key.of(pushId), now, failed, now);
    }

    /** Receipts held, over every number, each once. */
    long size() {
        return buckets.size();
    }

    long size(Set<Integer> numbers) {
        return buckets.size(numbers);
    }

    /** Heap bytes of the held receipts (see {@link ReceiptBuckets#bytes()}). */
    long bytes() {
        return buckets.bytes();
    }

    Set<Integer> heldNumbers() {
        return buckets.numbers();
    }

    /** Records read from the receipts topic since the start (restores and following); for tests and logs. */
    long recordsRead() {
        return recordsRead.get();
    }

    /** Receipts dropped because they passed the retention; for tests and logs. */
    long expired() {
        return expired.get();
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
                        synchronized (lock) {
                            if (running && wanted().isEmpty()) {
                                lock.wait(POLL.toMillis());   // nothing to follow: wait for a lane to own numbers
                            }
                        }
                        continue;
                    }
                    long now = clock.millis();
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                        apply(record, now);
                    }
                    checkRestored();
                    long dropped = buckets.expire(clock.millis());
                    if (dropped > 0) {
                        expired.addAndGet(dropped);
                        log.debug("receipts: {} receipts passed the retention ({}) and were dropped", dropped, config.retention());
                    }
                } catch (WakeupException e) {
                    // a lane's numbers changed, or closing: look again
                } catch (TimeoutException e) {
                    log.warn("receipts follower timed out talking to the broker; trying again", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
            log.error("receipts follower of {} failed; the workers stop rather than send without a receipt check", topic, e);
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("closing the receipts consumer failed", e);
            }
        }
    }

    /** Every number a lane wants, each once. */
    private Set<Integer> wanted() {
        Set<Integer> all = new HashSet<>();
        for (ReceiptStore lane : lanes) {
            all.addAll(lane.wanted());
        }
        return all;
    }

    /**
     * Brings the consumer's assignment to the numbers the lanes want: new ones start at the retention boundary, numbers
     * no lane wants any more are dropped with their receipts. Then pauses the restore of bulk-only numbers while a
     * high-lane number is being restored.
     */
    private void sync() {
        Set<Integer> want;
        Set<Integer> first = new HashSet<>();   // what the high lane wants: restored first
        Set<Integer> removed = new HashSet<>();
        Set<Integer> added = new HashSet<>();
        long dropped = 0;
        synchronized (lock) {
            want = wanted();
            for (ReceiptStore lane : lanes) {
                if (lane.first()) {
                    first.addAll(lane.wanted());
                }
            }
            if (!want.equals(assigned)) {
                removed.addAll(assigned);
                removed.removeAll(want);
                added.addAll(want);
                added.removeAll(assigned);
                // Under the lock, so that a lane taking the number up again meanwhile sees it unrestored; its receipts
                // are dropped below, outside the lock (a rebuild of each bucket), before this thread can restore it again.
                removed.forEach(restored::remove);
            }
        }
        if (!removed.isEmpty() || !added.isEmpty()) {
            for (Integer number : removed) {
                dropped += buckets.drop(number);
            }
            added.forEach(buckets::open);
            for (Integer number : removed) {
                restoring.remove(number);
                toSeek.remove(number);
                batch.remove(number);
                paused.remove(number);
            }
            if (!added.isEmpty() && batch.isEmpty()) {
                batchStart = System.nanoTime();
                batchRead = recordsRead.get();
                batchWarned = false;
            }
            batch.addAll(added);
            toSeek.addAll(added);
            consumer.assign(partitionsOf(want));
            assigned.clear();
            assigned.addAll(want);
            paused.retainAll(want);
            if (!removed.isEmpty()) {
                log.info("receipts: dropped the {} receipts of partitions {}; holding {} receipts of {}", dropped,
                        new TreeSet<>(removed), size(), new TreeSet<>(assigned));
            }
        }
        if (!toSeek.isEmpty()) {
            seekToRetentionBoundary();
        }
        Set<Integer> hold = new HashSet<>();
        if (restoring.keySet().stream().anyMatch(first::contains)) {
            for (Integer number : restoring.keySet()) {
                if (!first.contains(number)) {
                    hold.add(number);
                }
            }
        }
        if (!hold.equals(paused)) {
            Set<Integer> resume = new HashSet<>(paused);
            resume.removeAll(hold);
            consumer.resume(partitionsOf(resume));
            consumer.pause(partitionsOf(hold));
            paused.clear();
            paused.addAll(hold);
        }
    }

    /**
     * Positions each number to seek at its first receipt within the retention, and notes its end offset as of now:
     * the restore reads from one to the other. A number with nothing that recent starts (and ends) at its end.
     */
    private void seekToRetentionBoundary() {
        List<TopicPartition> seek = partitionsOf(toSeek);
        long from = clock.millis() - config.retention().toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        seek.forEach(p -> query.put(p, Math.max(0, from)));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, OFFSETS_TIMEOUT);
        Map<TopicPartition, Long> ends = consumer.endOffsets(seek, OFFSETS_TIMEOUT);
        for (TopicPartition partition : seek) {
            Long end = ends.get(partition);
            if (end == null) {
                throw new IllegalStateException("no end offset for " + partition);   // Kafka answers for every partition asked
            }
            OffsetAndTimestamp start = found.get(partition);
            consumer.seek(partition, start == null ? end : Math.min(start.offset(), end));
            restoring.put(partition.partition(), end);
        }
        toSeek.clear();
    }

    private void apply(ConsumerRecord<String, byte[]> record, long now) {
        recordsRead.incrementAndGet();
        String pushId = ReceiptStore.pushIdOf(record.key());
        if (pushId == null) {
            return;
        }
        ReceiptIds.Key key = ReceiptIds.Key.of(pushId);
        if (record.value() == null) {
            buckets.remove(record.partition(), key);
            return;
        }
        Header status = record.headers().lastHeader(ReceiptStore.STATUS_HEADER);
        boolean failed = status != null && Arrays.equals(status.value(), FAILED);
        buckets.add(record.partition(), key, record.timestamp() < 0 ? now : record.timestamp(), failed, now);
    }

    private void checkRestored() {
        if (!restoring.isEmpty()) {
            for (var it = restoring.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Integer, Long> entry = it.next();
                if (consumer.position(new TopicPartition(topic, entry.getKey())) >= entry.getValue()) {
                    restored.add(entry.getKey());
                    it.remove();
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - batchStart);
            if (restoring.isEmpty() && toSeek.isEmpty() && !batch.isEmpty()) {
                log.info("receipts: restored partitions {} of {} from {} on in {} ms: read {} records, holding {} receipts of {} "
                                + "(about {} MB)", batch, topic, Instant.now(clock).minus(config.retention()), took.toMillis(),
                        recordsRead.get() - batchRead, size(), new TreeSet<>(assigned), bytes() / 1_000_000);
                batch.clear();
            } else if (!batchWarned && took.compareTo(SLOW_RESTORE) > 0) {
                batchWarned = true;
                log.warn("receipts: restoring partitions {} takes longer than {}; their tasks wait (paused)",
                        new TreeSet<>(restoring.keySet()), SLOW_RESTORE);
            }
        }
        for (ReceiptStore lane : lanes) {
            lane.progress();
        }
    }

    private List<TopicPartition> partitionsOf(Collection<Integer> numbers) {
        return numbers.stream().sorted().map(n -> new TopicPartition(topic, n)).toList();
    }

    /** Stops the follower thread (bounded) and closes its consumer; the held receipts are gone. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        running = false;
        synchronized (lock) {
            lock.notifyAll();
        }
        wakeup();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Integer number : buckets.numbers()) {
            buckets.drop(number);
        }
        restored.clear();
    }
}
