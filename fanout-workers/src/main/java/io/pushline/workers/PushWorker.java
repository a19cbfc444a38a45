package io.pushline.workers;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.Topics;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushProvider;
import io.pushline.push.PushRequest;
import io.pushline.push.PushType;
import io.pushline.push.Tokens;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.Disposable;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes one lane's push tasks and delivers them through the push providers, at least once, with deterministic ids
 * and a receipt check before every send.
 *
 * <p>One poll thread owns the {@link KafkaConsumer}: it keeps polling, hands records to a reactor-core pipeline only
 * as far as that pipeline has demand ({@code maxInFlight} pushes at most), pauses every partition when demand is
 * exhausted and resumes them when it returns, and commits on the poll thread only up to the lowest unfinished record
 * of each partition. A receipt is written (and acknowledged) before its record counts as finished, so after a crash
 * only pushes in flight at that moment can be sent twice.
 *
 * <p>Receipts are co-partitioned with the tasks (key {@code userId|pushId}, on the partition of {@code userId}; see
 * {@link ReceiptStore}). The worker holds only the receipts of the partition numbers it owns across its lane and retry
 * topics: they are read from the receipts topic when a number is assigned, by a thread of their own, and every task
 * partition of that number stays paused until they are; afterwards they are followed, so receipts written by another
 * member for the same number are seen within about 100 ms. A receipt keyed by a bare push id (the previous version)
 * still counts, but only on the partition it was written to, that of its push id: a task redelivered after an upgrade
 * whose old receipt sits on a partition number its new owner does not own is sent again.
 *
 * <p>Retries never hold a slot or a partition: a retry-later outcome writes the task unchanged, with an attempt number
 * and a not-before instant (the provider's Retry-After, else exponential backoff with jitter), to one of the lane's
 * {@link RetryTopics}, and the original record counts as finished once that write is acknowledged. The same consumer
 * reads the retry topics; it holds a retry partition paused until its head record is due (a timer on the poll loop, no
 * sleeping thread), then sends it through the same path as a fresh task: receipt check, TTL check, send. After
 * {@code maxAttempts} sends a push is dead-lettered ({@code RETRIES_EXHAUSTED}) and gets a {@code FAILED} receipt; a push
 * whose TTL runs out, or would before its next attempt, gets an {@code EXPIRED} receipt and is not sent.
 *
 * <p>Lifecycle: {@link #start()} once (it creates missing retry topics unless configured not to), {@link #close()} once
 * (drains in-flight pushes within the drain timeout, commits, and leaves the group; retry records read but not yet due
 * are left uncommitted and read again by the next owner). The producer and providers are owned by the caller and are not closed here. Thread-safe.
 */
public final class PushWorker implements AutoCloseable {
    /**
     * The header with a receipt's status ({@code ReceiptStatus} name) that the worker writes on every receipt, so that
     * the receipt store can tell a {@code FAILED} receipt from the others without decoding values.
     */
    public static final String RECEIPT_STATUS_HEADER = "pushline.receipt.status";
    private static final Logger log = LoggerFactory.getLogger(PushWorker.class);

    private static final Duration MAX_POLL_WAIT = Duration.ofMillis(100);
    /** The push data key naming the profile a push is about (the author of a timeline post); see the expansion. */
    static final String ABOUT_PROFILE_DATA_KEY = "authorId";
    /** Unregistered devices remembered at most (about 100 bytes each). */
    static final int DEVICE_GATE_MAX_ENTRIES = 1_000_000;

    private final WorkerConfig config;
    private final Map<String, Object> clientConfig;
    private final Map<String, Object> consumerConfig;
    private final List<String> retryTopics;                 // shortest delay first
    private final DelayedRetries delayed = new DelayedRetries();   // poll thread only
    private final Producer<String, byte[]> producer;
    private final Map<Platform, PushProvider> providers;
    private final WorkerMetrics metrics;
    private final Clock clock;
    private volatile CompactedKeySet gate;   // unregistered devices; null when the check is off
    private volatile CompactedKeySet banned;   // banned profiles
    /**
     * Push tasks (written by the expansion) and receipts (by workers) skip their schema check: they are Pushline's own
     * records, still strictly bound, and the check was a fifth of a push's cost in the pipeline (see
     * {@link CloudEventCodec#trusting}). A constraint only the schema states is then left to the provider's guards
     * (payload size) and answers (a bad token is a permanent rejection).
     */
    private final CloudEventCodec codec = new CloudEventCodec(CloudEventCodec.DEFAULT_MAX_EVENT_BYTES)
            .trusting(io.pushline.contracts.EventType.PUSH_TASK, io.pushline.contracts.EventType.PUSH_RECEIPT);
    private final OffsetTracker offsets = new OffsetTracker();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger pausedCount = new AtomicInteger();
    private final ArrayDeque<ConsumerRecord<String, byte[]>> backlog = new ArrayDeque<>();  // poll thread only
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final java.util.concurrent.ExecutorService callbacks;
    private final CountDownLatch firstAssignment = new CountDownLatch(1);
    /** Released whenever demand returns (a push finished, or the pipeline asked for more): wakes a blocked poll loop. */
    private final java.util.concurrent.Semaphore capacity = new java.util.concurrent.Semaphore(0);
    private final LaneGovernor governor;   // null: no other lane to give way to
    private volatile boolean running;
    private volatile ReceiptStore receipts;
    private volatile FluxSink<ConsumerRecord<String, byte[]>> sink;
    private KafkaConsumer<String, byte[]> consumer;
    private Disposable pipeline;
    private Thread pollThread;
    private Instant lastCommit = Instant.EPOCH;

    /**
     * @param config        this lane's settings
     * @param clientConfig  Kafka client settings shared by the consumer (bootstrap servers, security); group and
     *                      offset settings are this worker's
     * @param producer      for receipts, retry records, dead letters and token invalidations; idempotent,
     *                      {@code acks=all} (a record counts as finished only once what it led to is acknowledged)
     * @param providers     one provider per platform
     * @param registry      where the worker's metrics go
     */
    public PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
                      Map<Platform, PushProvider> providers, MeterRegistry registry) {
        this(config, clientConfig, producer, providers, registry, (LaneGovernor) null);
    }

    /**
     * As above, with a {@link LaneGovernor} shared by the lanes of this process: a high-lane worker reports its
     * latency to it, a bulk-lane worker keeps no more pushes in flight than it allows. Null: no governor.
     */
    public PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
                      Map<Platform, PushProvider> providers, MeterRegistry registry, LaneGovernor governor) {
        this(config, clientConfig, producer, providers, registry, Clock.systemUTC(), governor);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock) {
        this(config, clientConfig, producer, providers, registry, clock, null);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor) {
        this.config = Objects.requireNonNull(config, "config");
        this.governor = governor;
        this.producer = Objects.requireNonNull(producer, "producer");
        this.providers = Map.copyOf(providers);
        this.clock = clock;
        this.metrics = new WorkerMetrics(registry, config.lane().name().toLowerCase(java.util.Locale.ROOT));
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Push tasks are written in transactions (the topology runs exactly-once): a task of an aborted transaction
        // must never be sent, so read only committed ones.
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(500, config.maxInFlight())));
        consumerConfig.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = consumerConfig;
        this.clientConfig = java.util.Collections.unmodifiableMap(new HashMap<>(clientConfig));
        this.retryTopics = RetryTopics.names(config);
        String lane = config.lane().name().toLowerCase(java.util.Locale.ROOT);
        AtomicInteger threads = new AtomicInteger();
        this.callbacks = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pushline-worker-" + lane + "-acks-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        metrics.gauges(inFlight::get, pausedCount::get, delayed::size);
        metrics.receiptGauge(() -> {
            ReceiptStore store = receipts;
            return store == null ? 0 : store.size();
        });
    }

    /**
     * Creates the lane's missing retry topics (unless {@link WorkerConfig#provisionRetryTopics()} is false), starts the
     * receipts store, subscribes to the lane topic and its retry topics, and starts the poll thread. Receipts are
     * restored per partition as partitions are assigned, not here.
     *
     * @throws IllegalStateException if started twice, if the lane topic does not exist when retry topics are to be
     *                               created, if the receipts topic does not exist, or if the lane topic's partition count
     *                               differs from the receipts topic's
     */
    public synchronized void start() {
        if (pollThread != null) {
            throw new IllegalStateException("worker already started");
        }
        if (config.provisionRetryTopics()) {
            try (Admin admin = Admin.create(clientConfig)) {
                RetryTopics.ensure(admin, config, Duration.ofSeconds(60));
            }
        }
        if (!config.deviceGateLookback().isZero()) {
            CompactedKeySet started = CompactedKeySet.devices(clientConfig, config.deviceGateLookback(), DEVICE_GATE_MAX_ENTRIES, clock);
            started.start();
            try {
                if (!started.awaitCaughtUp(Duration.ofMinutes(2))) {
                    log.warn("{} lane: the device gate did not catch up within 2 minutes; starting anyway", config.lane());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                started.close();
                throw new IllegalStateException("interrupted while starting", e);
            }
            gate = started;
        }
        CompactedKeySet bans = CompactedKeySet.bannedProfiles(clientConfig, DEVICE_GATE_MAX_ENTRIES, clock);
        bans.start();
        try {
            if (!bans.awaitCaughtUp(Duration.ofMinutes(2))) {
                log.warn("{} lane: the banned profiles were not read within 2 minutes; starting anyway", config.lane());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            bans.close();
            throw new IllegalStateException("interrupted while starting", e);
        }
        banned = bans;
        ReceiptStore store = new ReceiptStore(clientConfig, Topics.PUSH_RECEIPTS,
                config.lane().name().toLowerCase(java.util.Locale.ROOT), metrics::receiptsRestored);
        KafkaConsumer<String, byte[]> created = null;
        try {
            store.start(Duration.ofSeconds(60));
            created = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
            checkCoPartitioned(created, store.partitions());
        } catch (RuntimeException e) {
            if (created != null) {
                created.close(Duration.ofSeconds(5));
            }
            store.close();
            closeSets();
            throw e;
        }
        receipts = store;
        consumer = created;
        pipeline = Flux.<ConsumerRecord<String, byte[]>>create(s -> {
                    sink = s;
                    s.onRequest(n -> {
                        requested.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
                        signalCapacity();
                    });
                }, FluxSink.OverflowStrategy.ERROR)
                .flatMap(this::handle, config.maxInFlight(), 1)
                .subscribe(ignored -> { }, error -> log.error("{} lane: push pipeline failed", config.lane(), error));
        running = true;
        pollThread = new Thread(this::pollLoop, "pushline-worker-" + config.lane().name().toLowerCase(java.util.Locale.ROOT));
        pollThread.start();
    }

    /**
     * The receipts store keys each receipts partition by partition number, so the lane topic must have the receipts
     * topic's partition count (its retry topics are created with the lane topic's): otherwise the receipts of a task
     * would sit on a partition its owner does not restore, and redeliveries would be sent again.
     */
    private void checkCoPartitioned(KafkaConsumer<String, byte[]> c, int receiptPartitions) {
        List<org.apache.kafka.common.PartitionInfo> lane = c.partitionsFor(config.topic(), Duration.ofSeconds(60));
        if (lane != null && !lane.isEmpty() && lane.size() != receiptPartitions) {
            throw new IllegalStateException("lane topic " + config.topic() + " has " + lane.size() + " partitions but "
                    + Topics.PUSH_RECEIPTS + " has " + receiptPartitions + "; they must be co-partitioned (one count)");
        }
    }

    /** The receipts partitions whose receipts this worker holds now; for tests. */
    Set<Integer> receiptPartitions() {
        ReceiptStore store = receipts;
        return store == null ? Set.of() : store.heldPartitions();
    }

    /** Receipts held now, over {@link #receiptPartitions()}; for tests. */
    long receiptsHeld() {
        ReceiptStore store = receipts;
        return store == null ? 0 : store.size();
    }

    /** Whether a receipt for {@code pushId} is held; for tests. */
    boolean holdsReceipt(String pushId) {
        ReceiptStore store = receipts;
        return store != null && store.contains(pushId);
    }

    /** Waits until the consumer has its first assignment; for tests and orderly demos. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return firstAssignment.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int inFlight() {
        return inFlight.get();
    }

    private void pollLoop() {
        try {
            List<String> topics = new ArrayList<>();
            topics.add(config.topic());
            topics.addAll(retryTopics);
            consumer.subscribe(topics, new Rebalance());
            while (running) {
                RuntimeException storeFailure = receipts.failure();
                if (storeFailure != null) {
                    throw new IllegalStateException("the receipts store stopped following " + Topics.PUSH_RECEIPTS, storeFailure);
                }
                delayed.releaseDue(clock.instant(), backlog::add);
                dispatch();
                awaitCapacityIfBlocked();
                dispatch();
                adjustPause();
                Map<TopicPartition, Long> rewind = new HashMap<>();
                // With records waiting every partition is paused: poll only for the group's sake, without waiting (the
                // wait for capacity above bounds the loop's pace).
                for (ConsumerRecord<String, byte[]> record : consumer.poll(backlog.isEmpty() ? pollTimeout() : Duration.ZERO)) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (rewind.containsKey(partition) || !receipts.isRestored(record.partition())) {
                        // Not expected (such partitions are paused from their assignment on): read it again once restored.
                        rewind.putIfAbsent(partition, record.offset());
                        continue;
                    }
                    if (isRetryTopic(record.topic())) {
                        delayed.add(record);
                    } else {
                        backlog.add(record);
                    }
                }
                if (!rewind.isEmpty()) {
                    rewind.forEach(consumer::seek);
                    consumer.pause(rewind.keySet());
                }
                delayed.releaseDue(clock.instant(), backlog::add);
                dispatch();
                commitIfDue(false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("{} lane: poll thread interrupted; stopping", config.lane());
        } catch (WakeupException e) {
            if (running) {
                log.error("{} lane: unexpected wakeup", config.lane(), e);
            }
        } catch (RuntimeException e) {
            log.error("{} lane: poll loop failed", config.lane(), e);
        } finally {
            drainAndClose();
            stopped.countDown();
        }
    }

    /** Whether the next record may go: the pipeline has demand and, on the bulk lane, the governor allows it. */
    private boolean canDispatch() {
        if (requested.get() <= 0) {
            return false;
        }
        return governor == null || config.lane() != io.pushline.contracts.Lane.BULK || inFlight.get() < governor.bulkLimit();
    }

    /**
     * Records wait but none may go: wait until a push finishes or demand returns (at most one poll interval), rather
     * than polling paused partitions for the full poll timeout, which left capacity unused for up to 100 ms.
     */
    private void awaitCapacityIfBlocked() throws InterruptedException {
        if (backlog.isEmpty() || canDispatch()) {
            return;
        }
        capacity.drainPermits();
        if (!canDispatch()) {
            capacity.tryAcquire(pollTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Wakes a poll loop waiting for capacity. One permit is enough (the loop drains them before it waits); releasing
     * one per finished push would pile up permits while nobody waits, until the semaphore's count overflows.
     */
    private void signalCapacity() {
        if (capacity.availablePermits() == 0) {
            capacity.release();
        }
    }

    private void dispatch() {
        while (!backlog.isEmpty() && canDispatch()) {
            ConsumerRecord<String, byte[]> record = backlog.poll();
            requested.decrementAndGet();
            offsets.dispatched(new TopicPartition(record.topic(), record.partition()), record.offset());
            inFlight.incrementAndGet();
            sink.next(record);
        }
    }

    /**
     * Tells the receipts store which partition numbers this worker owns, across the lane and retry topics. Called when
     * an assignment completes only: between a revocation and the next assignment (an eager rebalance can span polls)
     * the old numbers are kept, so a number assigned again is not restored again.
     */
    private void trackReceiptPartitions() {
        Set<Integer> numbers = new HashSet<>();
        for (TopicPartition partition : consumer.assignment()) {
            numbers.add(partition.partition());
        }
        receipts.track(numbers);
    }

    private boolean isRetryTopic(String topic) {
        return retryTopics.contains(topic);
    }

    /**
     * Demand exhausted (records wait in the backlog): pause everything. Otherwise pause only the retry partitions whose
     * head record is not due yet, and every retry partition while the retry records held in memory are at their bound;
     * resume the rest. Partitions whose receipts are not restored yet stay paused whatever the demand.
     */
    private void adjustPause() {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> wanted = new HashSet<>();
        for (TopicPartition partition : assignment) {
            if (!receipts.isRestored(partition.partition())) {
                wanted.add(partition);
            }
        }
        if (!backlog.isEmpty()) {
            wanted.addAll(assignment);
        } else {
            boolean full = delayed.size() >= config.maxRetriesWaiting();
            for (TopicPartition partition : assignment) {
                if (isRetryTopic(partition.topic()) && (full || delayed.holds(partition))) {
                    wanted.add(partition);
                }
            }
        }
        Set<TopicPartition> paused = consumer.paused();
        Set<TopicPartition> toPause = new HashSet<>(wanted);
        toPause.removeAll(paused);
        Set<TopicPartition> toResume = new HashSet<>(paused);
        toResume.removeAll(wanted);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        pausedCount.set(consumer.paused().size());
    }

    /** The poll loop's timer: wake up when the next waiting retry is due, or after {@link #MAX_POLL_WAIT}. */
    private Duration pollTimeout() {
        Instant next = delayed.nextDue();
        if (next == null) {
            return MAX_POLL_WAIT;
        }
        long millis = Duration.between(clock.instant(), next).toMillis() + 1;
        return Duration.ofMillis(Math.max(1, Math.min(MAX_POLL_WAIT.toMillis(), millis)));
    }

    private void commitIfDue(boolean force) {
        Instant now = clock.instant();
        if (!force && now.isBefore(lastCommit.plus(config.commitInterval()))) {
            return;
        }
        lastCommit = now;
        Set<TopicPartition> waiting = new HashSet<>();
        backlog.forEach(r -> waiting.add(new TopicPartition(r.topic(), r.partition())));
        waiting.addAll(delayed.partitions());   // the position is past records that still wait: never commit it
        for (TopicPartition partition : consumer.assignment()) {
            if (!waiting.contains(partition)) {
                offsets.idleAt(partition, consumer.position(partition, Duration.ofSeconds(5)));
            }
        }
        commit(offsets.toCommit());
    }

    private void commit(Map<TopicPartition, Long> toCommit) {
        if (toCommit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        toCommit.forEach((partition, offset) -> commits.put(partition, new OffsetAndMetadata(offset)));
        consumer.commitSync(commits);
        offsets.markCommitted(toCommit);
    }

    private void drainAndClose() {
        try {
            backlog.clear();
            delayed.clear();
            if (!consumer.assignment().isEmpty()) {
                consumer.pause(consumer.assignment());
            }
            boolean drained = offsets.awaitFinished(offsets.tracked(), config.drainTimeout().toMillis());
            if (!drained) {
                log.warn("{} lane: {} pushes still in flight after {}; their records stay uncommitted and will be redelivered",
                        config.lane(), offsets.unfinished(), config.drainTimeout());
            }
            commit(offsets.toCommit());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("{} lane: final commit failed; records since the last commit will be redelivered", config.lane(), e);
        } finally {
            if (sink != null) {
                sink.complete();
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            backlog.removeIf(r -> revoked.contains(new TopicPartition(r.topic(), r.partition())));
            delayed.remove(revoked);
            try {
                if (!offsets.awaitFinished(revoked, config.drainTimeout().toMillis())) {
                    log.warn("{} lane: revoked partitions still have {} pushes in flight; they stay uncommitted",
                            config.lane(), offsets.unfinished(revoked));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Map<TopicPartition, Long> toCommit = new HashMap<>(offsets.toCommit());
            toCommit.keySet().retainAll(revoked);
            commit(toCommit);
            offsets.forget(revoked);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            trackReceiptPartitions();
            if (!backlog.isEmpty() || requested.get() == 0) {
                consumer.pause(assigned);   // no demand: new partitions start paused
            } else {
                // Nothing of a partition is processed before its receipts are restored (by the store's own thread;
                // this poll thread keeps polling meanwhile, so max.poll.interval.ms is never at stake).
                List<TopicPartition> unrestored = assigned.stream().filter(p -> !receipts.isRestored(p.partition())).toList();
                if (!unrestored.isEmpty()) {
                    consumer.pause(unrestored);
                }
            }
            firstAssignment.countDown();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            // The receipts of their numbers stay followed until the next assignment says which numbers are still ours.
            backlog.removeIf(r -> lost.contains(new TopicPartition(r.topic(), r.partition())));
            delayed.remove(lost);
            offsets.forget(lost);
        }
    }

    // ---- processing, on reactor / provider threads ----

    private Mono<Void> handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        return Mono.defer(() -> Mono.fromCompletionStage(process(record)))
                .onErrorResume(error -> {
                    log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers())).setCause(error)
                            .log("{} lane: unexpected failure on {}-{}@{}", config.lane(), record.topic(), record.partition(), record.offset());
                    return Mono.fromCompletionStage(deadLetter(record, DeadLetterReason.PROCESSING_FAILED, error.getClass().getSimpleName()));
                })
                .onErrorResume(error -> {
                    // Even the dead letter could not be written: leave the record unfinished so it is never committed.
                    log.error("{} lane: could not dead-letter {}-{}@{}; it stays uncommitted", config.lane(),
                            record.topic(), record.partition(), record.offset(), error);
                    return Mono.never();
                })
                .doFinally(signal -> {
                    inFlight.decrementAndGet();
                    offsets.finished(partition, record.offset());
                    signalCapacity();
                });
    }

    private CompletableFuture<Void> process(ConsumerRecord<String, byte[]> record) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Invalid invalid) {
            return deadLetter(record, invalid.reason(), invalid.detail());
        }
        Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
        if (!(envelope.data() instanceof PushTask task)) {
            return deadLetter(record, DeadLetterReason.UNKNOWN_TYPE, "expected a push task, got " + envelope.type().ceType());
        }
        String platform = task.platform().name();
        // The receipt check comes first: a retry (or redelivery) of a push that has a receipt meanwhile must neither be
        // sent again nor overwrite its receipt, even if its TTL has run out since. The one exception: a push replayed
        // from the dead letters (pushline dlq replay) whose only receipt says FAILED (given up on, never delivered) is
        // sent after all; that is what replaying RETRIES_EXHAUSTED is for. Its new receipt ends the exception.
        if (receipts.contains(task.pushId())) {
            if (record.headers().lastHeader(DeadLetters.REPLAYED_FROM) == null || !receipts.onlyFailed(task.pushId())) {
                metrics.deduplicated();
                return CompletableFuture.completedFuture(null);
            }
            log.atInfo().addKeyValue(DeadLetters.LOG_EVENT_ID, task.sourceEventId()).log(
                    "{} lane: push {} replayed from {} after a FAILED receipt: sending it again", config.lane(), task.pushId(),
                    new String(record.headers().lastHeader(DeadLetters.REPLAYED_FROM).value(), StandardCharsets.UTF_8));
        }
        Instant expiresAt = task.ttlSeconds() == null ? null : envelope.time().plusSeconds(task.ttlSeconds());
        if (expiresAt != null && clock.instant().isAfter(expiresAt)) {
            metrics.outcome(platform, "expired");
            return receipt(task, ReceiptStatus.EXPIRED, null, "expired at " + expiresAt);
        }
        CompactedKeySet devices = gate;
        if (devices != null && devices.isUnregistered(task.userId(), task.token())) {
            // Unregistered (or moved to another user) after this push was queued: not sent, and said so.
            metrics.outcome(platform, "unregistered");
            return receipt(task, ReceiptStatus.CANCELLED, null, "device unregistered before the push was sent");
        }
        CompactedKeySet bans = banned;
        String about = task.data() == null ? null : task.data().get(ABOUT_PROFILE_DATA_KEY);
        if (bans != null && about != null && bans.contains(about)) {
            // A push about a banned profile's content (a timeline post of theirs) that was queued before the ban.
            metrics.outcome(platform, "banned");
            return receipt(task, ReceiptStatus.CANCELLED, null, "profile " + about + " was banned before the push was sent");
        }
        PushProvider provider = providers.get(Platform.valueOf(platform));
        if (provider == null) {
            return deadLetter(record, DeadLetterReason.NO_PROVIDER, "no push provider is configured for " + platform);
        }
        PushRequest request = new PushRequest(task.pushId(), Platform.valueOf(platform), task.token(), task.appId(),
                task.title(), task.body(), task.data() == null ? Map.of() : task.data(), task.collapseKey(), expiresAt,
                task.priority() == io.pushline.contracts.Priority.HIGH ? Priority.HIGH : Priority.NORMAL,
                task.kindOrAlert() == io.pushline.contracts.PushKind.BACKGROUND ? PushType.BACKGROUND : PushType.ALERT,
                task.badge(), task.sound());
        // A lane record is always a first attempt, even one replayed from the dead letters with old retry headers.
        int attempt = isRetryTopic(record.topic()) ? RetryTopics.attempt(record.headers()) : 1;
        if (governor != null && config.lane() == io.pushline.contracts.Lane.HIGH) {
            // The wait inside Pushline (task written → about to be sent), not the provider's round trip: a provider
            // that is simply far away (APNs is ~100 ms from most data centres) must not throttle the bulk lane.
            governor.highLaneWaited(Duration.between(envelope.time(), clock.instant()));
        }
        return provider.send(request).thenCompose(outcome -> settle(record, task, expiresAt, attempt, outcome));
    }

    /**
     * The wait before the next attempt: the provider's Retry-After (at least {@code initialBackoff}), else exponential
     * backoff with full jitter, drawn between {@code initialBackoff} and {@code min(maxBackoff, initialBackoff × 2^attempt)},
     * so that the pushes caught by an outage come back spread out, not as a storm.
     */
    private Duration retryWait(PushOutcome.RetryLater later, int attempt) {
        long floor = config.initialBackoff().toMillis();
        if (later.retryAfter() != null) {
            return later.retryAfter().toMillis() >= floor ? later.retryAfter() : config.initialBackoff();
        }
        long cap = Math.min(config.maxBackoff().toMillis(), floor << Math.min(attempt, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(floor, Math.max(floor, cap) + 1));
    }

    private CompletableFuture<Void> settle(ConsumerRecord<String, byte[]> record, PushTask task, Instant expiresAt,
                                           int attempt, PushOutcome outcome) {
        String platform = task.platform().name();
        if (outcome instanceof PushOutcome.Delivered delivered) {
            metrics.outcome(platform, "delivered");
            return receipt(task, ReceiptStatus.DELIVERED, delivered.providerId(), null);
        }
        if (outcome instanceof PushOutcome.Rejected rejected) {
            metrics.outcome(platform, "rejected");
            CompletableFuture<Void> written = receipt(task, ReceiptStatus.REJECTED, null, rejected.reason());
            if (!rejected.tokenInvalid()) {
                return written;
            }
            metrics.tokenInvalidated(platform);
            Instant at = rejected.invalidatedAt() != null ? rejected.invalidatedAt() : clock.instant();
            Envelope<DeviceUnregistered> event = Envelope.of(
                    UUID.nameUUIDFromBytes(("unregistered|" + task.pushId()).getBytes(StandardCharsets.UTF_8)).toString(),
                    config.source(), clock.instant(), new DeviceUnregistered(task.token(), at, rejected.reason()));
            return written.thenCompose(ignored -> send(codec.toRecord(Topics.EVENTS, event)));
        }
        PushOutcome.RetryLater later = (PushOutcome.RetryLater) outcome;
        if (attempt < config.maxAttempts()) {
            Duration wait = retryWait(later, attempt);
            Instant notBefore = clock.instant().plus(wait);
            if (expiresAt != null && notBefore.isAfter(expiresAt)) {
                metrics.outcome(platform, "expired");
                return receipt(task, ReceiptStatus.EXPIRED, null, "expires at " + expiresAt + ", before its next attempt at "
                        + notBefore + " (" + later.cause() + ")");
            }
            return scheduleRetry(record, task, attempt + 1, wait, notBefore, later.cause());
        }
        metrics.outcome(platform, "failed");
        metrics.retriesExhausted(platform);
        String detail = "gave up after " + attempt + " attempts: " + later.cause();
        // Dead letter first: if the receipt write fails or we crash in between, the task is redelivered and dead-lettered
        // again (a duplicate), whereas a receipt written first would make the redelivery a silent no-op.
        return deadLetter(record, DeadLetterReason.RETRIES_EXHAUSTED, detail)
                .thenCompose(ignored -> receipt(task, ReceiptStatus.FAILED, null, detail));
    }

    /**
     * Writes the task unchanged, with the next attempt number and its not-before instant, to the retry topic for
     * {@code wait}; the returned future (and so the original record) completes when the broker acknowledged it.
     */
    private CompletableFuture<Void> scheduleRetry(ConsumerRecord<String, byte[]> record, PushTask task, int nextAttempt,
                                                  Duration wait, Instant notBefore, String cause) {
        int rung = RetryTopics.rung(config.retryDelays(), wait);
        String topic = retryTopics.get(rung);
        String origin = isRetryTopic(record.topic()) ? RetryTopics.origin(record.headers()) : null;
        if (origin == null) {
            origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        }
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        RetryTopics.addTo(headers, nextAttempt, notBefore, cause, origin);
        String delay = RetryTopics.label(config.retryDelays().get(rung));
        log.debug("{} lane: attempt {} of push {} to {} not before {} (in {}, via {}): {}", config.lane(), nextAttempt,
                task.pushId(), Tokens.mask(task.token()), notBefore, wait, topic, cause);
        return send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers)).thenRun(() -> {
            metrics.retry(task.platform().name());
            metrics.retryScheduled(delay);
        });
    }

    private CompletableFuture<Void> receipt(PushTask task, ReceiptStatus status, String providerId, String reason) {
        Instant now = clock.instant();
        PushReceipt receipt = new PushReceipt(task.pushId(), task.sourceEventId(), task.token(), task.platform(),
                status, providerId, reason, now);
        Envelope<PushReceipt> envelope = Envelope.of(
                UUID.nameUUIDFromBytes(("receipt|" + task.pushId()).getBytes(StandardCharsets.UTF_8)).toString(),
                config.source(), now, receipt);
        // Co-partitioned with the task: keyed userId|pushId, on the partition the task's own key (userId) has.
        ProducerRecord<String, byte[]> encoded = codec.toRecord(Topics.PUSH_RECEIPTS, envelope);
        encoded.headers().add(ReceiptStore.STATUS_HEADER, status.name().getBytes(StandardCharsets.US_ASCII));
        ReceiptStore store = receipts;
        int partition = ReceiptStore.partitionOf(task.userId(), store.partitions());
        return send(new ProducerRecord<>(Topics.PUSH_RECEIPTS, partition, Keys.compound(task.userId(), task.pushId()),
                encoded.value(), encoded.headers())).thenRun(() -> store.add(partition, task.pushId(), status == ReceiptStatus.FAILED));
    }

    private CompletableFuture<Void> deadLetter(ConsumerRecord<String, byte[]> record, DeadLetterReason reason, String detail) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.addTo(headers, reason, detail, record.topic(), record.partition(), record.offset(), clock.instant());
        metrics.deadLettered(reason.name());
        log.atWarn().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers())).log("{} lane: dead-lettered {}-{}@{}: {} ({})",
                config.lane(), record.topic(), record.partition(), record.offset(), reason, detail);
        return send(new ProducerRecord<>(Topics.DEAD_LETTERS, null, record.key(), record.value(), headers));
    }

    private CompletableFuture<Void> send(ProducerRecord<String, byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        // Complete on our own executor, never on the producer's I/O thread: what runs next may send again, and a
        // send that waits for metadata on the I/O thread waits for itself (until max.block.ms).
        producer.send(record, (metadata, error) -> callbacks.execute(() -> {
            if (error == null) {
                acked.complete(null);
            } else {
                acked.completeExceptionally(error);
            }
        }));
        return acked;
    }

    private void closeSets() {
        for (CompactedKeySet set : new CompactedKeySet[] {gate, banned}) {
            if (set != null) {
                set.close();
            }
        }
        gate = null;
        banned = null;
    }

    /** Stops consuming, drains in-flight pushes (bounded by the drain timeout), commits, and leaves the group. */
    @Override
    public void close() {
        Thread thread;
        synchronized (this) {
            thread = pollThread;
            if (thread == null || !running) {
                return;
            }
            running = false;
        }
        try {
            if (!stopped.await(config.drainTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                log.warn("{} lane: poll thread did not stop in time", config.lane());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pipeline != null) {
            pipeline.dispose();
        }
        closeSets();
        ReceiptStore store = receipts;
        if (store != null) {
            store.close();
        }
        callbacks.shutdown();
    }
}
