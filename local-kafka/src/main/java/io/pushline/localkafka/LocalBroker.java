package io.pushline.localkafka;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
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
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    static final int SHUTDOWN_TIMEOUT_SECONDS = 20;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(SHUTDOWN_TIMEOUT_SECONDS);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    /** How long to wait for the process to exit between two readiness probes. */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";

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
    private final String heap;
    private final Path logFile;
    private final Duration startTimeout;
    private final boolean ownShutdownHook;
    private final Map<String, String> extraConfig;
    private final BrokerSecurity security;
    private final Path javaExecutable;
    private final String classpath;

    private final Object lock = new Object();
    private State state = State.NEW;
    private Process process;
    private Thread shutdownHook;
    private int port;
    private int controllerPort;
    /** The broker's own SCRAM password, under SCRAM; read at start. */
    private volatile String brokerPassword;
    /** Where the running child's output starts in the log file. */
    private long logOffset;

    private LocalBroker(Builder b, int controllerPort, Path dataDir, Path logFile) {
        this.requestedPort = b.port;
        this.requestedControllerPort = controllerPort;
        this.dataDir = dataDir;
        this.heap = b.heap;
        this.logFile = logFile;
        this.startTimeout = b.startTimeout;
        this.ownShutdownHook = b.shutdownHook;
        this.extraConfig = Map.copyOf(b.extraConfig);
        this.security = b.security;
        this.javaExecutable = b.javaExecutable.toAbsolutePath();
        this.classpath = absoluteClasspath(b.classpath);
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
            format(deadline);
            launch();
            awaitReady(deadline);
            createScramUsers(deadline);
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
            stop(child);
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

    /** Formats a new data dir; a formatted one (meta.properties present) keeps its data. */
    private void format(long deadline) {
        if (Files.exists(BrokerFiles.metaProperties(dataDir))) {
            log.info("Data dir {} is already formatted; keeping its topics", dataDir);
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        List<String> command = javaCommand(STORAGE_TOOL, "format", "--cluster-id", clusterId,
                "--config", BrokerFiles.serverProperties(dataDir).toString(), "--standalone");
        if (security.usesScram()) {
            // The broker authenticates to itself on its first connection, before any Admin call could create a user.
            command.addAll(List.of("--add-scram", BrokerCredential.addScramArgument(BrokerSecurity.BROKER_USER, brokerPassword)));
        }
        long logOffset = appendBanner("formatting " + dataDir + " as cluster " + clusterId);
        Process formatter = spawn(command);
        try {
            if (!formatter.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
                formatter.destroyForcibly();
                throw new LocalBrokerException("formatting the storage in " + dataDir + " took longer than the start"
                        + " timeout of " + startTimeout.toSeconds() + "s; " + LogTail.describe(logFile, logOffset));
            }
        } catch (InterruptedException e) {
            formatter.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while formatting the storage in " + dataDir, e);
        }
        if (formatter.exitValue() != 0) {
            throw new LocalBrokerException("formatting the storage in " + dataDir + " failed (exit code "
                    + formatter.exitValue() + "); " + LogTail.describe(logFile, logOffset) + classpathHint(logOffset));
        }
    }

    private void launch() {
        List<String> command = javaCommand(MAIN_CLASS, BrokerFiles.serverProperties(dataDir).toString());
        logOffset = appendBanner("starting the broker on " + BrokerFiles.HOST + ":" + port);
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
            process = spawn(command);
        }
        try {
            EarlierBroker.writePid(dataDir, process.pid());
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the pid file " + BrokerFiles.pidFile(dataDir) + ": " + e, e);
        }
    }

    private void awaitReady(long deadline) {
        InetSocketAddress address = new InetSocketAddress(BrokerFiles.HOST, port);
        // Wait for the listener first: an admin client pointed at a closed port logs a warning per retry.
        while (!accepts(address)) {
            pace(deadline);
        }
        Admin admin = Admin.create(probeConfig(security.clientConfig(brokerPassword), "pushline-local-broker-probe"));
        try {
            while (true) {
                try {
                    // Lists unfenced brokers only: non-empty means the broker registered and serves clients.
                    Collection<Node> nodes = admin.describeCluster().nodes()
                            .get(Math.min(remaining(deadline), TimeUnit.SECONDS.toNanos(5)), TimeUnit.NANOSECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("Broker not ready yet: {}", e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LocalBrokerException("interrupted while waiting for the broker to start", e);
                }
                pace(deadline);
            }
        } finally {
            admin.close(Duration.ofSeconds(5)); // bounded: the broker may have gone away
        }
    }

    private Map<String, Object> probeConfig(Map<String, Object> securityConfig, String clientId) {
        Map<String, Object> config = new LinkedHashMap<>(securityConfig);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BrokerFiles.HOST + ":" + port);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return config;
    }

    /**
     * Creates (or updates) the SCRAM users through the Admin API, as the broker's own principal, and waits until each
     * can log in: the broker learns a credential from the metadata log a moment after the controller committed it.
     */
    private void createScramUsers(long deadline) {
        Map<String, String> users = security.scramUsers();
        if (users.isEmpty()) {
            return;
        }
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        ScramCredentialInfo info = new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, BrokerSecurity.SCRAM_ITERATIONS);
        users.forEach((name, password) -> upserts.add(new UserScramCredentialUpsertion(name, info, password)));
        Admin admin = Admin.create(probeConfig(security.clientConfig(brokerPassword), "pushline-local-broker-users"));
        try {
            admin.alterUserScramCredentials(upserts).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new LocalBrokerException("cannot create the SCRAM users " + users.keySet() + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new LocalBrokerException("creating the SCRAM users " + users.keySet() + " took longer than the start"
                    + " timeout of " + startTimeout.toSeconds() + "s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while creating the SCRAM users", e);
        } finally {
            admin.close(Duration.ofSeconds(5));
        }
        users.forEach((name, password) -> awaitLogin(name, password, deadline));
    }

    private void awaitLogin(String user, String password, long deadline) {
        Map<String, Object> config = new LinkedHashMap<>(security.clientConfig(brokerPassword));
        config.putAll(BrokerSecurity.scramClientConfig(user, password));
        Admin admin = Admin.create(probeConfig(config, "pushline-local-broker-login-probe"));
        try {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(Math.min(remaining(deadline), TimeUnit.SECONDS.toNanos(5)), TimeUnit.NANOSECONDS);
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("SCRAM user {} cannot log in yet: {}", user, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LocalBrokerException("interrupted while waiting for the SCRAM user " + user, e);
                }
                pace(deadline);
            }
        } finally {
            admin.close(Duration.ofSeconds(5));
        }
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits up to {@link #PROBE_INTERVAL} for the child to exit; fails if it did or the deadline has passed. */
    private void pace(long deadline) {
        Process child = process;
        if (remaining(deadline) <= 0) {
            throw new LocalBrokerException("the Kafka broker did not become ready within " + startTimeout.toSeconds()
                    + "s (raise the start timeout on a slow machine; the broker is stopped again); "
                    + LogTail.describe(logFile, logOffset));
        }
        try {
            child.onExit().get(Math.min(PROBE_INTERVAL.toNanos(), remaining(deadline)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return; // still alive: probe again
        } catch (ExecutionException e) {
            throw new LocalBrokerException("cannot watch the broker process: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while waiting for the broker to start", e);
        }
        throw new LocalBrokerException("the Kafka broker exited during start (exit code " + child.exitValue() + "); "
                + LogTail.describe(logFile, logOffset) + classpathHint(logOffset));
    }

    private String classpathHint(long offset) {
        boolean missing = LogTail.lastLines(logFile, offset, LogTail.LINES).stream()
                .anyMatch(line -> line.contains("Could not find or load main class") || line.contains("ClassNotFoundException: kafka."));
        return missing
                ? "\nThe classpath given to the broker does not contain Kafka's broker (org.apache.kafka:kafka_2.13);"
                        + " pass it with LocalBroker.builder().classpath(...)."
                : "";
    }

    private List<String> javaCommand(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+UseG1GC");
        command.add("-Djava.awt.headless=true");
        command.add("-Dlogback.configurationFile=" + BrokerFiles.logbackConfig(dataDir));
        command.add("-Dlog4j2.configurationFile=" + BrokerFiles.log4j2Config(dataDir));
        command.add("@" + BrokerFiles.classpathArgFile(dataDir));
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    private Process spawn(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        try {
            return builder.start();
        } catch (IOException e) {
            throw new LocalBrokerException("cannot launch " + javaExecutable + ": " + e.getMessage(), e);
        }
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** Appends a separator line to the log file and returns the offset where this child's output starts. */
    private long appendBanner(String what) {
        try {
            Files.writeString(logFile, "---- " + Instant.now() + " pushline LocalBroker: " + what + " ----\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the log file " + logFile + ": " + e, e);
        }
        return LogTail.size(logFile);
    }

    private void stop(Process child) {
        if (!child.isAlive()) {
            return;
        }
        log.info("Stopping the Kafka broker (pid {})", child.pid());
        long began = System.nanoTime();
        child.destroy(); // SIGTERM: Kafka shuts down cleanly
        if (waitForExit(child, SHUTDOWN_TIMEOUT)) {
            log.info("Kafka broker stopped (pid {}, exit code {}) in {} ms", child.pid(), child.exitValue(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        } else {
            log.warn("The Kafka broker (pid {}) did not stop within {}s; killing it", child.pid(), SHUTDOWN_TIMEOUT.toSeconds());
            child.destroyForcibly();
            if (!waitForExit(child, KILL_TIMEOUT)) {
                log.error("The Kafka broker (pid {}) survived a forced kill; stop it with `kill -9 {}`", child.pid(), child.pid());
            }
        }
    }

    private static boolean waitForExit(Process child, Duration timeout) {
        try {
            return child.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !child.isAlive();
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
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
