package io.pushline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pushline.contracts.Replication;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The replication Kafka Streams gives its internal topics (changelogs, repartition topics); no broker. */
class StreamsSettingsTest {

    @Test
    void internalTopicsGetTheFactorAndMinInsyncReplicas() {
        Properties props = new StreamsSettings("app", "localhost:9092", Path.of("state"), true, Replication.forBrokers(3), Map.of())
                .toProperties();
        assertThat(props).containsEntry("replication.factor", 3).containsEntry("topic.min.insync.replicas", "2");

        Properties single = new StreamsSettings("app", "localhost:9092", Path.of("state"), true, 1, Map.of()).toProperties();
        assertThat(single).containsEntry("replication.factor", 1).containsEntry("topic.min.insync.replicas", "1");
    }

    @Test
    void exactlyOnceRetriesAConcurrentTransactionWithinTheCommitIntervalNotAfterASecond() {
        Properties exactlyOnce = new StreamsSettings("app", "localhost:9092", Path.of("state"), true, 1, Map.of()).toProperties();
        assertThat(exactlyOnce).containsEntry("producer.retry.backoff.ms", 5).containsEntry("producer.retry.backoff.max.ms", 100);

        Properties atLeastOnce = new StreamsSettings("app", "localhost:9092", Path.of("state"), false, 1, Map.of()).toProperties();
        assertThat(atLeastOnce).doesNotContainKeys("producer.retry.backoff.ms", "producer.retry.backoff.max.ms");
    }

    @Test
    void aReplicationIsRequired() {
        assertThatThrownBy(() -> new StreamsSettings("app", "localhost:9092", Path.of("state"), true, 0, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("replication factor must be between 1 and 32767 but was 0");
        assertThatThrownBy(() -> new StreamsSettings("app", "localhost:9092", Path.of("state"), true, (Replication) null, Map.of()))
                .isInstanceOf(NullPointerException.class).hasMessage("replication");
    }
}
