package io.pushline.admin;

import io.pushline.contracts.Topics;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Each failure an admin operation expects from Kafka as its one line, and the unexpected ones as the command line words them. */
class AdminFailuresTest {
    private static final String SERVERS = "kafka-1:9093";

    @Test
    void theExpectedFailuresNameWhatToFix() {
        assertThat(describe(new TimeoutException("Timeout expired while fetching topic metadata"))).hasValue("dlq list: Kafka at "
                + "kafka-1:9093 did not answer within 2m (Timeout expired while fetching topic metadata): is it reachable, and are "
                + "--bootstrap-servers and --kafka-config right?");
        assertThat(describe(new SaslAuthenticationException("Authentication failed"))).hasValue("dlq list: Kafka at kafka-1:9093 refused "
                + "the credentials (Authentication failed): give an admin principal's settings in --kafka-config");
        assertThat(describe(new TopicAuthorizationException(Set.of(Topics.DEAD_LETTERS)))).hasValue("dlq list: not authorised (Not "
                + "authorized to access topics: [pushline.dead-letters]): the principal of --kafka-config needs " + DeadLetterService.NEEDS);
        assertThat(DeadLetterService.NEEDS).endsWith("(`pushline acls --principal User:NAME --role admin --apply` grants it)");
        assertThat(describe(new ConfigException("Invalid value x for configuration acks"))).hasValue("dlq list: Invalid value x for "
                + "configuration acks");
        assertThat(describe(new KafkaException("Failed to construct kafka consumer",
                new ConfigException("No resolvable bootstrap urls given in bootstrap.servers"))))
                .hasValue("dlq list: No resolvable bootstrap urls given in bootstrap.servers");
    }

    @Test
    void anythingElseIsTheCallersToReport() {
        assertThat(describe(new KafkaException("broken"))).isEmpty();
        assertThat(describe(new IllegalStateException("topic missing"))).isEmpty();
        assertThat(AdminOperations.unexpected("retry", new ExecutionException(new IllegalStateException("inner"))))
                .isEqualTo("retry: java.lang.IllegalStateException: inner\n  caused by: inner");
        assertThat(AdminOperations.unexpected("list", new IllegalStateException())).isEqualTo("list: IllegalStateException");
    }

    @Test
    void replayWritesBackToTheEventsAndTheLanesOnly() {
        assertThat(DeadLetterService.replayTarget(Topics.EVENTS)).isEqualTo(Topics.EVENTS);
        assertThat(DeadLetterService.replayTarget(Topics.PUSH_HIGH)).isEqualTo(Topics.PUSH_HIGH);
        assertThat(DeadLetterService.replayTarget(Topics.PUSH_BULK + ".retry-5m")).isEqualTo(Topics.PUSH_BULK);
        assertThat(DeadLetterService.replayTarget(Topics.DEVICE_EVENTS_BY_TOKEN)).isNull();
        assertThat(DeadLetterService.replayTarget(Topics.PUSH_BULK + ".retryx")).isNull();
        assertThat(DeadLetterService.replayTarget(null)).isNull();
    }

    private static java.util.Optional<String> describe(Throwable failure) {
        return AdminFailures.describe("dlq list", SERVERS, "2m", DeadLetterService.NEEDS, failure);
    }
}
