package io.pushline.testkit;

import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives every test class of a JVM the same real Kafka broker; usually applied through
 * {@link KafkaIntegrationTest}.
 *
 * <p>The broker starts on first use (before the first such class runs, or on the first {@link #broker()} call) and
 * is shared by all later classes. The JUnit run that started it stops it when the run ends; a JVM shutdown hook
 * stops a broker started outside JUnit.
 *
 * <p>The {@value #MODE_PROPERTY} system property (or JUnit configuration parameter) picks the broker:
 * <ul>
 *   <li>unset, empty or {@code kraft}: Kafka's {@code KafkaClusterTestKit}, one combined KRaft node in this JVM;</li>
 *   <li>{@code testcontainers}: Testcontainers' {@code KafkaContainer} (image {@code apache/kafka:4.3.1}, or the
 *       {@code pushline.kafka.image} property). Without a reachable Docker engine every test of the class is
 *       <em>skipped</em> with the reason ("pushline.kafka=testcontainers but no Docker engine is reachable: ...");
 *       they never pass silently and never fall back to the other kind;</li>
 *   <li>anything else fails the test class with a message naming the legal values.</li>
 * </ul>
 *
 * <p>Why a condition and not {@code Assumptions.abort} in {@code beforeAll}: Surefire 3.5 reports a class aborted in
 * {@code beforeAll} as "Tests run: 0, Skipped: 0", i.e. silently. A class disabled by an {@link ExecutionCondition}
 * is reported test by test as skipped, with the reason in the XML report.
 *
 * <p>{@link KafkaBroker} parameters of test constructors, lifecycle and test methods are resolved.
 */
public final class KafkaBrokerExtension implements ExecutionCondition, BeforeAllCallback, ParameterResolver {

    /** System property (or JUnit configuration parameter) that chooses the broker kind. */
    public static final String MODE_PROPERTY = BrokerMode.PROPERTY;

    private static final Namespace NAMESPACE = Namespace.create(KafkaBrokerExtension.class);

    /**
     * The shared broker, started if it is not running yet. For code that cannot take a parameter (static
     * initialisers, helpers); inside a {@link KafkaIntegrationTest} class it returns the injected broker.
     *
     * @throws org.opentest4j.TestAbortedException if the chosen kind cannot run on this machine
     */
    public static KafkaBroker broker() {
        return SharedBroker.acquire(BrokerMode.resolve(Optional.ofNullable(System.getProperty(MODE_PROPERTY)))).broker();
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        BrokerMode mode = BrokerMode.resolve(context.getConfigurationParameter(MODE_PROPERTY));
        return mode.whyUnavailable()
                .map(ConditionEvaluationResult::disabled)
                .orElseGet(() -> ConditionEvaluationResult.enabled("a " + mode.kind() + " broker can run here"));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        obtain(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return obtain(extensionContext);
    }

    private static KafkaBroker obtain(ExtensionContext context) {
        BrokerMode mode = BrokerMode.resolve(context.getConfigurationParameter(MODE_PROPERTY));
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(RunLease.class, key -> new RunLease(SharedBroker.acquire(mode)), RunLease.class)
                .lease.broker();
    }

    /**
     * Kept in the root store of a JUnit run; JUnit closes it when the run ends. Only the run that started the broker
     * stops it, so a nested run (say, from {@code EngineTestKit}) does not stop its parent's broker.
     */
    private static final class RunLease implements AutoCloseable {
        private final SharedBroker.Lease lease;

        RunLease(SharedBroker.Lease lease) {
            this.lease = lease;
        }

        @Override
        public void close() {
            if (lease.started()) {
                SharedBroker.stop(lease.broker());
            }
        }
    }
}
