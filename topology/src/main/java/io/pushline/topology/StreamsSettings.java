package io.pushline.topology;

import io.pushline.contracts.Replication;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Kafka Streams settings for the Pushline topology, with the choices that matter for correctness spelled out.
 *
 * @param applicationId      the Streams application id (consumer group, internal topic prefix)
 * @param bootstrapServers   the Kafka cluster
 * @param stateDir           where RocksDB state lives; rebuilt from changelogs when lost
 * @param exactlyOnce        {@code exactly_once_v2}: expansion output, state and input offsets commit atomically, so a
 *                           crashed expansion never emits a push task twice
 * @param replication        of internal topics (changelogs, repartition topics): their replication factor and
 *                           {@code min.insync.replicas}, as for Pushline's own topics
 * @param clientOverrides    anything else (security settings, tuning), applied last
 */
public record StreamsSettings(String applicationId, String bootstrapServers, Path stateDir, boolean exactlyOnce,
                              Replication replication, Map<String, Object> clientOverrides) {
    public static final String DEFAULT_APPLICATION_ID = "pushline-topology";
    /** Large enough for an oversize event to reach the dead-letter topic with its original bytes. */
    public static final int MAX_REQUEST_BYTES = 10 * 1024 * 1024;

    public StreamsSettings {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(replication, "replication");
        clientOverrides = Map.copyOf(clientOverrides);
    }

    /** With {@link Replication#of}{@code (replicationFactor)}: min ISR one less, at least one. */
    public StreamsSettings(String applicationId, String bootstrapServers, Path stateDir, boolean exactlyOnce,
                           int replicationFactor, Map<String, Object> clientOverrides) {
        this(applicationId, bootstrapServers, stateDir, exactlyOnce, Replication.of(replicationFactor), clientOverrides);
    }

    public Properties toProperties() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replication.factor());
        props.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), Short.toString(replication.minInsyncReplicas()));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), MAX_REQUEST_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), MAX_REQUEST_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        // Under exactly-once, a transaction begun right after the last commit, before the broker has written its
        // markers, is answered CONCURRENT_TRANSACTIONS and retried after retry.backoff.ms: 100 ms by default, growing to
        // a second, longer than the commit interval itself. On a busy machine the topology's records then trickled
        // (a bench's 1,000 devices took 39 s to materialise, its log full of CONCURRENT_TRANSACTIONS retries).
        if (exactlyOnce) {
            props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
            props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG), 100);
        }
        props.put("processing.exception.handler.global.enabled", true);
        props.putAll(clientOverrides);
        return props;
    }
}
