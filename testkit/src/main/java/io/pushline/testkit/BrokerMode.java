package io.pushline.testkit;

import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** Which kind of broker the {@value #PROPERTY} property asks for. */
enum BrokerMode {
    KRAFT("kraft-testkit") {
        @Override
        Optional<String> whyUnavailable() {
            return Optional.empty();
        }

        @Override
        RunningBroker start() {
            return KraftTestKitBroker.start();
        }
    },
    TESTCONTAINERS("testcontainers") {
        @Override
        Optional<String> whyUnavailable() {
            return ContainerBroker.whyUnavailable();
        }

        @Override
        RunningBroker start() {
            return ContainerBroker.start();
        }
    };

    static final String PROPERTY = "pushline.kafka";

    private final String kind;

    BrokerMode(String kind) {
        this.kind = kind;
    }

    /** The value {@link KafkaBroker#kind()} reports. */
    String kind() {
        return kind;
    }

    /** Why this kind of broker cannot run on this machine, or empty if it can. */
    abstract Optional<String> whyUnavailable();

    /** Starts a broker of this kind; blocks until it serves clients, or aborts the test if it cannot run here. */
    abstract RunningBroker start();

    /**
     * Unset, empty and {@code kraft} mean the in-JVM test kit; {@code testcontainers} means a container.
     *
     * @throws ExtensionConfigurationException for any other value, naming it and the legal ones
     */
    static BrokerMode resolve(Optional<String> value) {
        String v = value.map(s -> s.trim().toLowerCase(Locale.ROOT)).orElse("");
        switch (v) {
            case "":
            case "kraft":
            case "kraft-testkit":
                return KRAFT;
            case "testcontainers":
                return TESTCONTAINERS;
            default:
                throw new ExtensionConfigurationException(PROPERTY + "='" + value.orElse("")
                        + "' is not a known broker kind: use 'kraft' (the default, an in-JVM KRaft broker) or"
                        + " 'testcontainers' (a Kafka container; needs a Docker engine)");
        }
    }
}
