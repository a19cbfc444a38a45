package io.pushline.workers;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.GroupHeartbeat;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Topics;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.Disposable;
import reactor.core.Exceptions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Consumes one lane's push tasks and delivers them through the push providers, at least once, with deterministic ids
 * and a receipt check before every send.
 *
 * <p>One poll thread owns the {@link KafkaConsumer}: it keeps polling, reads up to {@link WorkerConfig#readAhead()}
 * records ahead into a {@link FairBacklog} (per app, served by weighted round robin), hands them to a reactor-core
 * pipeline only as far as that pipeline has demand ({@code maxInFlight} pushes at most), pauses every partition while
 * the read-ahead is full and resumes them when dispatch makes room, and commits on the poll thread only up to the
 * lowest record of each partition that is unfinished or not dispatched yet. A receipt is written (and acknowledged) before its record counts as finished, so after a crash
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
 * <p>This class is the consumer engine: poll loop, pause and resume, commits, rebalances, drain. What becomes of each
 * task (skip it and why, send it, and what follows the provider's answer) is decided by {@link Delivery}, with no I/O,
 * and carried out by {@link DeliveryEffects}; the receipts and key sets the decision asks are held by {@link Guards}.
 * Those checks fail closed: while one cannot answer (not loaded yet, retrying, full) nothing is dispatched and
 * {@link #degraded()} says why; once one has stopped for good the worker fails.
 *
 * <p>Lifecycle ({@link WorkerState}): {@link #start()} once (it creates missing retry topics unless configured not
 * to; a start that fails closes what it opened and may be tried again), {@link #close()} at any time (drains in-flight
 * pushes within the drain timeout, commits, and leaves the group; retry records read but not yet due are left
 * uncommitted and read again by the next owner; a second call returns once the first is done; a closed worker cannot
 * be started). The producer and providers are owned by the caller and are not closed here. Thread-safe.
 *
 * <p>Broker trouble: the poll loop outlives a broker that is slow, stalled, restarting or failing over (Kafka's
 * retriable errors, a commit refused after a rebalance; see {@link LoopFaults}): it backs off, 100 ms doubling to 5 s,
 * logs at most once a minute, and resumes from what it has (only finished records are ever committed). Anything
 * else, or transient failures lasting longer than their bound (10 minutes), ends it: the worker then reports why in
 * {@link #failure()}, and the process is expected to exit so that a supervisor restarts it.
 *
 * <p>(Over 500 lines, on purpose: the engine's parts, poll loop, pause, commit, rebalance and drain, share the poll
 * thread's unsynchronised state, the backlog, the retries waiting and the offsets; split apart, they would pass that
 * state around. The parts that stand alone are apart: {@link Demand}, {@link Pauses}, {@link OffsetTracker},
 * {@link DelayedRetries}, and {@link LoopFaults}, the transient-or-fatal decision.)
 */
public final class PushWorker implements AutoCloseable {
    /**
     * The header with a receipt's status ({@code ReceiptStatus} name) that the worker writes on every receipt, so that
     * the receipt store can tell a {@code FAILED} receipt from the others without decoding values.
     */
    public static final String RECEIPT_STATUS_HEADER = "pushline.receipt.status";
    private static final Logger log = LoggerFactory.getLogger(PushWorker.class);

    private static final Duration MAX_POLL_WAIT = Duration.ofMillis(100);

    private final WorkerConfig config;
    private final Map<String, Object> clientConfig;
    private final Map<String, Object> consumerConfig;
    /** See {@link #degraded()}: written by the poll thread, read by health checks. */
    private volatile String degraded;
    private final List<String> retryTopics;                 // shortest delay first
    private final DelayedRetries delayed = new DelayedRetries();   // poll thread only
    private final Producer<String, byte[]> producer;
    private final Map<Platform, PushProvider> providers;
    private final WorkerMetrics metrics;
    private final Clock clock;
    private final OffsetTracker offsets = new OffsetTracker();
    private final Demand demand;
    private final AtomicInteger pausedCount = new AtomicInteger();
    private final FairBacklog backlog;   // poll thread only: records read ahead, by app
    private final AtomicInteger backlogSize = new AtomicInteger();   // for the gauge
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch firstAssignment = new CountDownLatch(1);
    private final LaneGovernor governor;   // null: no other lane to give way to
    /** Moved only through {@link WorkerState#move}; start and close hold this worker's monitor while they move it. */
    private final AtomicReference<WorkerState> state = new AtomicReference<>(WorkerState.NEW);
    private volatile Guards guards;              // set by start
    private volatile DeliveryEffects effects;    // set by start
    private volatile FluxSink<ConsumerRecord<String, byte[]>> sink;
    /** Why the worker cannot go on, once it cannot (set once; never cleared). */
    private final AtomicReference<String> failure = new AtomicReference<>();
    /**
     * Partitions holding a record that could not be dead-lettered: it stays unfinished for good, so their commits stop
     * there. Drains and revocations do not wait for them (waiting could not move their commit past that record).
     */
    private final Set<TopicPartition> abandoned = ConcurrentHashMap.newKeySet();
    /** Counted down by close(): ends a backoff early. */
    private final CountDownLatch closeRequested = new CountDownLatch(1);
    private final Function<Map<String, Object>, Consumer<String, byte[]>> consumers;
    /** The process's receipts index, shared with the other lane; null: this worker makes its own. */
    private final ReceiptIndex receiptIndex;
    private final SendChecks sendChecks;                    // the process's; null: the worker's own
    /** How the checks' consumers are made; tests set it (before start) to inject faults. */
    private volatile Function<Map<String, Object>, Consumer<String, byte[]>> checkConsumers = CompactedKeySet.Settings.KAFKA;
    /** Why the checks hold every push, as they last said (asked each round and before each dispatch), or null; poll thread only. */
    private String holding;
    private final Duration transientBound;
    private final LoopFaults faults;   // poll thread only
    private Consumer<String, byte[]> consumer;
    /** The group member's heartbeat age (null for a consumer without the metric, e.g. a test double). */
    private volatile GroupHeartbeat heartbeat;
    private Disposable pipeline;
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

    /**
     * As above, with the {@link ReceiptIndex} of this process, shared by its lanes (each receipt held once, one
     * follower); it is the caller's, closed after the workers. Null: the worker makes an index of its own.
     */
    public PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
                      Map<Platform, PushProvider> providers, MeterRegistry registry, LaneGovernor governor,
                      ReceiptIndex receipts) {
        this(config, clientConfig, producer, providers, registry, governor, receipts, null);
    }

    /**
     * As above, with the {@link SendChecks} of this process as well, shared by its lanes (each check followed once);
     * they are the caller's, closed after the workers. Null: the worker makes checks of its own.
     */
    public PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
                      Map<Platform, PushProvider> providers, MeterRegistry registry, LaneGovernor governor,
                      ReceiptIndex receipts, SendChecks checks) {
        this(config, clientConfig, producer, providers, registry, Clock.systemUTC(), governor,
                settings -> new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer()),
                LoopFaults.DEFAULT_TRANSIENT_BOUND, receipts, checks);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock) {
        this(config, clientConfig, producer, providers, registry, clock, null);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor) {
        this(config, clientConfig, producer, providers, registry, clock, governor, null);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor,
               ReceiptIndex receipts) {
        this(config, clientConfig, producer, providers, registry, clock, governor,
                settings -> new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer()),
                LoopFaults.DEFAULT_TRANSIENT_BOUND, receipts);
    }

    /**
     * The seam for tests: {@code consumers} makes the consumer from its settings (tests wrap the real one to inject
     * faults), {@code transientBound} is how long transient broker failures may last before the worker fails.
     */
    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor,
               Function<Map<String, Object>, Consumer<String, byte[]>> consumers, Duration transientBound) {
        this(config, clientConfig, producer, providers, registry, clock, governor, consumers, transientBound, null);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor,
               Function<Map<String, Object>, Consumer<String, byte[]>> consumers, Duration transientBound,
               ReceiptIndex receipts) {
        this(config, clientConfig, producer, providers, registry, clock, governor, consumers, transientBound, receipts, null);
    }

    PushWorker(WorkerConfig config, Map<String, Object> clientConfig, Producer<String, byte[]> producer,
               Map<Platform, PushProvider> providers, MeterRegistry registry, Clock clock, LaneGovernor governor,
               Function<Map<String, Object>, Consumer<String, byte[]>> consumers, Duration transientBound,
               ReceiptIndex receipts, SendChecks checks) {
        this.receiptIndex = receipts;
        this.sendChecks = checks;
        this.consumers = Objects.requireNonNull(consumers, "consumers");
        this.transientBound = transientBound;
        this.faults = new LoopFaults(transientBound, System::nanoTime);
        this.config = Objects.requireNonNull(config, "config");
        this.governor = governor;
        this.producer = Objects.requireNonNull(producer, "producer");
        this.providers = Map.copyOf(providers);
        this.clock = clock;
        this.metrics = new WorkerMetrics(registry, config.lane().name().toLowerCase(Locale.ROOT));
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Push tasks are written in transactions (the topology runs exactly-once): a task of an aborted transaction
        // must never be sent, so read only committed ones.
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // A poll reads ahead into the backlog (up to the read-ahead), not only what the in-flight window takes now: apps
        // share the lane among the records read, so a narrow window must not narrow what is read.
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(500, config.readAhead())));
        // Revocation drains inside poll(): the group must not expel the member while it waits for providers' answers.
        consumerConfig.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                (int) Math.max(300_000L, config.drainTimeout().plusSeconds(60).toMillis()));
        consumerConfig.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.consumerConfig = consumerConfig;
        this.clientConfig = Collections.unmodifiableMap(new HashMap<>(clientConfig));
        this.retryTopics = RetryTopics.names(config);
        this.demand = new Demand(config.lane(), governor);
        this.backlog = new FairBacklog(config.appWeight());
        metrics.gauges(demand::inFlight, pausedCount::get, delayed::size);
        metrics.backlogGauge(backlogSize::get);
        metrics.receiptGauge(() -> {
            Guards held = guards;
            return held == null ? 0 : held.receipts().size();
        });
    }

    /**
     * Creates the lane's missing retry topics (unless {@link WorkerConfig#provisionRetryTopics()} is false), starts the
     * receipts store, subscribes to the lane topic and its retry topics, and starts the poll thread. Receipts are
     * restored per partition as partitions are assigned, not here; the checks load on their own threads, and nothing
     * is sent before they have.
     *
     * @throws IllegalStateException if started twice or after {@link #close()}, if the lane topic does not exist when
     *                               retry topics are to be created, if the receipts topic does not exist, or if the lane
     *                               topic's partition count differs from the receipts topic's; a start that fails
     *                               otherwise than by being called twice or after close leaves the worker as it was
     */
    public synchronized void start() {
        WorkerState now = state.get();
        if (now != WorkerState.NEW) {
            throw new IllegalStateException(now == WorkerState.CLOSED ? "worker closed" : "worker already started");
        }
        WorkerState.move(state, WorkerState.NEW, WorkerState.STARTING);
        boolean started = false;
        try {
            open();
            started = true;
        } finally {
            if (!started) {
                WorkerState.move(state, WorkerState.STARTING, WorkerState.NEW);
            }
        }
        Thread thread = new Thread(this::pollLoop, "pushline-worker-" + config.lane().name().toLowerCase(Locale.ROOT));
        WorkerState.move(state, WorkerState.STARTING, WorkerState.RUNNING);
        thread.start();
    }

    /** The STARTING part of {@link #start()}: on failure it closes what it opened, then throws. */
    private void open() {
        if (config.provisionRetryTopics()) {
            try (Admin admin = Admin.create(clientConfig)) {
                RetryTopics.ensure(admin, config, Duration.ofSeconds(60));
            }
        }
        Guards opened = Guards.open(config, clientConfig, metrics, clock, checkConsumers, transientBound, receiptIndex, sendChecks);
        Consumer<String, byte[]> created = null;
        try {
            created = consumers.apply(consumerConfig);
            checkCoPartitioned(created, opened.receipts().partitions());
        } catch (RuntimeException e) {
            if (created != null) {
                created.close(Duration.ofSeconds(5));
            }
            opened.close();
            throw e;
        }
        guards = opened;
        consumer = created;
        // Looked up here, before the poll thread owns the consumer; read from the health thread afterwards.
        heartbeat = GroupHeartbeat.of(created.metrics(), GroupHeartbeat.sessionTimeout(consumerConfig)).orElse(null);
        Delivery delivery = new Delivery(config, providers.keySet(), opened, clock, Delivery.Jitter.UNIFORM);
        effects = new DeliveryEffects(config, delivery, opened, producer, providers, metrics, governor, clock, transientBound,
                () -> state.get() == WorkerState.RUNNING);
        pipeline = Flux.<ConsumerRecord<String, byte[]>>create(s -> {
                    sink = s;
                    s.onRequest(demand::requested);
                }, FluxSink.OverflowStrategy.ERROR)
                .flatMap(this::handle, config.maxInFlight(), 1)
                .subscribe(ignored -> { }, error -> log.error("{} lane: push pipeline failed", config.lane(), error));
    }

    /** How the checks' consumers are made, from their settings; for tests, to wrap the real one. Call before start. */
    PushWorker checkConsumers(Function<Map<String, Object>, Consumer<String, byte[]>> made) {
        this.checkConsumers = Objects.requireNonNull(made, "made");
        return this;
    }

    /** The lifecycle state now; for tests. */
    WorkerState state() {
        return state.get();
    }

    /**
     * The receipts store keys each receipts partition by partition number, so the lane topic must have the receipts
     * topic's partition count (its retry topics are created with the lane topic's): otherwise the receipts of a task
     * would sit on a partition its owner does not restore, and redeliveries would be sent again.
     */
    private void checkCoPartitioned(Consumer<String, byte[]> c, int receiptPartitions) {
        List<PartitionInfo> lane = c.partitionsFor(config.topic(), Duration.ofSeconds(60));
        if (lane != null && !lane.isEmpty() && lane.size() != receiptPartitions) {
            throw new IllegalStateException("lane topic " + config.topic() + " has " + lane.size() + " partitions but "
                    + Topics.PUSH_RECEIPTS + " has " + receiptPartitions + "; they must be co-partitioned (one count)");
        }
    }

    /** The receipts partitions whose receipts this worker holds now; for tests. */
    Set<Integer> receiptPartitions() {
        Guards held = guards;
        return held == null ? Set.of() : held.receipts().heldPartitions();
    }

    /** Receipts held now, over {@link #receiptPartitions()}; for tests. */
    long receiptsHeld() {
        Guards held = guards;
        return held == null ? 0 : held.receipts().size();
    }

    /** Whether a receipt for {@code pushId} is held; for tests. */
    boolean holdsReceipt(String pushId) {
        Guards held = guards;
        return held != null && held.receipts().contains(pushId);
    }

    /** Waits until the consumer has its first assignment; for tests and orderly demos. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return firstAssignment.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int inFlight() {
        return demand.inFlight();
    }

    /**
     * Why this worker cannot go on (its poll loop ended by itself: an unexpected error, the receipts store or a check
     * (device gate, bans, unfollows) stopped following its topic, or transient broker failures lasting longer than
     * their bound; or a dead letter could not be written within that bound), or empty while it can. Once present it
     * stays so; the process should then exit so that a supervisor restarts it, and the unfinished records are
     * redelivered from the committed offsets. Thread-safe.
     */
    public Optional<String> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Why this worker is not serving right now although it can go on (for {@code /health/ready}): its loop is
     * retrying a transient broker failure (a commit or position that timed out, a rebalance), its heartbeats have not
     * reached the group coordinator for longer than the session timeout (a broker that is down or stalled: the poll just
     * returns nothing, see {@link GroupHeartbeat}), or it holds every push because a check that guards them cannot answer (not loaded yet, retrying a failure, full). Empty while it runs
     * normally, and again after its next successful round or once the checks answer. Thread-safe.
     */
    public Optional<String> degraded() {
        String loop = degraded;
        if (loop != null) {
            return Optional.of(loop);
        }
        GroupHeartbeat member = heartbeat;
        if (member != null && firstAssignment.getCount() == 0) {
            Optional<String> overdue = member.overdue();
            if (overdue.isPresent()) {
                return Optional.of(config.lane().name().toLowerCase(Locale.ROOT) + " worker: " + overdue.get());
            }
        }
        Guards held = guards;
        return Optional.ofNullable(held == null ? null : held.holding());
    }

    /** Records the first reason this worker cannot go on. */
    private void fail(String reason) {
        failure.compareAndSet(null, config.lane().name().toLowerCase(Locale.ROOT) + " worker: " + reason);
    }

    private void pollLoop() {
        try {
            List<String> topics = new ArrayList<>();
            topics.add(config.topic());
            topics.addAll(retryTopics);
            consumer.subscribe(topics, new Rebalance());
            while (state.get() == WorkerState.RUNNING && failure.get() == null) {
                try {
                    if (pollOnce()) {
                        int ended = faults.succeeded();
                        degraded = null;
                        if (ended > 0) {
                            log.info("{} lane: the broker answers again after {} transient failures; resuming", config.lane(), ended);
                        }
                    }
                } catch (WakeupException e) {
                    if (state.get() != WorkerState.RUNNING) {
                        break;   // close() woke the poll: an orderly end
                    }
                    throw e;
                } catch (RuntimeException e) {
                    if (state.get() != WorkerState.RUNNING) {
                        log.warn("{} lane: poll loop failed while closing", config.lane(), e);
                        break;
                    }
                    LoopFaults.Verdict verdict = faults.failed(e);
                    if (verdict instanceof LoopFaults.Retry retry) {
                        if (retry.failures() == 1) {
                            degraded = config.lane().name().toLowerCase(Locale.ROOT) + " worker: retrying a broker failure since "
                                    + Instant.now(clock) + " (" + LoopFaults.describe(e) + ")";
                        }
                        if (retry.log()) {
                            // At most once a minute: a stalled broker must not flood the log.
                            log.warn("{} lane: transient broker failure #{} ({}); retrying in {} ms from the committed state",
                                    config.lane(), retry.failures(), LoopFaults.describe(e), retry.backoff().toMillis());
                        }
                        // Not a sleep: close() ends the wait. 5 s at most, far below max.poll.interval.ms.
                        closeRequested.await(retry.backoff().toMillis(), TimeUnit.MILLISECONDS);
                    } else {
                        String reason = ((LoopFaults.GiveUp) verdict).reason();
                        log.error("{} lane: poll loop failed: {}", config.lane(), reason, e);
                        fail(reason);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("{} lane: poll thread interrupted; stopping", config.lane());
            fail("poll thread interrupted");
        } catch (RuntimeException e) {
            log.error("{} lane: poll loop failed", config.lane(), e);
            fail("unexpected " + LoopFaults.describe(e));
        } finally {
            if (state.get() == WorkerState.RUNNING) {
                // Ended by itself, not by close(): whatever the path, the worker cannot go on and says so.
                fail("poll loop ended");
            }
            drainAndClose();
            // Ended by itself (not by close(), which moved it to DRAINING first): close() still releases the rest.
            WorkerState.move(state, WorkerState.RUNNING, WorkerState.FAILED);
            stopped.countDown();
        }
    }

    /**
     * One round of the poll loop: release due retries, dispatch, poll, commit if due.
     *
     * @return whether a commit round ran (and went through): evidence that the broker answers
     */
    private boolean pollOnce() throws InterruptedException {
        ReceiptStore receipts = guards.receipts();
        RuntimeException storeFailure = receipts.failure();
        if (storeFailure != null) {
            throw new IllegalStateException("the receipts store stopped following " + Topics.PUSH_RECEIPTS, storeFailure);
        }
        String checkFailure = guards.failure();
        if (checkFailure != null) {
            // It held its pushes meanwhile, and cannot any more: fail, so that a new process loads the check afresh.
            log.error("{} lane: {}; the worker stops", config.lane(), checkFailure);
            fail(checkFailure);
            return false;
        }
        // Fail closed: while a check cannot answer, nothing is dispatched; records wait in the backlog (every partition
        // pauses once it holds the read-ahead) and stay uncommitted, and are sent once it answers.
        holding = guards.holding();
        delayed.releaseDue(clock.instant(), this::enqueue);
        dispatch();
        if (!backlog.isEmpty() && !demand.canDispatch()) {
            // Records wait but none may go: wait until a push finishes or demand returns (at most one poll
            // interval), rather than polling paused partitions for the full poll timeout.
            demand.awaitCapacity(pollTimeout());
        }
        dispatch();
        adjustPause();
        Map<TopicPartition, Long> rewind = new HashMap<>();
        // With records waiting every partition is paused: poll only for the group's sake, without waiting (the
        // wait for capacity above bounds the loop's pace; while the checks hold, the poll's own wait does).
        for (ConsumerRecord<String, byte[]> record : consumer.poll(backlog.isEmpty() || holding != null ? pollTimeout() : Duration.ZERO)) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            if (rewind.containsKey(partition) || !receipts.isRestored(record.partition())) {
                // Not expected (such partitions are paused from their assignment on): read it again once restored.
                rewind.putIfAbsent(partition, record.offset());
                continue;
            }
            if (isRetryTopic(record.topic())) {
                delayed.add(record);
            } else {
                enqueue(record);
            }
        }
        if (!rewind.isEmpty()) {
            rewind.forEach(consumer::seek);
            consumer.pause(rewind.keySet());
        }
        delayed.releaseDue(clock.instant(), this::enqueue);
        dispatch();
        backlogSize.set(backlog.size());
        return commitIfDue(false);
    }

    /** A record read (or a retry due): it waits its app's turn, and no commit passes it meanwhile. */
    private void enqueue(ConsumerRecord<String, byte[]> record) {
        offsets.received(new TopicPartition(record.topic(), record.partition()), record.offset());
        backlog.add(record);
    }

    /** Read ahead as far as allowed: then every partition pauses until dispatch makes room. */
    private boolean backlogFull() {
        return backlog.size() >= config.readAhead();
    }

    private void dispatch() {
        // The checks are asked again for every record: one that stops answering mid-round holds the rest at once.
        while (!backlog.isEmpty() && demand.canDispatch() && (holding = guards.holding()) == null) {
            ConsumerRecord<String, byte[]> record = backlog.poll();
            metrics.appWait(backlog.lastApp(), clock.millis() - record.timestamp());
            offsets.dispatched(new TopicPartition(record.topic(), record.partition()), record.offset());
            demand.dispatched();
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
        guards.receipts().track(numbers);
    }

    private boolean isRetryTopic(String topic) {
        return retryTopics.contains(topic);
    }

    /** Applies {@link Pauses#wanted}: pauses what it names, resumes the rest. */
    private void adjustPause() {
        ReceiptStore receipts = guards.receipts();
        Set<TopicPartition> wanted = Pauses.wanted(consumer.assignment(), receipts::isRestored, backlogFull(),
                this::isRetryTopic, delayed.size() >= config.maxRetriesWaiting(), delayed::holds);
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

    /** @return whether a commit round ran */
    private boolean commitIfDue(boolean force) {
        Instant now = clock.instant();
        if (!force && now.isBefore(lastCommit.plus(config.commitInterval()))) {
            return false;
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
        return true;
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

    private Set<TopicPartition> withoutAbandoned(Collection<TopicPartition> partitions) {
        Set<TopicPartition> left = new HashSet<>(partitions);
        left.removeAll(abandoned);
        return left;
    }

    private void drainAndClose() {
        try {
            backlog.clear();
            delayed.clear();
            if (!consumer.assignment().isEmpty()) {
                consumer.pause(consumer.assignment());
            }
            guards.releaseHolds();   // pushes held in flight end unfinished (uncommitted) instead of holding up the drain
            boolean drained = offsets.awaitFinished(withoutAbandoned(offsets.tracked()), config.drainTimeout().toMillis());
            if (!drained) {
                int unfinished = offsets.unfinished();
                metrics.handedOver(unfinished);
                log.warn("{} lane: {} pushes still in flight after {}; their records stay uncommitted and will be redelivered "
                        + "(each may be sent twice: counted in {})", config.lane(), unfinished, config.drainTimeout(), WorkerMetrics.HANDED_OVER);
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
                if (!offsets.awaitFinished(withoutAbandoned(revoked), config.drainTimeout().toMillis())) {
                    int unfinished = offsets.unfinished(revoked);
                    metrics.handedOver(unfinished);
                    log.warn("{} lane: revoked partitions still have {} pushes in flight after {}; they stay uncommitted, "
                            + "and their next owner may send them again (counted in {})", config.lane(), unfinished,
                            config.drainTimeout(), WorkerMetrics.HANDED_OVER);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Map<TopicPartition, Long> toCommit = new HashMap<>(offsets.toCommit());
            toCommit.keySet().retainAll(revoked);
            try {
                commit(toCommit);
            } catch (RuntimeException e) {
                if (!LoopFaults.isTransient(e)) {
                    throw e;
                }
                // The partitions go anyway: their next owner reads from the last commit, and receipts stop a second send.
                log.warn("{} lane: could not commit revoked partitions ({}); their records since the last commit will be "
                        + "redelivered to their next owner", config.lane(), LoopFaults.describe(e));
            } finally {
                offsets.forget(revoked);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            trackReceiptPartitions();
            if (backlogFull() || demand.exhausted()) {
                consumer.pause(assigned);   // no demand: new partitions start paused
            } else {
                // Nothing of a partition is processed before its receipts are restored (by the store's own thread;
                // this poll thread keeps polling meanwhile, so max.poll.interval.ms is never at stake).
                ReceiptStore receipts = guards.receipts();
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

    // ---- processing, on reactor / provider threads: the record goes to the delivery, its end is accounted here ----

    /**
     * One record, from the delivery to its end. A transient write failure is retried by {@link DeliveryEffects} (the
     * write alone). A record whose handling throws for its own sake ({@link LoopFaults#isPoison}: a bug or data the code
     * cannot take, the same on every try) is a poison record: dead-lettered with {@code PROCESSING_FAILED} at its first
     * failure, and its partition moves on. Retrying it would not help, and could send its push again if it failed after
     * the send. Anything else (writes still failing after the transient bound, a Kafka error that is not the record's)
     * leaves the record unfinished and fails the worker, so that the process is restarted and the record redelivered.
     */
    private Mono<Void> handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        return Mono.defer(() -> Mono.fromCompletionStage(effects.process(record)))
                .onErrorResume(error -> {
                    Throwable cause = unwrap(error);
                    if (!LoopFaults.isPoison(cause) || state.get() != WorkerState.RUNNING) {
                        String within = cause instanceof java.util.concurrent.TimeoutException || LoopFaults.isTransient(cause)
                                ? " within " + transientBound : "";
                        return Mono.error(new Unfinished("could not finish " + where + within + ": " + LoopFaults.describe(cause), cause));
                    }
                    log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers())).setCause(cause)
                            .log("{} lane: poison record {}: it failed for its own sake; dead-lettering it", config.lane(), where);
                    ProducerRecord<String, byte[]> deadLetter =
                            effects.deadLetterRecord(record, DeadLetterReason.PROCESSING_FAILED, LoopFaults.poisonDetail(cause));
                    return Mono.defer(() -> Mono.fromCompletionStage(effects.write(deadLetter)))
                            .onErrorMap(e -> new Unfinished("could not dead-letter " + where + " within " + transientBound + ": "
                                    + LoopFaults.describe(unwrap(e)), unwrap(e)));
                })
                .then(Mono.<Void>fromRunnable(() -> offsets.finished(partition, record.offset())))
                .onErrorResume(error -> {
                    // The record stays unfinished, so it is never committed; the worker fails, so that the process is
                    // restarted and the record redelivered, instead of going on with a partition that cannot commit.
                    Throwable cause = unwrap(error);
                    abandoned.add(partition);
                    String reason = cause instanceof Unfinished u ? u.getMessage() : "could not finish " + where + ": " + LoopFaults.describe(cause);
                    log.error("{} lane: {}; it stays uncommitted", config.lane(), reason, cause.getCause() == null ? cause : cause.getCause());
                    if (state.get() == WorkerState.RUNNING) {
                        fail(reason);
                    }
                    return Mono.empty();
                })
                .doFinally(signal -> demand.finished());
    }

    /** Why a record could not be finished; its message is the worker's failure. */
    private static final class Unfinished extends RuntimeException {
        Unfinished(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = Exceptions.unwrap(error);
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * Stops consuming, drains in-flight pushes (bounded by the drain timeout), commits, and leaves the group. A worker
     * never started just becomes closed; a second call returns once the first has finished.
     */
    @Override
    public synchronized void close() {
        WorkerState from = state.get();
        if (from == WorkerState.RUNNING && WorkerState.move(state, WorkerState.RUNNING, WorkerState.DRAINING)) {
            from = WorkerState.DRAINING;
            closeRequested.countDown();
        } else {
            from = state.get();   // the poll loop may have ended by itself meanwhile (FAILED)
        }
        if (from == WorkerState.NEW) {
            WorkerState.move(state, WorkerState.NEW, WorkerState.CLOSED);
            return;
        }
        if (from != WorkerState.DRAINING && from != WorkerState.FAILED) {
            return;   // CLOSED already; STARTING cannot be seen here, start() holds the monitor
        }
        try {
            if (!stopped.await(config.drainTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                log.warn("{} lane: poll thread did not stop in time", config.lane());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (pipeline != null) {
                pipeline.dispose();
            }
            guards.close();
            effects.close();
        } finally {
            WorkerState.move(state, from, WorkerState.CLOSED);
        }
    }
}
