package io.pushline.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class BrokerModeTest {

    @Test
    void unsetEmptyAndKraftMeanTheTestKit() {
        assertThat(BrokerMode.resolve(Optional.empty())).isEqualTo(BrokerMode.KRAFT);
        assertThat(BrokerMode.resolve(Optional.of(""))).isEqualTo(BrokerMode.KRAFT);
        assertThat(BrokerMode.resolve(Optional.of(" kraft "))).isEqualTo(BrokerMode.KRAFT);
        assertThat(BrokerMode.KRAFT.kind()).isEqualTo("kraft-testkit");
    }

    @Test
    void testcontainersMeansAContainer() {
        assertThat(BrokerMode.resolve(Optional.of("Testcontainers"))).isEqualTo(BrokerMode.TESTCONTAINERS);
        assertThat(BrokerMode.TESTCONTAINERS.kind()).isEqualTo("testcontainers");
    }

    @Test
    void anythingElseIsRejectedNamingTheValueAndTheLegalOnes() {
        assertThatThrownBy(() -> BrokerMode.resolve(Optional.of("docker")))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("pushline.kafka='docker'")
                .hasMessageContaining("'kraft'")
                .hasMessageContaining("'testcontainers'");
    }
}
