package io.pushline.localkafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real replicated Kafka cluster on this machine, for {@code pushline demo --brokers 3} and for tests of broker
 * failures: N nodes (default {@value #DEFAULT_NODES}), each a child JVM running a broker and a controller (KRaft
 * combined mode), all voters of one static quorum ({@code controller.quorum.voters}), on 127.0.0.1. Each
 * {@link ClusterNode} has its own data dir, client port and controller port, and can be killed (SIGKILL), stalled
 * (SIGSTOP) and resumed, stopped cleanly and restarted on the same data dir and ports.
 *
 * <p>Replication: internal topics (offsets, transaction state) and topics created without a replication factor get
 * {@link #replicationFactor()} = min(3, N) replicas, and {@code min.insync.replicas} defaults to
 * {@link #minInsyncReplicas()} = max(1, RF − 1): with 3 nodes, RF 3 and min ISR 2, so one node can be down while
 * {@code acks=all} writes (and transactions) go on. With 1 or 2 nodes a single failure stops writes that need 2
 * replicas; use {@link LocalBroker} for one node.
 *
 * <p>Lifecycle: {@link #builder()} → {@link Builder#build()} (validates) → {@link #start()} (formats each node's data
 * dir with one cluster id on first use, launches every node, waits until all N brokers are registered and unfenced)
 * → {@link #close()} (SIGTERM to every node at once, a forced kill after {@value ChildJvm#SHUTDOWN_TIMEOUT_SECONDS}s).
 * A JVM shutdown hook closes it too, unless {@link Builder#shutdownHook(boolean)} turned it off. A data dir belongs to
 * one cluster size: starting it again with another node count is refused by Kafka (the voters differ).
 *
 * <p>Data dir layout: {@code node-<id>/} per node, each laid out as {@link LocalBroker}'s data dir.
 *
 * <p>Ports: with {@link Builder#port(int) port} P &gt; 0, node i listens for clients on P + i − 1 and for the quorum on
 * P + N + i − 1; with 0 (the default), on free ports chosen at start. A node keeps its ports across restarts.
 *
 * <p>Security: PLAINTEXT only (SCRAM and TLS are {@link LocalBroker}'s).
 *
 * <p>Thread-safety: call {@link #start()} once, from one thread; everything else may be called from any thread.
 *
 * <p>(A little over 500 lines: a third is the {@link Builder}, kept nested as {@link LocalBroker}'s is.)
 */
public final class LocalCluster implements AutoCloseable {

    public static final int DEFAULT_NODES = 3;
    /** More nodes than this are of no use on one machine, and each is a JVM. */
    public static final int MAX_NODES = 9;
    public static final Path DEFAULT_DATA_DIR = Path.of(".pushline", "cluster");
    public static final String DEFAULT_HEAP = "512m";
    /** Longer than a single broker's: N JVMs start at once on the same cores. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);

    private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);

    private final int nodeCount;
    private final int requestedPort;
    private final Path dataDir;
    private final String heap;
    private final Duration startTimeout;
    private final boolean ownShutdownHook;
    private final Map<String, String> extraConfig;
    private final Path javaExecutable;
    private final String classpath;

    private final Object lock = new Object();
    private LocalBroker.State state = LocalBroker.State.NEW;
    private List<ClusterNode> nodes = List.of();
    private Thread shutdownHook;

    private LocalCluster(Builder b, Path dataDir) {
        this.nodeCount = b.nodes;
        this.requestedPort = b.port;
        this.dataDir = dataDir;
        this.heap = b.heap;
        this.startTimeout = b.startTimeout;
        this.ownShutdownHook = b.shutdownHook;
        this.extraConfig = Map.copyOf(b.extraConfig);
        this.javaExecutable = b.javaExecutable.toAbsolutePath();
        this.classpath = LocalBroker.absoluteClasspath(b.classpath);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Replicas of internal topics and the default of new topics: min(3, nodes). */
    public int replicationFactor() {
        return replicationFactor(nodeCount);
    }

    /** The default {@code min.insync.replicas}: max(1, {@link #replicationFactor()} − 1). */
    public int minInsyncReplicas() {
        return Math.max(1, replicationFactor() - 1);
    }

    static int replicationFactor(int nodes) {
        return Math.min(3, nodes);
    }

    /**
     * Formats the data dirs that are new, launches every node and waits until all brokers are registered, within the
     * start timeout.
     *
     * @return this cluster, running
     * @throws LocalBrokerException if a port is taken, an earlier broker still serves a node's data dir, a node died
     *     (the message quotes the end of its log) or the cluster was not ready in time (it is stopped again)
     * @throws IllegalStateException if called twice
     */
    public LocalCluster start() {
        synchronized (lock) {
            if (state != LocalBroker.State.NEW) {
                throw new IllegalStateException("start() may be called once; this cluster is " + state.name().toLowerCase(Locale.ROOT));
            }
            state = state.moveTo(LocalBroker.State.STARTING);
        }
        long began = System.nanoTime();
        long deadline = began + startTimeout.toNanos();
        try {
            List<ClusterNode> created = createNodes(choosePorts());
            synchronized (lock) {
                nodes = created;
            }
            created.forEach(ClusterNode::prepare);
            formatAll(created, existingClusterId(created, dataDir), deadline);
            registerShutdownHook();
            List<BrokerReadiness> readiness = new ArrayList<>();
            for (ClusterNode node : created) {
                readiness.add(node.launch("start()"));
            }
            Set<Integer> ids = created.stream().map(ClusterNode::id).collect(Collectors.toSet());
            for (BrokerReadiness r : readiness) {
                r.awaitReady(deadline, ids);
            }
            created.forEach(ClusterNode::markRunning);
        } catch (RuntimeException e) {
            String exits = exitReports();
            close();
            throw exits.isEmpty() ? e : new LocalBrokerException(e.getMessage() + "\n" + exits, e);
        }
        synchronized (lock) {
            if (state != LocalBroker.State.STARTING) {
                throw new LocalBrokerException("the cluster was closed while it was starting");
            }
            state = state.moveTo(LocalBroker.State.RUNNING);
        }
        log.info("Kafka cluster of {} nodes ready on {} (RF {}, min ISR {}, data dir {}) in {} ms", nodeCount,
                bootstrapServers(), replicationFactor(), minInsyncReplicas(), dataDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        return this;
    }

    /** The nodes, by id (1 to N). */
    public List<ClusterNode> nodes() {
        requireStarted();
        synchronized (lock) {
            return nodes;
        }
    }

    /** Node {@code id}, 1 to N. */
    public ClusterNode node(int id) {
        List<ClusterNode> all = nodes();
        if (id < 1 || id > all.size()) {
            throw new IllegalArgumentException("node id must be between 1 and " + all.size() + ", was " + id);
        }
        return all.get(id - 1);
    }

    /** Every node's address, comma-separated: clients find the cluster through any node that is up. */
    public String bootstrapServers() {
        return nodes().stream().map(ClusterNode::address).collect(Collectors.joining(","));
    }

    /** {@code bootstrap.servers} for a Kafka client (a fresh, mutable map). */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return config;
    }

    /** The absolute data dir, holding {@code node-<id>/} per node. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Waits until every node's broker is registered and unfenced again (after a restart or a resume), at most
     * {@code timeout}; ISRs may still be catching up.
     *
     * @throws LocalBrokerException on time-out, naming the brokers that are missing
     */
    public void awaitAllRegistered(Duration timeout) {
        Set<Integer> expected = nodes().stream().map(ClusterNode::id).collect(Collectors.toCollection(TreeSet::new));
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = clientConfig();
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        Set<Integer> registered = Set.of();
        try (Admin admin = Admin.create(config)) {
            while (true) {
                try {
                    registered = admin.describeCluster().nodes().get(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                            .stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new));
                    if (registered.containsAll(expected)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("Cannot describe the cluster yet: {}", e.toString());
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new LocalBrokerException("only brokers " + registered + " of " + expected + " were registered after " + timeout);
                }
                TimeUnit.MILLISECONDS.sleep(200); // the pace of a bounded wait for the brokers
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while waiting for the brokers " + expected, e);
        }
    }

    /**
     * Stops every node: SIGTERM to all at once (stalled ones are resumed first), a forced kill after
     * {@value ChildJvm#SHUTDOWN_TIMEOUT_SECONDS}s. Does nothing if closed; safe to call again and from any thread.
     */
    @Override
    public void close() {
        List<ClusterNode> all;
        Thread hook;
        synchronized (lock) {
            if (state == LocalBroker.State.CLOSED) {
                return;
            }
            state = state.moveTo(LocalBroker.State.CLOSED);
            all = nodes;
            hook = shutdownHook;
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or about to, and will find us closed
            }
        }
        Map<ClusterNode, Process> children = new LinkedHashMap<>();
        for (ClusterNode node : all) {
            Process child = node.close();
            if (child != null) {
                children.put(node, child);
            }
        }
        ChildJvm.stopAll(List.copyOf(children.values()));
        children.forEach((node, child) -> {
            if (!child.isAlive()) {
                EarlierBroker.deletePidFileOf(node.dataDir(), child.pid());
            }
        });
    }

    private void requireStarted() {
        synchronized (lock) {
            if (nodes.isEmpty()) {
                throw new IllegalStateException("the cluster has not been started");
            }
        }
    }

    /** Client ports, then controller ports: N each, all distinct. */
    private int[] choosePorts() {
        int[] ports = new int[2 * nodeCount];
        if (requestedPort != 0) {
            for (int i = 0; i < ports.length; i++) {
                ports[i] = requestedPort + i;
                if (!Ports.isFree(ports[i])) {
                    throw new LocalBrokerException("port " + ports[i] + " on " + BrokerFiles.HOST + " is already in use (is"
                            + " another broker running? a cluster of " + nodeCount + " nodes from port " + requestedPort
                            + " uses ports " + requestedPort + " to " + (requestedPort + ports.length - 1)
                            + "; use --kafka-port to choose others)");
                }
            }
            return ports;
        }
        Set<Integer> chosen = new LinkedHashSet<>();
        while (chosen.size() < ports.length) {
            chosen.add(Ports.free());
        }
        int i = 0;
        for (int port : chosen) {
            ports[i++] = port;
        }
        return ports;
    }

    private List<ClusterNode> createNodes(int[] ports) {
        StringJoiner voters = new StringJoiner(",");
        for (int id = 1; id <= nodeCount; id++) {
            voters.add(id + "@" + BrokerFiles.HOST + ":" + ports[nodeCount + id - 1]);
        }
        int rf = replicationFactor();
        List<ClusterNode> created = new ArrayList<>();
        for (int id = 1; id <= nodeCount; id++) {
            Path nodeDir = dataDir.resolve("node-" + id);
            int port = ports[id - 1];
            int controllerPort = ports[nodeCount + id - 1];
            Map<String, String> config = BrokerFiles.clusterNodeConfig(nodeDir, id, port, controllerPort, voters.toString(),
                    rf, minInsyncReplicas(), extraConfig);
            created.add(new ClusterNode(id, port, controllerPort, nodeDir, config, classpath, javaExecutable, heap, startTimeout));
        }
        return List.copyOf(created);
    }

    /** The cluster id a node was formatted with before, so that nodes formatted now join it; else a new one. */
    private static String existingClusterId(Collection<ClusterNode> nodes, Path dataDir) {
        Set<String> ids = new TreeSet<>();
        nodes.forEach(node -> BrokerFiles.formattedClusterId(node.dataDir()).ifPresent(ids::add));
        if (ids.size() > 1) {
            throw new LocalBrokerException("the nodes' data dirs under " + dataDir + " belong to different clusters " + ids
                    + "; use a new --data-dir");
        }
        return ids.isEmpty() ? Uuid.randomUuid().toString() : ids.iterator().next();
    }

    /** Formats the new data dirs in parallel: each format is a JVM of its own, and most of the time is its start. */
    private void formatAll(List<ClusterNode> all, String clusterId, long deadline) {
        ExecutorService formatters = Executors.newFixedThreadPool(all.size(), r -> {
            Thread t = new Thread(r, "pushline-local-cluster-format");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> formats = new ArrayList<>();
            for (ClusterNode node : all) {
                formats.add(formatters.submit(() -> node.format(clusterId, deadline)));
            }
            for (Future<?> format : formats) {
                format.get(); // each format is bounded by the deadline itself
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new LocalBrokerException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while formatting the nodes' storage", e);
        } finally {
            formatters.shutdownNow();
        }
    }

    private void registerShutdownHook() {
        if (!ownShutdownHook) {
            return;
        }
        Thread hook = new Thread(this::close, "pushline-local-cluster-shutdown");
        synchronized (lock) {
            if (state != LocalBroker.State.STARTING) {
                throw new LocalBrokerException("the cluster was closed while it was starting");
            }
            // Registered before any node's child exists, so Ctrl-C at any moment from here on stops them.
            Runtime.getRuntime().addShutdownHook(hook);
            shutdownHook = hook;
        }
    }

    private String exitReports() {
        List<ClusterNode> all;
        synchronized (lock) {
            all = nodes;
        }
        return all.stream().map(ClusterNode::exitReport).filter(s -> !s.isEmpty()).collect(Collectors.joining("\n"));
    }

    @Override
    public String toString() {
        return "LocalCluster[" + nodeCount + " nodes, " + dataDir + "]";
    }

    /** Builds a {@link LocalCluster}; {@link #build()} checks every value and names the one that is wrong. */
    public static final class Builder {
        private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");

        private int nodes = DEFAULT_NODES;
        private int port;
        private Path dataDir = DEFAULT_DATA_DIR;
        private String heap = DEFAULT_HEAP;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private boolean shutdownHook = true;
        private final Map<String, String> extraConfig = new LinkedHashMap<>();
        private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
        private String classpath = System.getProperty("java.class.path");

        private Builder() {}

        /** Nodes (each a broker and a controller), 1 to {@value LocalCluster#MAX_NODES}; default {@value LocalCluster#DEFAULT_NODES}. */
        public Builder nodes(int nodes) {
            this.nodes = nodes;
            return this;
        }

        /** First client port (see the class comment for the others); default 0, free ports chosen at start. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Default {@code ./.pushline/cluster}; each node uses {@code node-<id>/} in it. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Each node's maximum heap, as for {@code -Xmx}; default {@value LocalCluster#DEFAULT_HEAP}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** Bound on formatting plus startup of the whole cluster, and on each node's restart; default 120 s. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /** Whether the cluster registers its own JVM shutdown hook (default true); as {@link LocalBroker.Builder#shutdownHook(boolean)}. */
        public Builder shutdownHook(boolean shutdownHook) {
            this.shutdownHook = shutdownHook;
            return this;
        }

        /** Further settings for every node, added to (and overriding) the defaults; the listener and storage keys are ours. */
        public Builder extraConfig(Map<String, String> extraConfig) {
            Objects.requireNonNull(extraConfig, "extraConfig");
            extraConfig.forEach((key, value) -> {
                if (key == null || value == null) {
                    throw new IllegalArgumentException("extraConfig may not contain null keys or values, was " + extraConfig);
                }
            });
            this.extraConfig.putAll(extraConfig);
            return this;
        }

        /** Default {@code ${java.home}/bin/java}. */
        public Builder javaExecutable(Path javaExecutable) {
            this.javaExecutable = javaExecutable;
            return this;
        }

        /** The children's classpath; default this JVM's {@code java.class.path}. Must contain kafka_2.13. */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /**
         * Validates and builds an unstarted cluster.
         *
         * @throws IllegalArgumentException naming the field and the bad value
         */
        public LocalCluster build() {
            if (nodes < 1 || nodes > MAX_NODES) {
                throw new IllegalArgumentException("nodes must be between 1 and " + MAX_NODES + ", was " + nodes);
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be between 0 and 65535 (0 picks free ports), was " + port);
            }
            if (port != 0 && port + 2 * nodes - 1 > 65_535) {
                throw new IllegalArgumentException("port " + port + " leaves no room for the " + 2 * nodes + " ports of "
                        + nodes + " nodes (client and controller ports run up to port + " + (2 * nodes - 1) + ")");
            }
            if (dataDir == null) {
                throw new IllegalArgumentException("dataDir must be set, was null");
            }
            Path absoluteDataDir = dataDir.toAbsolutePath().normalize();
            if (Files.exists(absoluteDataDir) && !Files.isDirectory(absoluteDataDir)) {
                throw new IllegalArgumentException("dataDir must be a directory, was the file " + absoluteDataDir);
            }
            if (heap == null || !HEAP.matcher(heap).matches()) {
                throw new IllegalArgumentException("heap must be a JVM -Xmx size such as 512m or 2g, was '" + heap + "'");
            }
            if (startTimeout == null || startTimeout.isZero() || startTimeout.isNegative()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
            }
            if (javaExecutable == null || !Files.isExecutable(javaExecutable)) {
                throw new IllegalArgumentException("javaExecutable must be an executable file, was " + javaExecutable);
            }
            if (classpath == null || classpath.isBlank()) {
                throw new IllegalArgumentException("classpath must name the jars holding kafka_2.13, was '" + classpath + "'");
            }
            for (String key : extraConfig.keySet()) {
                if (BrokerFiles.RESERVED_KEYS.contains(key.trim())) {
                    throw new IllegalArgumentException("extraConfig may not set " + key + ", which LocalCluster manages"
                            + " (use port or dataDir)");
                }
            }
            return new LocalCluster(this, absoluteDataDir);
        }
    }
}
