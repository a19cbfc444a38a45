package io.pushline.localkafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/** The files LocalBroker (and each node of a LocalCluster) writes into its data dir before launching a child JVM. */
final class BrokerFiles {

    static final String HOST = "127.0.0.1";
    static final int MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

    /** Keys LocalBroker sets itself; extraConfig may not override them, or readiness and the pid logic break. */
    static final Set<String> RESERVED_KEYS = Set.of(
            "process.roles", "node.id", "listeners", "advertised.listeners", "listener.security.protocol.map",
            "inter.broker.listener.name", "controller.listener.names", "controller.quorum.voters",
            "controller.quorum.bootstrap.servers", "log.dirs", "log.dir", "metadata.log.dir");

    private BrokerFiles() {}

    static Path serverProperties(Path dataDir) {
        return dataDir.resolve("server.properties");
    }

    static Path logDir(Path dataDir) {
        return dataDir.resolve("logs");
    }

    /** Written by the storage format; its presence means "formatted, keep the data". */
    static Path metaProperties(Path dataDir) {
        return logDir(dataDir).resolve("meta.properties");
    }

    /** The {@code cluster.id} a data dir was formatted with, if it was. */
    static Optional<String> formattedClusterId(Path dataDir) {
        Path meta = metaProperties(dataDir);
        if (!Files.exists(meta)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot read " + meta + ": " + e, e);
        }
        return Optional.ofNullable(props.getProperty("cluster.id"));
    }

    /** Kafka holds an OS file lock on this file while a broker uses the log dir. */
    static Path lockFile(Path dataDir) {
        return logDir(dataDir).resolve(".lock");
    }

    static Path pidFile(Path dataDir) {
        return dataDir.resolve("broker.pid");
    }

    /** The broker's own SCRAM password (see {@link BrokerCredential}), when it runs with SCRAM. */
    static Path brokerSecretFile(Path dataDir) {
        return dataDir.resolve("broker-scram.secret");
    }

    static Path classpathArgFile(Path dataDir) {
        return dataDir.resolve("broker-classpath.args");
    }

    static Path logbackConfig(Path dataDir) {
        return dataDir.resolve("broker-logback.xml");
    }

    static Path log4j2Config(Path dataDir) {
        return dataDir.resolve("broker-log4j2.properties");
    }

    /** The log cleaner's offset map; see {@link #serverConfig}. */
    static final int DEDUPE_BUFFER_BYTES = 16 * 1024 * 1024;

    static Map<String, String> serverConfig(Path dataDir, int port, int controllerPort, Map<String, String> extraConfig) {
        return serverConfig(dataDir, port, controllerPort, BrokerSecurity.plaintext(), null, extraConfig);
    }

    /**
     * The client listener (named after its protocol) is also the inter-broker listener; the controller listener is
     * PLAINTEXT on loopback, or TLS with client certificates when {@code security} has an authorizer. {@code brokerPassword} is the broker's own SCRAM password.
     */
    static Map<String, String> serverConfig(Path dataDir, int port, int controllerPort, BrokerSecurity security,
                                            String brokerPassword, Map<String, String> extraConfig) {
        Map<String, String> config = nodeConfig(dataDir, 1, port, controllerPort, security, brokerPassword);
        // A single-node dynamic quorum (formatted with --standalone).
        config.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        // Internal topics must fit on one node, or consumer groups and transactions (Streams EOS) fail.
        config.putAll(replicationDefaults(1, 1));
        config.putAll(commonConfig());
        config.putAll(extraConfig);
        return config;
    }

    /**
     * One node of a {@link LocalCluster}: node {@code nodeId}, a voter of the static quorum {@code voters}
     * ({@code id@host:port,...}), with internal topics and new topics replicated {@code replicationFactor} times and
     * {@code minInsyncReplicas} as the default min ISR. PLAINTEXT listeners on loopback.
     */
    static Map<String, String> clusterNodeConfig(Path dataDir, int nodeId, int port, int controllerPort, String voters,
                                                 int replicationFactor, int minInsyncReplicas, Map<String, String> extraConfig) {
        Map<String, String> config = nodeConfig(dataDir, nodeId, port, controllerPort, BrokerSecurity.plaintext(), null);
        config.put("controller.quorum.voters", voters);
        config.putAll(replicationDefaults(replicationFactor, minInsyncReplicas));
        config.put("default.replication.factor", Integer.toString(replicationFactor));
        config.put("min.insync.replicas", Integer.toString(minInsyncReplicas));
        config.putAll(commonConfig());
        config.putAll(extraConfig);
        return config;
    }

    private static Map<String, String> nodeConfig(Path dataDir, int nodeId, int port, int controllerPort,
                                                  BrokerSecurity security, String brokerPassword) {
        String listener = security.listenerName();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", Integer.toString(nodeId));
        String controller = BrokerSecurity.CONTROLLER_LISTENER;
        config.put("listeners", listener + "://" + HOST + ":" + port + "," + controller + "://" + HOST + ":" + controllerPort);
        config.put("advertised.listeners", listener + "://" + HOST + ":" + port + "," + controller + "://" + HOST + ":" + controllerPort);
        config.put("listener.security.protocol.map", listener + ":" + security.protocol().name + "," + controller + ":"
                + security.controllerProtocol().name);
        config.put("inter.broker.listener.name", listener);
        config.put("controller.listener.names", controller);
        config.putAll(security.brokerConfig(brokerPassword));
        config.put("log.dirs", logDir(dataDir).toString());
        return config;
    }

    /** The replication of the internal topics: offsets, transaction state, share-group state. */
    private static Map<String, String> replicationDefaults(int replicationFactor, int minInsyncReplicas) {
        Map<String, String> config = new LinkedHashMap<>();
        String rf = Integer.toString(replicationFactor);
        String minIsr = Integer.toString(minInsyncReplicas);
        config.put("offsets.topic.replication.factor", rf);
        config.put("transaction.state.log.replication.factor", rf);
        config.put("transaction.state.log.min.isr", minIsr);
        config.put("share.coordinator.state.topic.replication.factor", rf);
        config.put("share.coordinator.state.topic.min.isr", minIsr);
        return config;
    }

    private static Map<String, String> commonConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("auto.create.topics.enable", "false");
        // Dead letters carry events of 2 MB.
        config.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        config.put("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        // The log cleaner's offset map is one array of log.cleaner.dedupe.buffer.size (128 MiB by default),
        // allocated at start-up: in a small heap (the tests use 256m) that contiguous humongous allocation
        // failed with OutOfMemoryError once CI's broker restarted after a kill -9. 16 MiB still maps about
        // 600,000 keys per cleaning pass; a bigger compacted topic is just cleaned in more passes.
        config.put("log.cleaner.dedupe.buffer.size", Integer.toString(DEDUPE_BUFFER_BYTES));
        return config;
    }

    static void writeServerProperties(Path file, Map<String, String> config) throws IOException {
        StringBuilder text = new StringBuilder("# Written by Pushline's LocalBroker on every start; edits are overwritten.\n"
                + "# Add settings with LocalBroker.builder().extraConfig(...).\n");
        config.forEach((key, value) -> text.append(escape(key)).append('=').append(escape(value)).append('\n'));
        ownerOnly(file);
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** The file may hold passwords (a SCRAM or TLS broker's): readable by its owner only, where the file system says so. */
    private static void ownerOnly(Path file) throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        if (Files.exists(file)) {
            Files.setPosixFilePermissions(file, ownerOnly);
        } else {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
        }
    }

    /** Properties syntax: only backslashes and line breaks need escaping in what we write. */
    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }

    /** A java launcher @argfile with the classpath, so a long classpath never hits the OS argument limit. */
    static void writeClasspathArgFile(Path file, String classpath) throws IOException {
        String quoted = "\"" + classpath.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        Files.writeString(file, "-cp\n" + quoted + "\n", StandardCharsets.UTF_8);
    }

    /**
     * Kafka 4.3's broker logs through SLF4J to whichever provider the classpath has (logback in Pushline), and its
     * logger-level endpoint uses log4j-core directly. Both get a WARN config writing to stdout, which LocalBroker
     * sends to the log file.
     */
    static void writeLoggingConfigs(Path dataDir) throws IOException {
        Files.writeString(logbackConfig(dataDir), """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by Pushline's LocalBroker: the child broker logs warnings and errors only. -->
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """, StandardCharsets.UTF_8);
        Files.writeString(log4j2Config(dataDir), """
                # Written by Pushline's LocalBroker: the child broker logs warnings and errors only.
                status = warn
                appender.out.type = Console
                appender.out.name = OUT
                appender.out.layout.type = PatternLayout
                appender.out.layout.pattern = %d{ISO8601} %-5p [%t] %c - %m%n
                logger.raft.name = kafka.server.KafkaRaftServer
                logger.raft.level = info
                rootLogger.level = warn
                rootLogger.appenderRef.out.ref = OUT
                """, StandardCharsets.UTF_8);
    }
}
