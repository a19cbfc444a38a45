package io.pushline.testkit;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real KRaft cluster of several brokers in this JVM (Kafka's {@code KafkaClusterTestKit}), for tests of
 * replication. Unlike the shared {@link KafkaBroker}, it is not shared: the test that {@linkplain #start starts} it
 * owns it and must {@link #close()} it (e.g. in {@code @AfterAll}). It always runs in this JVM, whatever
 * {@code pushline.kafka} says.
 *
 * <p>Settings as for the shared broker (no automatic topic creation, 3 partitions by default, 10 MiB messages), with
 * Kafka's internal topics (offsets, transactions) on min(3, brokers) copies and a min ISR one less, at least one.
 * Thread-safe.
 */
public final class KafkaCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);

    /** Startup of three brokers takes a few seconds; more than this many would make a slow test. */
    public static final int MAX_BROKERS = 5;

    private final KafkaClusterTestKit kit;
    private final int brokers;
    private final String bootstrapServers;
    private final Admin admin;

    private KafkaCluster(KafkaClusterTestKit kit, int brokers, String bootstrapServers, Admin admin) {
        this.kit = kit;
        this.brokers = brokers;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
    }

    /**
     * Starts {@code brokers} brokers (the first also the cluster's one KRaft controller) and returns once every one
     * serves clients.
     *
     * @throws IllegalArgumentException if {@code brokers} is not between 1 and {@link #MAX_BROKERS}
     * @throws IllegalStateException if the cluster did not start within two minutes
     */
    public static KafkaCluster start(int brokers) {
        if (brokers < 1 || brokers > MAX_BROKERS) {
            throw new IllegalArgumentException("brokers must be between 1 and " + MAX_BROKERS + " but was " + brokers);
        }
        long began = System.nanoTime();
        KafkaClusterTestKit kit = KraftTestKitBroker.startKit(brokers);
        try {
            String bootstrapServers = kit.bootstrapServers();
            Admin admin = Admin.create(KraftTestKitBroker.clientConfig(bootstrapServers));
            log.info("Started a Kafka cluster of {} brokers (kraft-testkit) at {} in {} ms", brokers, bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return new KafkaCluster(kit, brokers, bootstrapServers, admin);
        } catch (RuntimeException e) {
            KraftTestKitBroker.closeQuietly(kit);
            throw e;
        }
    }

    /** How many brokers the cluster has. */
    public int brokers() {
        return brokers;
    }

    /** {@code host:port,...} of every broker, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** An admin client of this cluster, closed with it. Do not close it. */
    public Admin admin() {
        return admin;
    }

    /** Configuration every client needs to reach the cluster ({@code bootstrap.servers}); a fresh mutable copy. */
    public Map<String, Object> clientConfig() {
        return KraftTestKitBroker.clientConfig(bootstrapServers);
    }

    /** Stops the admin client and every broker; never throws. */
    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            log.warn("Closing the cluster's admin client failed", e);
        }
        KraftTestKitBroker.closeQuietly(kit);
        log.info("Stopped the Kafka cluster of {} brokers at {}", brokers, bootstrapServers);
    }

    @Override
    public String toString() {
        return "KafkaCluster[" + brokers + " brokers, " + bootstrapServers + "]";
    }
}
