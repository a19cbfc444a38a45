package io.pushline.app;

import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline acls --apply} against the shared test broker, which runs no authorizer: one line saying so, exit code
 * 1, nothing pretended. (With an authorizer: {@link AccessControlIntegrationTest}.)
 */
@KafkaIntegrationTest
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AclsCommandIntegrationTest {

    @Test
    void applyingOnAClusterWithoutAnAuthorizerSaysThereIsNone(KafkaBroker broker) {
        CliRun.Result result = CliRun.run("acls", "--principal", "User:ops", "--role", "admin", "--apply",
                "--bootstrap-servers", broker.bootstrapServers());

        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).startsWith("acls: the cluster at " + broker.bootstrapServers() + " runs no authorizer")
                .doesNotContain("\tat ");
    }
}
