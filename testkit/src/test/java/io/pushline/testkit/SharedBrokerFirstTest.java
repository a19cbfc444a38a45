package io.pushline.testkit;

import org.junit.jupiter.api.Test;

@KafkaIntegrationTest
class SharedBrokerFirstTest {

    private final KafkaBroker broker;

    SharedBrokerFirstTest(KafkaBroker broker) {
        this.broker = broker;
    }

    @Test
    void usesTheOneBrokerOfThisJvm() {
        SharingProbe.assertSharedAndStartedOnce(broker);
    }
}
