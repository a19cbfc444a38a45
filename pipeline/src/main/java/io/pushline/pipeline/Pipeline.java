package io.pushline.pipeline;

import io.pushline.observability.LagMetrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.GroupHeartbeat;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.topology.PushlineTopology;
import io.pushline.coordinators.CoordinatorConfig;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.coordinators.EarlyHighLane;
import io.pushline.topology.StreamsSettings;
import io.pushline.topology.TopologyConfig;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.LaneGovernor;
import io.pushline.workers.PushWorker;
import io.pushline.workers.ReceiptIndex;
import io.pushline.workers.ReceiptsConfig;
import io.pushline.workers.SendChecks;
import io.pushline.workers.WorkerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Wires the roles of one Pushline process: topics, the Streams topology (router role), and one worker per lane
 * (workers role). Owns what it creates and closes it in reverse order; the providers belong to the caller.
 *
 * <p>Health: {@link #notReady()} says why it does not serve yet, {@link #fatal()} why it never will again (a worker
 * whose poll loop ended, a Streams application in ERROR or shut down by itself); a process with a fatal pipeline is to
 * exit so that its supervisor restarts it. Both are thread-safe.
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    /**
     * Pushes a provider lets wait for a connection slot. Larger than what both lanes' workers can have in flight, so
     * the workers' own bound is what applies back-pressure, not "queue full" retries from the provider.
     */
    public static final int PROVIDER_QUEUE = 4096;

    /**
     * @param bootstrapServers the Kafka cluster
     * @param clientConfig     extra client settings (security), applied to every client
     * @param partitions       partition count of the co-partitioned topics
     * @param replication      of Pushline's topics, the workers' retry topics and Kafka Streams' internal topics:
     *                         {@link Replication.Choice#AUTO} or a given factor, resolved against the cluster at start
     * @param stateDir         Kafka Streams state directory
     * @param applicationId    Kafka Streams application id
     * @param workerInFlight   pushes in flight per lane
     * @param lagInterval      how often the router role reads consumer lag into its gauges
     */
    public record Settings(String bootstrapServers, Map<String, Object> clientConfig, int partitions, Replication.Choice replication,
                    Path stateDir, String applicationId, int workerInFlight, int expansionPageSize, Duration expansionPageInterval,
                    Duration coordinatorCommitInterval, Duration lagInterval) {

        /** How often consumer lag is read by default: each reading costs a few AdminClient calls and a fetch per lagging partition. */
        public static final Duration DEFAULT_LAG_INTERVAL = Duration.ofSeconds(10);

        /**
         * The coordinators' transaction commit interval. Their push tasks reach the workers at once
         * ({@link EarlyHighLane}); their other records (notifications, activity, like counts) become visible to
         * read_committed consumers when the transaction commits. Each commit costs a few broker round trips. Kafka
         * Streams' exactly-once default is 100 ms.
         */
        public static final Duration DEFAULT_COORDINATOR_COMMIT_INTERVAL = Duration.ofMillis(20);

        public Settings {
            java.util.Objects.requireNonNull(replication, "replication");
        }

        public Settings(String bootstrapServers, Map<String, Object> clientConfig, int partitions, Replication.Choice replication,
                 Path stateDir, String applicationId, int workerInFlight, int expansionPageSize, Duration expansionPageInterval,
                 Duration coordinatorCommitInterval) {
            this(bootstrapServers, clientConfig, partitions, replication, stateDir, applicationId, workerInFlight,
                    expansionPageSize, expansionPageInterval, coordinatorCommitInterval, DEFAULT_LAG_INTERVAL);
        }

        public Settings(String bootstrapServers, Map<String, Object> clientConfig, int partitions, Replication.Choice replication,
                 Path stateDir, String applicationId, int workerInFlight, int expansionPageSize, Duration expansionPageInterval) {
            this(bootstrapServers, clientConfig, partitions, replication, stateDir, applicationId, workerInFlight,
                    expansionPageSize, expansionPageInterval, DEFAULT_COORDINATOR_COMMIT_INTERVAL);
        }

        public Settings(String bootstrapServers, Map<String, Object> clientConfig, int partitions, Replication.Choice replication,
                 Path stateDir, String applicationId, int workerInFlight) {
            this(bootstrapServers, clientConfig, partitions, replication, stateDir, applicationId, workerInFlight,
                    TopologyConfig.DEFAULT_PAGE_SIZE, TopologyConfig.DEFAULT_PAGE_INTERVAL);
        }

        public Map<String, Object> clients() {
            Map<String, Object> config = new HashMap<>(clientConfig);
            config.put("bootstrap.servers", bootstrapServers);
            return config;
        }
    }

    private final List<AutoCloseable> owned = new ArrayList<>();
    private KafkaStreams streams;
    private KafkaStreams coordinators;
    private Tuning tuning = Tuning.NONE;
    private final List<PushWorker> workers = new ArrayList<>();
    private volatile boolean closing;
    /** The Streams applications' group session timeout, for {@link #notReady()}'s heartbeat check. */
    private java.time.Duration sessionTimeout = GroupHeartbeat.DEFAULT_SESSION_TIMEOUT;
    /** Makes each Streams application's replacement bound; tests set a smaller one. */
    private Supplier<ThreadReplacements> replacements = ThreadReplacements::defaults;

    private Pipeline() {
    }

    /** Both lanes share {@code providers}. */
    public static Pipeline start(Settings settings, Set<ProcessRole> roles, Map<Platform, PushProvider> providers, MeterRegistry registry) {
        Map<Lane, Map<Platform, PushProvider>> byLane = new java.util.EnumMap<>(Lane.class);
        for (Lane lane : Lane.values()) {
            byLane.put(lane, providers);
        }
        return startLanes(settings, roles, byLane, registry);
    }

    /**
     * Each lane sends through its own providers, so that high-priority pushes have their own connections and in-flight
     * capacity and never queue behind a bulk fanout's.
     */
    public static Pipeline startLanes(Settings settings, Set<ProcessRole> roles, Map<Lane, Map<Platform, PushProvider>> providers, MeterRegistry registry) {
        return startLanes(settings, roles, providers, registry, UnaryOperator.identity());
    }

    /** For tests: as {@link #start}, with each Streams application's stream-thread replacements bounded by {@code replacements}. */
    static Pipeline start(Settings settings, Set<ProcessRole> roles, MeterRegistry registry, Supplier<ThreadReplacements> replacements) {
        Pipeline pipeline = new Pipeline();
        pipeline.replacements = replacements;
        try {
            pipeline.doStart(settings, roles, Map.of(), registry);
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    /** As above, with the coordinators' configuration adjusted by {@code coordinatorTuning} (tests inject faults with it). */
    public static Pipeline startLanes(Settings settings, Set<ProcessRole> roles, Map<Lane, Map<Platform, PushProvider>> providers, MeterRegistry registry,
                               UnaryOperator<CoordinatorConfig> coordinatorTuning) {
        return startLanes(settings, roles, providers, registry, coordinatorTuning, UnaryOperator.identity());
    }

    /**
     * As above, with each lane's worker configuration adjusted too (tests scale retry delays and drain timeouts down
     * with it, so that a fault of minutes plays out in seconds).
     */
    public static Pipeline startLanes(Settings settings, Set<ProcessRole> roles, Map<Lane, Map<Platform, PushProvider>> providers, MeterRegistry registry,
                               UnaryOperator<CoordinatorConfig> coordinatorTuning, UnaryOperator<WorkerConfig> workerTuning) {
        return startLanes(settings, roles, providers, registry, Tuning.NONE.coordinators(coordinatorTuning).workers(workerTuning));
    }

    /**
     * How the roles' configurations differ from their defaults beyond {@link Settings}: each operator adjusts one role's
     * configuration (retentions from the command line; tests scale timings with them). Immutable.
     *
     * <p>{@code receipts} adjusts the push receipts' retention (the receipts topic's {@code retention.ms} and what the
     * workers hold), whose default is the least that is safe: the longest push TTL of the tuned topology and
     * coordinators plus the tuned lanes' retry horizon ({@link ReceiptsConfig#forLanes}; 7 h with the defaults). A
     * shorter one is refused at start.
     */
    public record Tuning(UnaryOperator<TopologyConfig> topology, UnaryOperator<CoordinatorConfig> coordinators,
                         UnaryOperator<WorkerConfig> workers, UnaryOperator<ReceiptsConfig> receipts) {
        /** Every role with its defaults. */
        public static final Tuning NONE = new Tuning(UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity(),
                UnaryOperator.identity());

        public Tuning {
            java.util.Objects.requireNonNull(topology, "topology");
            java.util.Objects.requireNonNull(coordinators, "coordinators");
            java.util.Objects.requireNonNull(workers, "workers");
            java.util.Objects.requireNonNull(receipts, "receipts");
        }

        public Tuning topology(UnaryOperator<TopologyConfig> tuning) {
            return new Tuning(tuning, coordinators, workers, receipts);
        }

        public Tuning coordinators(UnaryOperator<CoordinatorConfig> tuning) {
            return new Tuning(topology, tuning, workers, receipts);
        }

        public Tuning workers(UnaryOperator<WorkerConfig> tuning) {
            return new Tuning(topology, coordinators, tuning, receipts);
        }

        public Tuning receipts(UnaryOperator<ReceiptsConfig> tuning) {
            return new Tuning(topology, coordinators, workers, tuning);
        }
    }

    /** Each lane sends through its own providers; every role's configuration adjusted by {@code tuning}. */
    public static Pipeline startLanes(Settings settings, Set<ProcessRole> roles, Map<Lane, Map<Platform, PushProvider>> providers, MeterRegistry registry,
                                      Tuning tuning) {
        Pipeline pipeline = new Pipeline();
        pipeline.tuning = java.util.Objects.requireNonNull(tuning, "tuning");
        try {
            pipeline.doStart(settings, roles, providers, registry);
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    private void doStart(Settings settings, Set<ProcessRole> roles, Map<Lane, Map<Platform, PushProvider>> providers, MeterRegistry registry) {
        sessionTimeout = GroupHeartbeat.sessionTimeout(settings.clientConfig());
        Map<Lane, WorkerConfig> lanes = new java.util.EnumMap<>(Lane.class);
        for (Lane lane : Lane.values()) {
            lanes.put(lane, tuning.workers().apply(WorkerConfig.defaults(lane).withMaxInFlight(settings.workerInFlight())));
        }
        ReceiptsConfig receipts = receipts(tuning, lanes.values());
        Replication replication = null;
        if (roles.stream().anyMatch(ProcessRole::pipeline)) {
            // The pipeline's roles create its topics. A process of the HTTP servers alone (--role ingest, admin) does
            // not, so it can run with a publisher's or an admin's Kafka credentials (see AccessControl).
            try (Admin admin = Admin.create(settings.clients())) {
                replication = settings.replication().resolve(admin, Duration.ofSeconds(60));
                log.info("topics: {} (asked: {})", replication, settings.replication());
                new TopicProvisioner(admin, Duration.ofSeconds(60))
                        .ensure(Topics.catalogue(settings.partitions(), replication, receipts.retention()));
            }
        }
        if (roles.contains(ProcessRole.ROUTER)) {
            // One lag reader per deployment is enough: it rides with the router.
            owned.add(LagMetrics.start(settings.clients(), registry, group -> group.startsWith("pushline"), settings.lagInterval()));
            StreamsSettings streamsSettings = new StreamsSettings(settings.applicationId(), settings.bootstrapServers(),
                    settings.stateDir(), true, replication, settings.clientConfig());
            ExpansionGate gate = new ExpansionGate(settings.clients(), WorkerConfig.defaults(Lane.BULK).groupId(),
                    ExpansionGate.Bound.DEFAULT, Duration.ofMillis(500), registry);
            owned.add(gate);
            streams = startStreams(PushlineTopology.build(tuning.topology().apply(TopologyConfig.defaults().withMeterRegistry(registry)
                            .withPaging(settings.expansionPageSize(), settings.expansionPageInterval())
                            .withExpansionGate(gate, gate, gate))),
                    streamsSettings.toProperties(), "the topology", TopologyMetrics.DEAD_LETTERS, registry);
        }
        if (roles.contains(ProcessRole.COORDINATORS)) {
            coordinators = startCoordinators(settings, replication, registry);
        }
        if (roles.contains(ProcessRole.WORKERS)) {
            Producer<String, byte[]> producer = new KafkaProducer<>(producerConfig(settings.clients()), new StringSerializer(), new ByteArraySerializer());
            owned.add(() -> producer.close(Duration.ofSeconds(10)));
            // Both lanes in one process share its CPU: the bulk lane gives way while the high lane is slow.
            LaneGovernor governor = LaneGovernor.forBulkWidth(settings.workerInFlight()).bindTo(registry);
            // One receipts index for both lanes: each receipt held once, one follower; closed after the workers.
            ReceiptIndex index = ReceiptIndex.create(receipts, settings.clients(), registry);
            owned.add(index);
            // One set of send-time checks for both lanes: each followed once; closed after the workers.
            SendChecks checks = SendChecks.create(lanes.values(), settings.clients());
            owned.add(checks);
            for (Lane lane : Lane.values()) {   // the high lane first: its receipts are restored first
                PushWorker worker = new PushWorker(lanes.get(lane), settings.clients(), producer,
                        providers.getOrDefault(lane, Map.of()), registry, governor, index, checks);
                worker.start();
                workers.add(worker);
                owned.add(worker);
            }
        }
    }

    /**
     * How long receipts are kept: the longest TTL of the pushes this deployment makes (timeline pushes, and likes' and
     * follows', as tuned) plus the lanes' retry horizon, as {@code tuning} adjusts it (a longer retention, say).
     *
     * @throws IllegalArgumentException if the tuned retention is shorter than that
     */
    static ReceiptsConfig receipts(Tuning tuning, java.util.Collection<WorkerConfig> lanes) {
        Duration timeline = tuning.topology().apply(TopologyConfig.defaults()).timelinePushTtl();
        Duration coordinated = tuning.coordinators().apply(CoordinatorConfig.defaults()).pushTtl();
        Duration longest = timeline.compareTo(coordinated) >= 0 ? timeline : coordinated;
        ReceiptsConfig config = tuning.receipts().apply(ReceiptsConfig.forLanes(longest, lanes.toArray(WorkerConfig[]::new)));
        for (WorkerConfig lane : lanes) {
            if (ReceiptsConfig.retryHorizon(lane).compareTo(config.retryHorizon()) > 0 || config.maxTaskTtl().compareTo(longest) < 0) {
                throw new IllegalArgumentException("receipts tuned to " + config + ", but the pushes live up to " + longest
                        + " and the " + lane.lane() + " lane's retries wait up to " + ReceiptsConfig.retryHorizon(lane));
            }
        }
        return config;
    }

    /**
     * The coordinators: their own Kafka Streams application (own consumer group, state and transactions), exactly-once
     * with a short commit interval.
     */
    private KafkaStreams startCoordinators(Settings settings, Replication replication, MeterRegistry registry) {
        Map<String, Object> overrides = new HashMap<>(settings.clientConfig());
        overrides.putAll(CoordinatorTopology.requiredOverrides(settings.coordinatorCommitInterval().toMillis()));
        StreamsSettings streamsSettings = new StreamsSettings(CoordinatorTopology.DEFAULT_APPLICATION_ID, settings.bootstrapServers(),
                settings.stateDir(), true, replication, overrides);
        // Push tasks go to the high lane at once; each commit waits for them (closed after the app, which flushes it).
        EarlyHighLane early = new EarlyHighLane();
        owned.add(early);
        CoordinatorConfig config = tuning.coordinators().apply(CoordinatorConfig.defaults().withMeterRegistry(registry));
        return startStreams(CoordinatorTopology.build(config, early), streamsSettings.toProperties(), early, "the coordinators",
                CoordinatorMetrics.DEAD_LETTERS, registry);
    }

    /**
     * Starts a Streams application and waits until it runs; closed with the pipeline. A record that makes a processor
     * throw is dead-lettered and skipped ({@link PoisonRecordHandler}, counted in {@code deadLetterMetric}); a stream
     * thread that dies is replaced, within {@link ThreadReplacements}' bound, beyond which the application shuts down
     * and {@link #fatal()} says so.
     */
    private KafkaStreams startStreams(Topology topology, Properties props, String what, String deadLetterMetric, MeterRegistry registry) {
        return startStreams(topology, props, null, what, deadLetterMetric, registry);
    }

    /** As above, with the app's Kafka clients made by {@code clients} (null: Kafka Streams' own). */
    private KafkaStreams startStreams(Topology topology, Properties props, KafkaClientSupplier clients, String what,
                                     String deadLetterMetric, MeterRegistry registry) {
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, PoisonRecordHandler.class);
        props.put(PoisonRecordHandler.METRIC_CONFIG, deadLetterMetric);
        props.put(PoisonRecordHandler.REGISTRY_CONFIG, registry);
        KafkaStreams app = clients == null ? new KafkaStreams(topology, props) : new KafkaStreams(topology, props, clients);
        app.setUncaughtExceptionHandler(uncaughtHandler(what, replacements.get()));
        return started(app, what);
    }

    /** What {@code app} does when a stream thread dies: {@code replacements} decides; each failure and the end are logged. */
    static StreamsUncaughtExceptionHandler uncaughtHandler(String what, ThreadReplacements replacements) {
        return error -> {
            ThreadReplacements.Decision decision = replacements.failed(error);
            if (decision instanceof ThreadReplacements.Replace replace) {
                log.error("a stream thread of {} failed; replacing it ({} within {})", what, replace.recent(),
                        ThreadReplacements.DEFAULT_WINDOW, error);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            ThreadReplacements.ShutDown shutDown = (ThreadReplacements.ShutDown) decision;
            if (shutDown.first()) {
                log.error("a stream thread of {} failed and is not replaced: {}; shutting {} down, the process is to exit "
                        + "so that its supervisor restarts it", what, shutDown.reason(), what, error);
            }
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        };
    }

    /** Starts {@code app} and waits until it runs; closed with the pipeline. */
    private KafkaStreams started(KafkaStreams app, String what) {
        CountDownLatch running = new CountDownLatch(1);
        app.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        app.start();
        // Leave the group on close. Kafka Streams' classic members stay in it by default, so a restarted process (or the
        // other instances) would wait out the old members' session timeout, 45 s, with those tasks unprocessed: every
        // like on their partitions 45 s late after each deploy. Leaving hands the tasks over at once.
        owned.add(() -> app.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30))));
        await(running, Duration.ofSeconds(120), what + " to reach RUNNING");
        return app;
    }

    /**
     * The workers' producer (receipts, retry records, dead letters, token invalidations): idempotent, {@code acks=all},
     * linger 5 ms, and no compression: its batches are small (a receipt is about 200 bytes, one per push, spread over
     * the receipts partitions), so lz4 saved little and cost CPU on both sides (the broker decompresses every batch it
     * validates), on a path where CPU, not the network, is the bound.
     */
    public static Map<String, Object> producerConfig(Map<String, Object> clients) {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, StreamsSettings.MAX_REQUEST_BYTES);
        return config;
    }

    /**
     * Why this pipeline cannot go on (for {@code /health/live}), or null while it can: a worker that failed (its poll
     * loop ended; see {@link PushWorker#failure()}), or the topology or the coordinators in {@code ERROR} or stopped
     * by themselves. Null once {@link #close()} has begun: a pipeline being closed is not failing.
     */
    public String fatal() {
        if (closing) {
            return null;
        }
        return fatal(streams == null ? null : streams.state(), coordinators == null ? null : coordinators.state(),
                workers.stream().map(PushWorker::failure).toList());
    }

    /** {@link #fatal()}'s decision, from what it reads (a null state: no such role). */
    static String fatal(KafkaStreams.State topology, KafkaStreams.State coordinators, List<Optional<String>> workerFailures) {
        for (Optional<String> failure : workerFailures) {
            if (failure.isPresent()) {
                return "the " + failure.get();
            }
        }
        if (isDead(topology)) {
            return "the topology is " + topology;
        }
        if (isDead(coordinators)) {
            return "the coordinators are " + coordinators;
        }
        return null;
    }

    /** A Streams application in one of these states never runs again: only a new process brings it back. */
    private static boolean isDead(KafkaStreams.State state) {
        return state != null && Stream.of(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR,
                KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING).anyMatch(state::equals);
    }

    /**
     * Why this pipeline is not ready to serve (for {@code /health/ready}), or null when every role is running: the
     * {@linkplain #fatal() fatal} reason if there is one, else the role not running (yet, or again: a Streams application
     * rebalancing after a broker came back, a worker retrying a broker failure).
     */
    public String notReady() {
        String fatal = fatal();
        if (fatal != null) {
            return fatal;
        }
        if (streams != null && streams.state() != KafkaStreams.State.RUNNING) {
            return "the topology is " + streams.state();
        }
        if (coordinators != null && coordinators.state() != KafkaStreams.State.RUNNING) {
            return "the coordinators are " + coordinators.state();
        }
        // RUNNING says nothing while the broker is away (the threads' polls just return nothing): their heartbeats do.
        Optional<String> overdue = overdue(streams);
        if (overdue.isPresent()) {
            return "the topology: " + overdue.get();
        }
        overdue = overdue(coordinators);
        if (overdue.isPresent()) {
            return "the coordinators: " + overdue.get();
        }
        for (PushWorker worker : workers) {
            Optional<String> degraded = worker.degraded();
            if (degraded.isPresent()) {
                return "the " + degraded.get();
            }
            try {
                if (!worker.awaitAssignment(Duration.ZERO)) {
                    return "a worker has no partitions yet";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }

    private Optional<String> overdue(KafkaStreams app) {
        return app == null ? Optional.empty() : GroupHeartbeat.of(app.metrics(), sessionTimeout).flatMap(GroupHeartbeat::overdue);
    }

    /** Waits until every worker has its first partition assignment. */
    public void awaitWorkersAssigned(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        for (PushWorker worker : workers) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || !worker.awaitAssignment(left)) {
                throw new IllegalStateException("workers got no partitions within " + timeout);
            }
        }
    }

    private static void await(CountDownLatch latch, Duration timeout, String what) {
        try {
            if (!latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + what, e);
        }
    }

    @Override
    public void close() {
        closing = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed", owned.get(i), e);
            }
        }
        owned.clear();
    }
}
