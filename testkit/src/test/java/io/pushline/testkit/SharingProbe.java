package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Evidence collected by the two sharing test classes, whichever runs first. */
final class SharingProbe {

    private static final Set<String> bootstrapServersSeen = ConcurrentHashMap.newKeySet();
    private static final Set<KafkaBroker> brokersSeen = ConcurrentHashMap.newKeySet();

    private SharingProbe() {}

    static void assertSharedAndStartedOnce(KafkaBroker injected) {
        bootstrapServersSeen.add(injected.bootstrapServers());
        brokersSeen.add(injected);

        assertThat(KafkaBrokerExtension.broker()).isSameAs(injected);
        assertThat(bootstrapServersSeen).as("bootstrap servers seen by all test classes").hasSize(1);
        assertThat(brokersSeen).as("broker instances seen by all test classes").hasSize(1);
        assertThat(SharedBroker.starts(((RunningBroker) injected).mode())).as("brokers started in this JVM").isEqualTo(1);
    }
}
