package io.pushline.localkafka;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller, {@code node.id=1}) running as a child JVM
 * process, for {@code pushline demo} and local development. It listens on 127.0.0.1 only.
 *
 * <p>Lifecycle: {@link #builder()} → {@link Builder#build()} (validates) → {@link #start()} (formats the storage on
 * first use, launches {@code kafka.Kafka}, waits until the broker serves clients) → {@link #close()} (SIGTERM, then
 * a forced kill after {@value #SHUTDOWN_TIMEOUT_SECONDS}s). A JVM shutdown hook closes it too, so Ctrl-C on the demo
 * stops the broker. An instance starts once; to restart, build a new one on the same data dir: its topics and
 * records are kept.
 *
 * <p>Data dir layout: {@code server.properties}, {@code logs/} (Kafka's data), {@code broker.pid} while running,
 * {@code broker.log} (the child's stdout and stderr; WARN and above), generated logging configs and a classpath
 * argument file; under SCRAM also {@code broker-scram.secret}, the broker's own password (owner-only, like
 * {@code server.properties}, which may hold passwords). A pid file naming a live broker makes {@link #start()} refuse;
 * a stale one is logged and replaced.
 *
 * <p>The child runs {@code java -Xmx<heap> -XX:+UseG1GC -Djava.awt.headless=true @<classpath-argfile> kafka.Kafka
 * server.properties} with {@link Builder#classpath(String)}, by default this JVM's {@code java.class.path}, which must
 * contain {@code org.apache.kafka:kafka_2.13} and an SLF4J provider (logback in Pushline). That holds for the
 * application's uber jar and for Surefire.
 *
 * <p>Security: by default the client listener is PLAINTEXT. {@link Builder#security(BrokerSecurity)} makes it require
 * SASL/SCRAM-SHA-512 (in the clear or over TLS) or client certificates; the broker then uses the same listener to
 * talk to itself, and {@link #clientConfig()} gives the settings of its own principal. With
 * {@link BrokerSecurity#withAuthorizer()} it also enforces ACLs, with only its own principals as super users.
 *
 * <p>Thread-safety: call {@link #start()} once, from one thread; {@link #close()} may be called from any thread, any
 * number of times.
 */
public final class LocalBroker implements AutoCloseable {

    public static final int DEFAULT_PORT = 19092;
    public static final Path DEFAULT_DATA_DIR = Path.of(".pushline", "kafka");
    public static final String DEFAULT_HEAP = "512m";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);

    /** Named here for the Javadoc of this class and of {@link #close()}; {@link ChildJvm} applies it. */
    static final int SHUTDOWN_TIMEOUT_SECONDS = ChildJvm.SHUTDOWN_TIMEOUT_SECONDS;

    private static final Logger log = LoggerFactory.getLogger(LocalBroker.class);

    /**
     * The broker's lifecycle, as a table of legal moves: NEW → STARTING → RUNNING → CLOSED, and CLOSED from any state
     * (a failed start, a shutdown hook while starting). Anything else is a bug and throws.
     */
    enum State {
        NEW, STARTING, RUNNING, CLOSED;

        /** Whether moving from this state to {@code next} is legal. */
        boolean canMoveTo(State next) {
            return switch (this) {
                case NEW -> next == STARTING || next == CLOSED;
                case STARTING -> next == RUNNING || next == CLOSED;
                case RUNNING -> next == CLOSED;
                case CLOSED -> false;
            };
        }

        /** {@code next}, if moving there is legal; otherwise an {@link IllegalStateException} naming both states. */
        State moveTo(State next) {
            if (!canMoveTo(next)) {
                throw new IllegalStateException("illegal broker state change " + this + " -> " + next);
            }
            return next;
        }
    }

    private final int requestedPort;
    private final int requestedControllerPort;
    private final Path dataDir;
    private final Path logFile;
    private final Duration startTimeout;
    private final boolean ownShutdownHook;
    private final Map<String, String> extraConfig;
    private final BrokerSecurity security;
    private final String classpath;
    private final ChildJvm jvm;

    private final Object lock = new Object();
    private State state = State.NEW;
    private Process process;
    private Thread shutdownHook;
    private int port;
    private int controllerPort;
    /** The broker's own SCRAM password, under SCRAM; read at start. */
    private volatile String brokerPassword;

    private LocalBroker(Builder b, int controllerPort, Path dataDir, Path logFile) {
        this.requestedPort = b.port;
        this.requestedControllerPort = controllerPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.startTimeout = b.startTimeout;
        this.ownShutdownHook = b.shutdownHook;
        this.extraConfig = Map.copyOf(b.extraConfig);
        this.security = b.security;
        this.classpath = absoluteClasspath(b.classpath);
        this.jvm = new ChildJvm(b.javaExecutable.toAbsolutePath(), b.heap, dataDir, logFile);
    }

    /** The child runs in the data dir, so relative entries (java -cp app.jar) must be resolved here first. */
    static String absoluteClasspath(String classpath) {
        StringJoiner absolute = new StringJoiner(File.pathSeparator);
        for (String entry : classpath.split(Pattern.quote(File.pathSeparator))) {
            if (!entry.isBlank()) {
                absolute.add(Path.of(entry).toAbsolutePath().normalize().toString());
            }
        }
        return absolute.toString();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats the data dir if it is new, launches the broker and waits until it serves clients, all within the start
     * timeout.
     *
     * @return this broker, running
     * @throws LocalBrokerException if a port is taken, an earlier broker still runs on the data dir, the child died
     *     (the message quotes the end of its log) or it was not ready in time (it is stopped again)
     * @throws IllegalStateException if called twice
     */
    public LocalBroker start() {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("start() may be called once; this broker is " + state.name().toLowerCase(java.util.Locale.ROOT));
            }
            state = state.moveTo(State.STARTING);
        }
        long began = System.nanoTime();
        long deadline = began + startTimeout.toNanos();
        try {
            createDirectories();
            EarlierBroker.refuseIfRunning(dataDir);
            choosePorts();
            if (security.usesScram()) {
                brokerPassword = BrokerCredential.loadOrCreate(dataDir);
            }
            writeFiles();
            jvm.format(security, brokerPassword, startTimeout, deadline);
            BrokerReadiness readiness = launch();
            readiness.awaitReady(deadline);
            readiness.createScramUsers(deadline);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        synchronized (lock) {
            if (state != State.STARTING) { // closed meanwhile, e.g. by the shutdown hook
                throw new LocalBrokerException("the broker was closed while it was starting");
            }
            state = state.moveTo(State.RUNNING);
        }
        log.info("Kafka broker ready on {} ({}, pid {}, data dir {}) in {} ms", bootstrapServers(), security.protocol().name,
                pid(), dataDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        return this;
    }

    /** {@code 127.0.0.1:<port>}; with port 0, the port chosen at start. */
    public String bootstrapServers() {
        requireStarted();
        return BrokerFiles.HOST + ":" + port;
    }

    /**
     * {@code bootstrap.servers} and the security settings of the broker's own principal
     * ({@value BrokerSecurity#BROKER_USER} under SCRAM, the broker's certificate under mutual TLS): an administrator's client
     * config, for tools and tests. It holds secrets: never log it. A fresh mutable copy.
     */
    public Map<String, Object> clientConfig() {
        requireStarted();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.putAll(security.clientConfig(brokerPassword));
        return config;
    }

    /** What the client listener requires of clients. */
    public BrokerSecurity security() {
        return security;
    }

    /** The broker's process id. */
    public long pid() {
        requireStarted();
        return process.pid();
    }

    /** The absolute data dir. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Stops the broker: SIGTERM for a clean shutdown, a forced kill after {@value #SHUTDOWN_TIMEOUT_SECONDS}s. Does
     * nothing if it is not running; safe to call again and from any thread.
     */
    @Override
    public void close() {
        Process child;
        Thread hook;
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            state = state.moveTo(State.CLOSED);
            child = process;
            hook = shutdownHook;
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or about to, and will find us closed
            }
        }
        if (child != null) {
            ChildJvm.stop(child);
            EarlierBroker.deletePidFileOf(dataDir, child.pid());
        }
    }

    private void requireStarted() {
        synchronized (lock) {
            if (process == null) {
                throw new IllegalStateException("the broker has not been started");
            }
        }
    }

    private void createDirectories() {
        try {
            Files.createDirectories(dataDir);
            Path logParent = logFile.getParent();
            if (logParent != null) {
                Files.createDirectories(logParent);
            }
        } catch (IOException e) {
            throw new LocalBrokerException("cannot create the data dir " + dataDir + ": " + e, e);
        }
    }

    private void choosePorts() {
        if (requestedPort != 0 && !Ports.isFree(requestedPort)) {
            throw new LocalBrokerException("port " + requestedPort + " on " + BrokerFiles.HOST + " is already in use (is"
                    + " another broker running? use --kafka-port to choose another)");
        }
        if (requestedControllerPort != 0 && !Ports.isFree(requestedControllerPort)) {
            throw new LocalBrokerException("controller port " + requestedControllerPort + " on " + BrokerFiles.HOST
                    + " is already in use (is another broker running? use --kafka-port to choose another; the"
                    + " controller listens on the port after it)");
        }
        port = requestedPort;
        while (port == 0 || port == requestedControllerPort) {
            port = Ports.free();
        }
        controllerPort = requestedControllerPort;
        while (controllerPort == 0 || controllerPort == port) {
            controllerPort = Ports.free();
        }
    }

    private void writeFiles() {
        try {
            BrokerFiles.writeServerProperties(BrokerFiles.serverProperties(dataDir),
                    BrokerFiles.serverConfig(dataDir, port, controllerPort, security, brokerPassword, extraConfig));
            BrokerFiles.writeLoggingConfigs(dataDir);
            BrokerFiles.writeClasspathArgFile(BrokerFiles.classpathArgFile(dataDir), classpath);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the broker's files into " + dataDir + ": " + e, e);
        }
    }

    /** Launches the broker; returns what waits for it to be ready, which watches this very child. */
    private BrokerReadiness launch() {
        List<String> command = jvm.brokerCommand();
        long logOffset = jvm.appendBanner("starting the broker on " + BrokerFiles.HOST + ":" + port);
        Thread hook = new Thread(this::close, "pushline-local-broker-shutdown");
        synchronized (lock) {
            if (state != State.STARTING) {
                throw new LocalBrokerException("the broker was closed while it was starting");
            }
            // Registered before the child exists, so Ctrl-C at any moment from here on stops it.
            if (ownShutdownHook) {
                Runtime.getRuntime().addShutdownHook(hook);
                shutdownHook = hook;
            }
            process = jvm.spawn(command);
        }
        try {
            EarlierBroker.writePid(dataDir, process.pid());
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the pid file " + BrokerFiles.pidFile(dataDir) + ": " + e, e);
        }
        return new BrokerReadiness(jvm, process, logOffset, port, security, brokerPassword, startTimeout);
    }

    @Override
    public String toString() {
        return "LocalBroker[" + BrokerFiles.HOST + ":" + (port == 0 ? requestedPort : port) + ", " + dataDir + "]";
    }

    /** Builds a {@link LocalBroker}; {@link #build()} checks every value and names the one that is wrong. */
    public static final class Builder {
        private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");
        private static final int DEFAULT_CONTROLLER_PORT = -1;

        private int port = DEFAULT_PORT;
        private int controllerPort = DEFAULT_CONTROLLER_PORT;
        private Path dataDir = DEFAULT_DATA_DIR;
        private String heap = DEFAULT_HEAP;
        private Path logFile;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private boolean shutdownHook = true;
        private final Map<String, String> extraConfig = new LinkedHashMap<>();
        private BrokerSecurity security = BrokerSecurity.plaintext();
        private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
        private String classpath = System.getProperty("java.class.path");

        private Builder() {}

        /** Client port, default {@value LocalBroker#DEFAULT_PORT}; 0 picks a free port at start. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Controller port; default the client port + 1, or a free port when the client port is 0. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /** Default {@code ./.pushline/kafka}. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** The child's maximum heap, as for {@code -Xmx}; default {@value LocalBroker#DEFAULT_HEAP}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** Where the child's output goes (appended); default {@code <dataDir>/broker.log}. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        /**
         * Whether the broker registers its own JVM shutdown hook (default true). JVM shutdown hooks run concurrently:
         * an owner that must stop its Kafka clients before the broker (to drain and commit) turns this off and closes
         * the broker from its own hook, last.
         */
        public Builder shutdownHook(boolean shutdownHook) {
            this.shutdownHook = shutdownHook;
            return this;
        }

        /** Bound on formatting plus startup; default 60 s. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /** Further broker settings, added to (and overriding) the defaults; the listener and storage keys are ours. */
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

        /**
         * What the client listener requires of clients; default {@link BrokerSecurity#plaintext()}. A SCRAM broker
         * needs a data dir formatted with SCRAM (a new one, or one a SCRAM broker formatted before).
         */
        public Builder security(BrokerSecurity security) {
            this.security = Objects.requireNonNull(security, "security");
            return this;
        }

        /** Default {@code ${java.home}/bin/java}. */
        public Builder javaExecutable(Path javaExecutable) {
            this.javaExecutable = javaExecutable;
            return this;
        }

        /** The child's classpath; default this JVM's {@code java.class.path}. Must contain kafka_2.13. */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /**
         * Validates and builds an unstarted broker.
         *
         * @throws IllegalArgumentException naming the field and the bad value
         */
        public LocalBroker build() {
            requirePort("port", port);
            int controller = controllerPort;
            if (controller == DEFAULT_CONTROLLER_PORT) {
                controller = port == 0 ? 0 : port + 1;
                if (controller > 65_535) {
                    throw new IllegalArgumentException("controllerPort defaults to port + 1 = " + controller
                            + ", which is not a port; set controllerPort explicitly");
                }
            }
            requirePort("controllerPort", controller);
            if (controller != 0 && controller == port) {
                throw new IllegalArgumentException("controllerPort must differ from port, both were " + port);
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
            Set<String> securityKeys = security.brokerConfig("unused").keySet();
            for (String key : extraConfig.keySet()) {
                if (BrokerFiles.RESERVED_KEYS.contains(key.trim())) {
                    throw new IllegalArgumentException("extraConfig may not set " + key + ", which LocalBroker manages"
                            + " (use port, controllerPort or dataDir)");
                }
                if (securityKeys.contains(key.trim())) {
                    throw new IllegalArgumentException("extraConfig may not set " + key + ", which LocalBroker derives from "
                            + security + " (use security(...))");
                }
            }
            Path absoluteLogFile = logFile == null ? absoluteDataDir.resolve("broker.log") : logFile.toAbsolutePath().normalize();
            return new LocalBroker(this, controller, absoluteDataDir, absoluteLogFile);
        }

        private static void requirePort(String field, int value) {
            if (value < 0 || value > 65_535) {
                throw new IllegalArgumentException(field + " must be between 0 and 65535 (0 picks a free port), was " + value);
            }
        }
    }
}
