package io.pushline.localstack;

import io.pushline.observability.ConsumerLag;
import io.pushline.pipeline.ProcessRole;

import io.pushline.observability.ProcessMetrics;
import io.pushline.pipeline.Pipeline;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pushline.contracts.Replication;
import io.pushline.contracts.Topics;
import io.pushline.localkafka.ClusterNode;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localkafka.LocalCluster;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.topology.StreamsSettings;
import io.pushline.topology.TopologyConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Everything Pushline needs on one machine, started in order and stopped in reverse: a real single-node Kafka broker
 * (a KRaft child process), a local replicated cluster of several (child processes, see {@link LocalCluster}) or an
 * existing cluster, the mock APNs and FCM servers with real providers pointed at them,
 * and every role. The demo and the benchmarks run on it.
 *
 * <p>Not thread-safe to start or close; the accessors are. Must be closed; {@link #close()} is idempotent and safe to
 * call from a shutdown hook.
 */
public final class LocalStack implements AutoCloseable {
    /** Worker group of each lane, as {@link io.pushline.workers.WorkerConfig#defaults} names them. */
    public static final String BULK_GROUP = "pushline-workers-bulk";
    public static final String HIGH_GROUP = "pushline-workers-high";
    public static final String TOPOLOGY_GROUP = StreamsSettings.DEFAULT_APPLICATION_ID;

    /**
     * @param bootstrapServers an existing cluster to use, or null to start a local broker
     * @param kafkaPort        port of the local broker on 127.0.0.1 (0 = any free port); with several brokers, the
     *                         first one's (the others follow it, see {@link LocalCluster})
     * @param dataDir          broker data and state stores
     * @param partitions       partitions of Pushline's topics
     * @param inFlight         pushes in flight per lane
     * @param coordinators     whether to run the coordinators (likes and follows) too; fanout benchmarks leave them out
     * @param coordinatorCommitInterval the coordinators' transaction commit interval
     * @param lagInterval      how often consumer lag is read into the {@code pushline.consumer.lag.*} gauges
     * @param brokers          local brokers to start: 1 is a single {@link LocalBroker}; more is a {@link LocalCluster},
     *                         and Pushline's topics are then replicated min(3, brokers) times (ignored with
     *                         {@code bootstrapServers})
     * @param tuning           the roles' configuration beyond these (delivery policy, retention, ...)
     */
    public record Options(String bootstrapServers, int kafkaPort, Path dataDir, int partitions, int inFlight, boolean coordinators,
                          Duration coordinatorCommitInterval, Duration lagInterval, int brokers, Pipeline.Tuning tuning) {
        /** The coordinators' default commit interval, as {@code pushline run} has it. */
        public static final Duration DEFAULT_COORDINATOR_COMMIT_INTERVAL = Pipeline.Settings.DEFAULT_COORDINATOR_COMMIT_INTERVAL;

        /** Every role. */
        public Options(String bootstrapServers, int kafkaPort, Path dataDir, int partitions, int inFlight) {
            this(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, true, DEFAULT_COORDINATOR_COMMIT_INTERVAL);
        }

        public Options(String bootstrapServers, int kafkaPort, Path dataDir, int partitions, int inFlight, boolean coordinators) {
            this(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, DEFAULT_COORDINATOR_COMMIT_INTERVAL);
        }

        public Options(String bootstrapServers, int kafkaPort, Path dataDir, int partitions, int inFlight, boolean coordinators,
                       Duration coordinatorCommitInterval) {
            this(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, coordinatorCommitInterval,
                    Pipeline.Settings.DEFAULT_LAG_INTERVAL);
        }

        public Options(String bootstrapServers, int kafkaPort, Path dataDir, int partitions, int inFlight, boolean coordinators,
                       Duration coordinatorCommitInterval, Duration lagInterval) {
            this(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, coordinatorCommitInterval, lagInterval, 1,
                    Pipeline.Tuning.NONE);
        }

        /** The same, reading consumer lag every {@code every}. */
        public Options withLagInterval(Duration every) {
            return new Options(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, coordinatorCommitInterval,
                    every, brokers, tuning);
        }

        /** The same, on a local cluster of {@code n} brokers (1 to {@value LocalCluster#MAX_NODES}). */
        public Options withBrokers(int n) {
            return new Options(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, coordinatorCommitInterval,
                    lagInterval, n, tuning);
        }

        /** The same, with the roles configured by {@code tuning}. */
        public Options withTuning(Pipeline.Tuning tuning) {
            return new Options(bootstrapServers, kafkaPort, dataDir, partitions, inFlight, coordinators, coordinatorCommitInterval,
                    lagInterval, brokers, tuning);
        }

        public Options {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(tuning, "tuning");
            if (kafkaPort < 0 || kafkaPort > 65535) {
                throw new IllegalArgumentException("kafkaPort must be between 0 and 65535, was " + kafkaPort);
            }
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
            }
            if (inFlight < 1) {
                throw new IllegalArgumentException("inFlight must be >= 1, was " + inFlight);
            }
            Objects.requireNonNull(lagInterval, "lagInterval");
            if (lagInterval.toMillis() < 100) {
                throw new IllegalArgumentException("lagInterval must be at least 100 ms, was " + lagInterval);
            }
            Objects.requireNonNull(coordinatorCommitInterval, "coordinatorCommitInterval");
            if (coordinatorCommitInterval.toMillis() < 1) {
                throw new IllegalArgumentException("coordinatorCommitInterval must be at least 1 ms, was " + coordinatorCommitInterval);
            }
            if (brokers < 1 || brokers > LocalCluster.MAX_NODES) {
                throw new IllegalArgumentException("brokers must be between 1 and " + LocalCluster.MAX_NODES + ", was " + brokers);
            }
        }
    }

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final PrometheusMeterRegistry registry = ProcessMetrics.newRegistry();
    private String bootstrapServers;
    private MockProviders mocks;
    private Admin admin;
    private volatile long brokerPid = -1;
    private volatile LocalCluster cluster;
    private boolean coordinators;

    private LocalStack() {
    }

    /**
     * Starts everything; on failure, stops what had started and rethrows.
     *
     * @param progress where to say what is starting (one line each), or null for silence
     */
    public static LocalStack start(Options options, PrintStream progress) {
        LocalStack stack = new LocalStack();
        try {
            stack.doStart(options, progress == null ? new PrintStream(PrintStream.nullOutputStream()) : progress);
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void doStart(Options options, PrintStream out) {
        if (options.bootstrapServers() == null && options.brokers() > 1) {
            out.printf("  starting a Kafka cluster of %d brokers (KRaft, child processes) ... ", options.brokers());
            // The stack's owner stops the cluster, last, after the clients have drained and committed.
            LocalCluster started = LocalCluster.builder().nodes(options.brokers()).port(options.kafkaPort())
                    .dataDir(options.dataDir().resolve("kafka")).shutdownHook(false).build();
            synchronized (resources) {
                resources.add(started);
            }
            started.start();
            cluster = started;
            bootstrapServers = started.bootstrapServers();
            out.printf("up (replication factor %d, min ISR %d)%n", started.replicationFactor(), started.minInsyncReplicas());
            for (ClusterNode node : started.nodes()) {
                out.printf("  broker %d at %s (pid %d)%n", node.id(), node.address(), node.pid());
            }
            out.printf("  to try failover, kill one: kill -9 %d (or kill -STOP %d to stall it, kill -CONT to resume);"
                    + " the dashboard shows the rest carry on%n", started.nodes().get(0).pid(), started.nodes().get(0).pid());
        } else if (options.bootstrapServers() == null) {
            out.print("  starting Kafka broker (KRaft, child process) ... ");
            // The stack's owner stops the broker, last, after the clients have drained and committed.
            LocalBroker broker = LocalBroker.builder().port(options.kafkaPort()).controllerPort(0)
                    .dataDir(options.dataDir().resolve("kafka")).shutdownHook(false).build();
            synchronized (resources) {
                resources.add(broker);
            }
            broker.start();
            bootstrapServers = broker.bootstrapServers();
            brokerPid = broker.pid();
            out.printf("up at %s (pid %d)%n", bootstrapServers, broker.pid());
        } else {
            bootstrapServers = options.bootstrapServers();
            out.printf("  using the Kafka cluster at %s%n", bootstrapServers);
        }
        admin = Admin.create(clientConfig());
        add(admin);
        add(ProcessMetrics.bindGc(registry));

        out.print("  starting mock APNs (Pushy MockApnsServer, TLS), fake FCM (HTTP) and a test web push service ... ");
        mocks = MockProviders.start(registry);
        add(mocks);
        out.printf("APNs on 127.0.0.1:%d, FCM at %s, web push at %s%n", mocks.apns.port(), mocks.fcm.baseUrl(),
                mocks.webPush.origin());

        out.print(options.coordinators() ? "  starting router, expansion, coordinators and workers ... "
                : "  starting router, expansion and workers ... ");
        // Auto: the one-broker demo gets RF 1 / min ISR 1, a local cluster of three RF 3 / min ISR 2.
        Pipeline.Settings settings = new Pipeline.Settings(bootstrapServers, Map.of(), options.partitions(), Replication.Choice.AUTO,
                options.dataDir().resolve("streams"), TOPOLOGY_GROUP, options.inFlight(), TopologyConfig.DEFAULT_PAGE_SIZE,
                TopologyConfig.DEFAULT_PAGE_INTERVAL, options.coordinatorCommitInterval(), options.lagInterval());
        coordinators = options.coordinators();
        Set<ProcessRole> roles = ProcessRole.pipelineRoles();
        if (!options.coordinators()) {
            roles.remove(ProcessRole.COORDINATORS);
        }
        add(Pipeline.startLanes(settings, roles, mocks.byLane(), registry, options.tuning()));
        out.println("running");
    }

    /** Closes {@code resource} with the stack, before everything the stack started itself; returns it. */
    public <T extends AutoCloseable> T own(T resource) {
        add(resource);
        return resource;
    }

    private void add(AutoCloseable resource) {
        synchronized (resources) {
            resources.add(resource);
        }
    }

    /** The local broker's process id, or -1 when the stack uses an existing cluster or a local cluster of several. */
    public long brokerPid() {
        return brokerPid;
    }

    /** The local cluster, when the stack started several brokers; its nodes can be killed, stalled and restarted. */
    public Optional<LocalCluster> cluster() {
        return Optional.ofNullable(cluster);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** What a Kafka client needs to reach the stack's cluster (a fresh, mutable copy). */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }

    /** Producer settings of the pipeline's workers: idempotent, {@code acks=all}, linger 5 ms, no compression. */
    public Map<String, Object> producerConfig() {
        return Pipeline.producerConfig(clientConfig());
    }

    public Admin admin() {
        return admin;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public MockApns apns() {
        return mocks.apns;
    }

    public FakeFcm fcm() {
        return mocks.fcm;
    }

    public MockProviders mocks() {
        return mocks;
    }

    /** Pushes accepted by the three mock providers. */
    public long acceptedCount() {
        return mocks.acceptedCount();
    }

    /** Accepted pushes by push id, over the three mock providers (a count above 1 is a duplicate). */
    public Map<String, Integer> acceptedByPushId() {
        return mocks.acceptedByPushId();
    }

    /** Records not yet consumed and committed by {@code group} on {@code topics}. */
    public long lag(String group, List<String> topics) {
        return new ConsumerLag(admin).lag(group, topics);
    }

    /** Waits until the topology has consumed every device, follow and preferences event published so far. */
    public void awaitStateMaterialised(Duration timeout) {
        awaitCaughtUp(admin, TOPOLOGY_GROUP, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS,
                Topics.STATE_DEVICES, Topics.STATE_PREFERENCES), timeout);
    }

    /** Waits until the coordinators have run every event and device they were given (no-op if they are not running). */
    public void awaitCoordinatorsCaughtUp(Duration timeout) {
        if (coordinators) {
            awaitCaughtUp(admin, io.pushline.coordinators.CoordinatorTopology.DEFAULT_APPLICATION_ID,
                    List.of(Topics.EVENTS, Topics.COORDINATOR_INTAKE, Topics.STATE_DEVICES), timeout);
        }
    }

    /** Waits until both lanes' workers have committed every push task. */
    public void awaitWorkersCaughtUp(Duration timeout) {
        awaitCaughtUp(admin, BULK_GROUP, List.of(Topics.PUSH_BULK), timeout);
        awaitCaughtUp(admin, HIGH_GROUP, List.of(Topics.PUSH_HIGH), timeout);
    }

    /**
     * Waits until {@code groupId} has consumed everything on {@code topics}, twice in a row (so records produced by the
     * group itself into its own input topics are caught up too), at most {@code timeout}.
     *
     * @throws IllegalStateException on time-out, saying how much lag is left
     */
    public static void awaitCaughtUp(Admin admin, String groupId, Collection<String> topics, Duration timeout) {
        ConsumerLag lag = new ConsumerLag(admin);
        awaitCondition(() -> lag.lag(groupId, topics) == 0 && lag.lag(groupId, topics) == 0, timeout,
                () -> "group " + groupId + " still has " + lag.lag(groupId, topics) + " records of lag on " + topics);
    }

    /**
     * Waits until {@code condition} holds, checking it at growing intervals (20 ms to 500 ms), at most {@code timeout}:
     * the demo's and the benchmarks' own waits. (Tests wait with Awaitility.)
     *
     * @throws IllegalStateException on time-out, with {@code failure}'s description
     */
    public static void awaitCondition(BooleanSupplier condition, Duration timeout, Supplier<String> failure) {
        Instant deadline = Instant.now().plus(timeout);
        long pauseMillis = 20;
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("timed out after " + timeout + ": " + failure.get());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(pauseMillis);   // polling interval of a bounded wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            pauseMillis = Math.min(500, pauseMillis * 2);
        }
    }

    /**
     * Records on a topic, read to its end with {@code read_committed}. End offsets alone over-count: transactional
     * writers (the topology runs exactly-once) leave commit markers that take offsets but are no records.
     */
    public long countRecords(String topic, Duration timeout) {
        Map<String, Object> config = clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long count = 0;
            Instant deadline = Instant.now().plus(timeout);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + timeout);
                }
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    /** Stops the roles (draining in-flight pushes), the mock providers, and last the broker. */
    @Override
    public void close() {
        synchronized (resources) {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    System.err.println("  closing " + resources.get(i).getClass().getSimpleName() + " failed: " + e);
                }
            }
            resources.clear();
        }
    }
}
