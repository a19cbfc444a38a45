package io.pushline.testkit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.abortedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a broker-using test class in a nested JUnit Platform run with {@code pushline.kafka} set, and checks how it
 * ends. Neither case starts a broker.
 */
class BrokerModeSelectionTest {

    @Test
    void testcontainersWithoutDockerSkipsTheTestsWithTheReason() {
        Assumptions.assumeFalse(DockerClientFactory.instance().isDockerAvailable(),
                "a Docker engine is reachable here, so the no-Docker path cannot be observed");

        EngineExecutionResults results = runProbeWith("testcontainers");

        results.containerEvents().assertThatEvents().haveExactly(1, event(container(ProbeTest.class),
                skippedWithReason(reason -> reason.startsWith("pushline.kafka=testcontainers but no Docker engine is reachable: "))));
        results.testEvents().assertStatistics(stats -> stats.started(0).succeeded(0).failed(0));
    }

    @Test
    void staticAccessWithoutDockerAbortsTheCallingTest() {
        Assumptions.assumeFalse(DockerClientFactory.instance().isDockerAvailable(),
                "a Docker engine is reachable here, so the no-Docker path cannot be observed");

        EngineExecutionResults results = runWith(StaticAccessProbeTest.class, "testcontainers");

        results.testEvents().assertThatEvents().haveExactly(1, event(abortedWithReason(
                instanceOf(TestAbortedException.class),
                message(m -> m.startsWith("pushline.kafka=testcontainers but no Docker engine is reachable: ")))));
    }

    @Test
    void anUnknownKindFailsTheTestsNamingIt() {
        EngineExecutionResults results = runProbeWith("redpanda");

        results.containerEvents().assertThatEvents().haveExactly(1, event(container(ProbeTest.class),
                finishedWithFailure(message(m -> m.contains("pushline.kafka='redpanda' is not a known broker kind")))));
        results.testEvents().assertStatistics(stats -> stats.started(0).succeeded(0));
    }

    /** Sets the system property as a user would with {@code -Dpushline.kafka=...}, and restores it afterwards. */
    private static EngineExecutionResults runProbeWith(String kind) {
        return runWith(ProbeTest.class, kind);
    }

    private static EngineExecutionResults runWith(Class<?> testClass, String kind) {
        String previous = System.getProperty(KafkaBrokerExtension.MODE_PROPERTY);
        System.setProperty(KafkaBrokerExtension.MODE_PROPERTY, kind);
        try {
            return EngineTestKit.engine("junit-jupiter")
                    .enableImplicitConfigurationParameters(true)
                    .selectors(selectClass(testClass))
                    .execute();
        } finally {
            if (previous == null) {
                System.clearProperty(KafkaBrokerExtension.MODE_PROPERTY);
            } else {
                System.setProperty(KafkaBrokerExtension.MODE_PROPERTY, previous);
            }
        }
    }

    /** Not run by Surefire itself (nested classes are excluded); only through {@link #runProbeWith}. */
    @KafkaIntegrationTest
    static class ProbeTest {
        @Test
        void needsABroker(KafkaBroker broker) {
            broker.bootstrapServers();
        }
    }

    /** Uses the static accessor from a class without the extension. */
    static class StaticAccessProbeTest {
        @Test
        void needsABroker() {
            KafkaBrokerExtension.broker();
        }
    }
}
