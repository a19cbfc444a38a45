package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@KafkaIntegrationTest
class SharedBrokerSecondTest {

    @Test
    void usesTheOneBrokerOfThisJvm(KafkaBroker broker) throws Exception {
        SharingProbe.assertSharedAndStartedOnce(broker);
        assertThat(broker.admin().describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
    }
}
