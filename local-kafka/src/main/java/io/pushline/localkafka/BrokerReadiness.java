package io.pushline.localkafka;

import static io.pushline.localkafka.ChildJvm.remaining;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last steps of {@link LocalBroker#start()}, once the child is launched: probes until the broker serves clients,
 * then creates the SCRAM users and waits until each can log in. Between two probes it waits for the child to exit,
 * so a broker that dies fails the start at once, quoting its log, instead of at the deadline.
 *
 * <p>One instance per launched child; used by the starting thread only.
 */
final class BrokerReadiness {

    /** How long to wait for the process to exit between two readiness probes. */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);

    // LocalBroker's logger, so the log lines keep the logger name they had before this class was split out.
    private static final Logger log = LoggerFactory.getLogger(LocalBroker.class);

    private final ChildJvm jvm;
    private final Process child;
    /** Where the child's output starts in the log file. */
    private final long logOffset;
    private final int port;
    private final BrokerSecurity security;
    /** The broker's own SCRAM password, under SCRAM; else null. */
    private final String brokerPassword;
    /** For messages only: the deadlines are passed in. */
    private final Duration startTimeout;

    BrokerReadiness(ChildJvm jvm, Process child, long logOffset, int port, BrokerSecurity security,
            String brokerPassword, Duration startTimeout) {
        this.jvm = jvm;
        this.child = child;
        this.logOffset = logOffset;
        this.port = port;
        this.security = security;
        this.brokerPassword = brokerPassword;
        this.startTimeout = startTimeout;
    }

    void awaitReady(long deadline) {
        awaitReady(deadline, Set.of());
    }

    /**
     * Waits until this child's listener serves clients and, through it, the cluster lists every broker of
     * {@code brokerIds} as registered and unfenced (for a {@link LocalCluster} node: the whole cluster, or the node
     * itself after a restart).
     */
    void awaitReady(long deadline, Set<Integer> brokerIds) {
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
                    if (!nodes.isEmpty() && nodes.stream().map(Node::id).collect(Collectors.toSet()).containsAll(brokerIds)) {
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
    void createScramUsers(long deadline) {
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
        if (remaining(deadline) <= 0) {
            throw new LocalBrokerException("the Kafka broker did not become ready within " + startTimeout.toSeconds()
                    + "s (raise the start timeout on a slow machine; the broker is stopped again); "
                    + LogTail.describe(jvm.logFile(), logOffset));
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
                + LogTail.describe(jvm.logFile(), logOffset) + jvm.classpathHint(logOffset));
    }
}
