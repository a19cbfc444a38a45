package io.pushline.testkit;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One combined broker+controller node of Kafka's own {@link KafkaClusterTestKit}, in this JVM. */
final class KraftTestKitBroker implements RunningBroker {

    private static final Logger log = LoggerFactory.getLogger(KraftTestKitBroker.class);

    /** Startup takes seconds; this bound only turns a hang into a failure with a message. */
    static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private static final Duration ADMIN_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaClusterTestKit kit;
    private final String bootstrapServers;
    private final Admin admin;

    private KraftTestKitBroker(KafkaClusterTestKit kit, String bootstrapServers, Admin admin) {
        this.kit = kit;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
    }

    static KraftTestKitBroker start() {
        long began = System.nanoTime();
        KafkaClusterTestKit kit = startKit(1);
        try {
            String bootstrapServers = kit.bootstrapServers();
            Admin admin = Admin.create(clientConfig(bootstrapServers));
            log.info("Started the shared Kafka broker (kraft-testkit, Kafka {}) at {} in {} ms",
                    org.apache.kafka.common.utils.AppInfoParser.getVersion(), bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return new KraftTestKitBroker(kit, bootstrapServers, admin);
        } catch (RuntimeException e) {
            closeQuietly(kit);
            throw e;
        }
    }

    /**
     * Formats and starts a test kit of {@code brokers} broker nodes (the first also the one KRaft controller) and
     * waits until every broker is ready; stops what it started if it fails.
     */
    static KafkaClusterTestKit startKit(int brokers) {
        KafkaClusterTestKit kit = build(brokers);
        try {
            CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
                try {
                    kit.format();
                    kit.startup();
                    kit.waitForReadyBrokers();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting the KRaft test kit broker", e);
                } catch (Exception e) {
                    throw new IllegalStateException("the KRaft test kit broker failed to start: " + e, e);
                }
            }, task -> {
                Thread thread = new Thread(task, "pushline-testkit-broker-start");
                thread.setDaemon(true);
                thread.start();
            });
            ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return kit;
        } catch (TimeoutException e) {
            closeQuietly(kit);
            throw new IllegalStateException("the KRaft test kit broker did not become ready within " + START_TIMEOUT, e);
        } catch (ExecutionException e) {
            closeQuietly(kit);
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            closeQuietly(kit);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the KRaft test kit broker", e);
        } catch (RuntimeException e) {
            closeQuietly(kit);
            throw e;
        }
    }

    private static KafkaClusterTestKit build(int brokers) {
        // The test kit bootstraps at the latest *testing* metadata version and enables unstable features by default;
        // our code must work against what a production cluster runs, so bootstrap at the latest production version.
        MetadataVersion version = MetadataVersion.latestProduction();
        Map<String, Short> features = Feature.PRODUCTION_FEATURES.stream()
                .collect(Collectors.toMap(Feature::featureName, f -> f.defaultLevel(version), (a, b) -> a, TreeMap::new));
        TestKitNodes nodes = new TestKitNodes.Builder(BootstrapMetadata.fromVersions(version, features, "pushline-testkit"))
                .setCombined(true)
                .setNumBrokerNodes(brokers)
                .setNumControllerNodes(1)
                .build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        BrokerSettings.forNodes(brokers).forEach(builder::setConfigProp);
        builder.setConfigProp("unstable.api.versions.enable", "false");
        builder.setConfigProp("unstable.feature.versions.enable", "false");
        try {
            return builder.build();
        } catch (Exception e) {
            throw new IllegalStateException("could not configure the KRaft test kit broker: " + e, e);
        }
    }

    static Map<String, Object> clientConfig(String bootstrapServers) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    @Override
    public BrokerMode mode() {
        return BrokerMode.KRAFT;
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public Admin admin() {
        return admin;
    }

    @Override
    public Map<String, Object> clientConfig() {
        return clientConfig(bootstrapServers);
    }

    @Override
    public void close() {
        try {
            admin.close(ADMIN_CLOSE_TIMEOUT);
        } catch (RuntimeException e) {
            log.warn("Closing the shared admin client failed", e);
        }
        closeQuietly(kit);
        log.info("Stopped the shared Kafka broker (kraft-testkit) at {}", bootstrapServers);
    }

    static void closeQuietly(KafkaClusterTestKit kit) {
        try {
            kit.close();
        } catch (Exception e) {
            log.warn("Stopping the KRaft test kit broker failed", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[kraft-testkit " + bootstrapServers + "]";
    }
}
