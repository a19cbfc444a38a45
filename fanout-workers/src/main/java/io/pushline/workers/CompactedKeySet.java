package io.pushline.workers;

import io.pushline.contracts.Keys;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The keys of a compacted topic that a worker asks before a send, followed by one daemon thread, so that it can tell
 * cheaply whether a push has been overtaken:
 *
 * <ul>
 *   <li>{@link #devices}: {@code pushline.state.devices} (key {@code userId|token}; a registration is a value, an
 *       unregistration or a move to another user a tombstone): the devices unregistered within the lookback and not
 *       registered again.</li>
 *   <li>{@link #bannedProfiles}: {@code pushline.state.banned-profiles} (key profile id), from the beginning: the
 *       banned profiles, live state (few, and permanent until a tombstone lifts one).</li>
 *   <li>{@link #unfollows}: {@code pushline.state.follows} (key {@code follower|followee}; a tombstone is an
 *       unfollow): the time of each edge's latest unfollow within the lookback. A later follow does not erase it: the
 *       worker compares it with the time of each push task, so that a re-follow's later pushes go.</li>
 * </ul>
 *
 * <p><b>Bounded by time, not by count.</b> A set with a lookback holds only what was written within it (it starts
 * reading there and drops older keys as time passes, see {@link KeyTimes}): the lookback outlasts every push it
 * guards, so nothing it drops still matters. A hard cap ({@code maxEntries}) bounds memory against a flood; when it
 * is reached the set stops reading and {@link #cannotAnswer() cannot answer} until older keys expire. It never
 * forgets a key to make room.
 *
 * <p><b>Fails closed.</b> While it is not loaded yet, retries a failure, is full, stopped or closed,
 * {@link #cannotAnswer()} says why, and the worker holds the pushes it guards. The follower outlives transient
 * failures (Kafka's retriable errors) with a backoff of 100 ms doubling to 5 s, logged at most once a minute
 * ({@link LoopFaults}); anything else, or transient failures lasting longer than {@code transientBound}, stops it for
 * good and {@link #failure()} says why, so that the worker fails and its process is restarted.
 *
 * <p>Eventually consistent: a change reaches it within about one poll (100 ms) of being written. Thread-safe queries;
 * {@link #start} once, {@link #close} at any time.
 */
final class CompactedKeySet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CompactedKeySet.class);
    private static final Duration POLL_WAIT = Duration.ofMillis(100);
    private static final Duration METADATA_WAIT = Duration.ofSeconds(30);

    /** Which records put a key in the set, and whether the other kind takes it out. */
    enum Mode {
        /** Keys whose latest record is a tombstone (unregistered devices): a value removes the key. */
        TOMBSTONES(true, true),
        /** Keys whose latest record is a value (banned profiles): a tombstone removes the key. */
        VALUES(false, true),
        /** Keys with the time of their latest tombstone (unfollows): a value leaves it; the time tells them apart. */
        TOMBSTONE_TIMES(true, false);

        final boolean tombstoneAdds;
        final boolean otherRemoves;

        Mode(boolean tombstoneAdds, boolean otherRemoves) {
            this.tombstoneAdds = tombstoneAdds;
            this.otherRemoves = otherRemoves;
        }
    }

    /**
     * What every set shares: Kafka client settings (group settings are dropped: a set reads every partition itself),
     * how its consumer is made (tests wrap the real one), the hard cap, the clock the lookback runs on, and how long
     * transient failures may last.
     */
    record Settings(Map<String, Object> clientConfig, Function<Map<String, Object>, Consumer<String, byte[]>> consumers,
                    int maxEntries, Clock clock, Duration transientBound) {
        static final Function<Map<String, Object>, Consumer<String, byte[]>> KAFKA =
                config -> new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());

        Settings {
            Objects.requireNonNull(clientConfig, "clientConfig");
            Objects.requireNonNull(consumers, "consumers");
            Objects.requireNonNull(clock, "clock");
            if (maxEntries < 1) {
                throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
            }
        }
    }

    /** Devices unregistered (or moved) within {@code lookback}, by {@code userId|token}. */
    static CompactedKeySet devices(Settings settings, Duration lookback) {
        return new CompactedKeySet(settings, Topics.STATE_DEVICES, Mode.TOMBSTONES, lookback, "devices", "unregistered devices");
    }

    /** Banned profiles, by profile id. */
    static CompactedKeySet bannedProfiles(Settings settings) {
        return new CompactedKeySet(settings, Topics.STATE_BANNED_PROFILES, Mode.VALUES, null, "bans", "banned profiles");
    }

    /** The latest unfollow of each edge within {@code lookback}, by {@code follower|followee}. */
    static CompactedKeySet unfollows(Settings settings, Duration lookback) {
        return new CompactedKeySet(settings, Topics.STATE_FOLLOWS, Mode.TOMBSTONE_TIMES, lookback, "unfollows", "unfollows");
    }

    private final Settings settings;
    private final String topic;
    private final Mode mode;
    private final Duration lookback;   // null: from the beginning, nothing expires
    private final String id;
    private final String what;
    private final Map<String, Object> consumerConfig;
    private final KeyTimes keys;       // guarded by itself
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile Runnable onAnswering = () -> { };
    private volatile boolean running = true;
    private volatile boolean closed;
    private volatile boolean caughtUp;
    private volatile boolean full;
    private volatile String retrying;
    private volatile String failure;
    private volatile long expired;
    private Consumer<String, byte[]> consumer;
    private volatile Thread thread;

    /**
     * @param lookback how far back to read and remember; null for everything, from the beginning of the topic
     * @param id       a short name, for metric tags
     * @param what     what its keys are, for log lines and reasons
     */
    CompactedKeySet(Settings settings, String topic, Mode mode, Duration lookback, String id, String what) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.mode = Objects.requireNonNull(mode, "mode");
        if (lookback != null && (lookback.isNegative() || lookback.isZero())) {
            throw new IllegalArgumentException("lookback must be positive (or null for none), was " + lookback);
        }
        this.lookback = lookback;
        this.id = Objects.requireNonNull(id, "id");
        this.what = Objects.requireNonNull(what, "what");
        this.keys = new KeyTimes(settings.maxEntries());
        Map<String, Object> config = new HashMap<>(settings.clientConfig());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Should a position ever fall out of range, read again rather than skip: applying a record twice is harmless.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-" + topic + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = config;
    }

    /** Called (on the follower thread) whenever the set may have become able to answer again. Set before {@link #start}. */
    void onAnswering(Runnable listener) {
        this.onAnswering = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Makes the consumer and starts following; returns at once: the set is loaded by its own thread, and
     * {@link #cannotAnswer()} says so until it is.
     */
    synchronized void start() {
        if (thread != null || closed) {
            throw new IllegalStateException("the " + what + " check was started already, or closed");
        }
        consumer = settings.consumers().apply(consumerConfig);
        thread = new Thread(this::follow, "pushline-follow-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void follow() {
        LoopFaults faults = new LoopFaults(settings.transientBound(), System::nanoTime);
        Map<TopicPartition, Long> ends = null;   // the end offsets when it started: loaded once there
        boolean answering = false;
        try {
            while (running) {
                try {
                    if (ends == null) {
                        ends = assign();
                    }
                    step(ends);
                    int ended = faults.succeeded();
                    if (ended > 0) {
                        log.info("following {} again after {} failures", topic, ended);
                    }
                    retrying = null;
                } catch (RuntimeException e) {
                    if (!running) {
                        break;   // close() woke the poll
                    }
                    LoopFaults.Verdict verdict = faults.failed(e);
                    if (verdict instanceof LoopFaults.GiveUp giveUp) {
                        failure = "the " + what + " check stopped following " + topic + ": " + giveUp.reason();
                        log.error("{}; the pushes it guards are held", failure, e);
                        break;
                    }
                    LoopFaults.Retry retry = (LoopFaults.Retry) verdict;
                    if (retry.failures() == 1) {
                        retrying = "the " + what + " check is retrying a failure to read " + topic + " since "
                                + Instant.now(settings.clock()) + " (" + LoopFaults.describe(e) + ")";
                    }
                    if (retry.log()) {
                        log.warn("could not read {} (failure #{}: {}); the pushes it guards are held; retrying in {} ms",
                                topic, retry.failures(), LoopFaults.describe(e), retry.backoff().toMillis());
                    }
                    if (stop.await(retry.backoff().toMillis(), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                }
                boolean now = cannotAnswer() == null;
                if (now && !answering) {
                    onAnswering.run();
                }
                answering = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "the " + what + " check was interrupted";
        } catch (Throwable e) {
            failure = "the " + what + " check stopped following " + topic + ": unexpected " + LoopFaults.describe(e);
            log.error("{}; the pushes it guards are held", failure, e);
        } finally {
            if (running && failure == null) {
                failure = "the " + what + " check stopped following " + topic;
            }
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("closing the consumer of {} failed", topic, e);
            }
        }
    }

    /** Assigns every partition, from {@code lookback} ago (or the beginning); returns their end offsets now. */
    private Map<TopicPartition, Long> assign() {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_WAIT);
        if (infos == null || infos.isEmpty()) {
            throw new UnknownTopicOrPartitionException("topic " + topic + " does not exist (yet)");
        }
        List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, METADATA_WAIT);
        if (lookback == null) {
            consumer.seekToBeginning(partitions);
        } else {
            long since = settings.clock().millis() - lookback.toMillis();
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, since));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, METADATA_WAIT);
            for (TopicPartition partition : partitions) {
                OffsetAndTimestamp start = starts.get(partition);
                consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
            }
        }
        return Map.copyOf(ends);
    }

    /** One poll: expire, apply what came, and stop reading (seek back, pause) while full. */
    private void step(Map<TopicPartition, Long> ends) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL_WAIT);
        Map<TopicPartition, Long> refused = new HashMap<>();
        boolean room;
        synchronized (keys) {
            long now = settings.clock().millis();
            if (lookback != null) {
                expired += keys.expire(now - lookback.toMillis());
            }
            for (ConsumerRecord<String, byte[]> record : records) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (refused.containsKey(partition) || !apply(record.key(), record.value() == null, record.timestamp(), now)) {
                    refused.putIfAbsent(partition, record.offset());   // read again once there is room
                }
            }
            room = !keys.full();
        }
        if (!refused.isEmpty()) {
            refused.forEach(consumer::seek);
            if (!full) {
                full = true;
                consumer.pause(consumer.assignment());
                log.error("the {} check holds {} keys, its bound (keySetMaxEntries): it stops reading {}, and the pushes it "
                        + "guards are held until older keys expire or the bound is raised", what, keys.maxEntries(), topic);
            }
        } else if (full && room) {
            full = false;
            consumer.resume(consumer.assignment());
            log.info("the {} check has room again; reading {} again", what, topic);
        }
        if (!caughtUp && !full && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), METADATA_WAIT) >= e.getValue())) {
            caughtUp = true;
            log.info("the {} check is loaded from {}: {} keys", what, topic, size());
        }
    }

    /**
     * Applies one record of the topic, as of {@code now}: by the mode, a tombstone or a value puts its key in the set
     * (with its time, at most {@code now}: a producer's clock ahead must not keep a key past its lookback), the other
     * kind may take it out. A record older than the lookback is ignored: it guards no push any more.
     *
     * @return false, changing nothing, if it would add a key to a full set
     */
    private boolean apply(String key, boolean tombstone, long timestamp, long now) {
        if (key == null) {
            return true;
        }
        if (tombstone == mode.tombstoneAdds) {
            long time = timestamp < 0 ? now : Math.min(timestamp, now);
            if (lookback != null && time < now - lookback.toMillis()) {
                return true;
            }
            return keys.put(key, time);
        }
        if (mode.otherRemoves) {
            keys.remove(key);
        }
        return true;
    }

    /** {@link #apply(String, boolean, long, long)} now; for tests. */
    boolean apply(String key, boolean tombstone, long timestamp) {
        synchronized (keys) {
            return apply(key, tombstone, timestamp, settings.clock().millis());
        }
    }

    /**
     * Why this set cannot answer now, or null when it can: closed, stopped, full, not loaded yet, or retrying a
     * failure. While it says so, the pushes it guards must be held.
     */
    String cannotAnswer() {
        if (closed) {
            return "the " + what + " check is closed";
        }
        String stopped = failure;
        if (stopped != null) {
            return stopped;
        }
        if (thread == null) {
            return "the " + what + " check is not started";
        }
        if (full) {
            return "the " + what + " check is full (" + keys.maxEntries() + " keys, keySetMaxEntries)";
        }
        if (!caughtUp) {
            return "the " + what + " check is not loaded yet from " + topic;
        }
        // A follower thread that ended, however, has set failure on its way out (see follow()), unless closed.
        return retrying;
    }

    /** Why the follower stopped for good (the worker must then fail), or null while it follows. */
    String failure() {
        return failure;
    }

    /** Whether the device was unregistered (and not registered again) within the lookback (a {@link #devices} set). */
    boolean isUnregistered(String userId, String token) {
        return contains(Keys.compound(userId, token));
    }

    boolean contains(String key) {
        synchronized (keys) {
            return keys.contains(key);
        }
    }

    /** The time (epoch millis) of the key's latest record that put it in the set, or null if it is not in it. */
    Long time(String key) {
        synchronized (keys) {
            return keys.time(key);
        }
    }

    /** Whether it has read everything that was on the topic when it started. */
    boolean caughtUp() {
        return caughtUp;
    }

    int size() {
        synchronized (keys) {
            return keys.size();
        }
    }

    /** Keys dropped because their time passed out of the lookback. */
    long expired() {
        return expired;
    }

    /** A short name: {@code devices}, {@code bans} or {@code unfollows}. */
    String id() {
        return id;
    }

    @Override
    public void close() {
        Thread follower;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            follower = thread;
        }
        stop.countDown();
        if (follower == null) {
            return;
        }
        consumer.wakeup();
        try {
            follower.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
