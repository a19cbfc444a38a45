package io.pushline.testkit;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** A Kafka broker in a Testcontainers container; needs a reachable Docker engine. */
final class ContainerBroker implements RunningBroker {

    private static final Logger log = LoggerFactory.getLogger(ContainerBroker.class);

    /** Overrides {@link #DEFAULT_IMAGE}. */
    static final String IMAGE_PROPERTY = "pushline.kafka.image";

    /** The same Kafka release as the {@code kraft} mode and our clients, so both modes test the same broker. */
    static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private final KafkaContainer container;
    private final String bootstrapServers;
    private final Admin admin;

    private ContainerBroker(KafkaContainer container, String bootstrapServers, Admin admin) {
        this.container = container;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
    }

    /** The first answer, kept: Testcontainers' later answers only say "previous attempts failed". */
    private static volatile Optional<String> whyUnavailable;

    /** Probes Docker once per JVM (a few milliseconds when no engine is there). */
    static Optional<String> whyUnavailable() {
        Optional<String> why = whyUnavailable;
        if (why == null) {
            synchronized (ContainerBroker.class) {
                why = whyUnavailable;
                if (why == null) {
                    why = probeDocker();
                    whyUnavailable = why;
                }
            }
        }
        return why;
    }

    static ContainerBroker start() {
        whyUnavailable().ifPresent(Assumptions::abort);
        long began = System.nanoTime();
        String image = System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE);
        @SuppressWarnings("resource") // closed by close()
        KafkaContainer container = new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
                .withStartupTimeout(START_TIMEOUT);
        // The apache/kafka image maps KAFKA_FOO_BAR to foo.bar in its server.properties.
        BrokerSettings.singleNode().forEach((key, value) ->
                container.withEnv("KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_'), value));
        try {
            container.start();
            String bootstrapServers = container.getBootstrapServers();
            Admin admin = Admin.create(KraftTestKitBroker.clientConfig(bootstrapServers));
            log.info("Started the shared Kafka broker (testcontainers, {}) at {} in {} ms", image, bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return new ContainerBroker(container, bootstrapServers, admin);
        } catch (RuntimeException e) {
            container.close();
            throw e;
        }
    }

    private static Optional<String> probeDocker() {
        try {
            DockerClientFactory.instance().client();
            return Optional.empty();
        } catch (RuntimeException e) {
            String dockerHost = System.getenv("DOCKER_HOST");
            return Optional.of(BrokerMode.PROPERTY + "=testcontainers but no Docker engine is reachable: " + e.getMessage()
                    + " (DOCKER_HOST=" + (dockerHost == null ? "unset" : dockerHost) + "). Start a Docker engine, or"
                    + " leave " + BrokerMode.PROPERTY + " unset to use the in-JVM KRaft broker, which needs none.");
        }
    }

    @Override
    public BrokerMode mode() {
        return BrokerMode.TESTCONTAINERS;
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
        return KraftTestKitBroker.clientConfig(bootstrapServers);
    }

    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            log.warn("Closing the shared admin client failed", e);
        }
        try {
            container.close();
        } catch (RuntimeException e) {
            log.warn("Stopping the Kafka container failed", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[testcontainers " + bootstrapServers + "]";
    }
}
