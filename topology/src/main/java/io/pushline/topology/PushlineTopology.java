package io.pushline.topology;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Builds Pushline's Kafka Streams topology: routing with dead letters, the device registry, and partition-local
 * audience expansion over follower-partitioned, compacted state. Kafka is the only store: every state store is
 * changelog-backed and rebuilt from Kafka on restore.
 *
 * <pre>
 *  events ──router──┬─► dead-letters                     (undecodable or invalid, original bytes)
 *                   ├─► router.device-events (by token) ──device registry──► state.devices (user|token, by user)
 *                   ├─► state.follows (follower|followee, by follower)
 *                   └─► fanout.jobs (every partition)
 *  state.follows + state.devices + fanout.jobs ──expansion (per partition)──► push.bulk (by user)
 * </pre>
 *
 * <p>The topology is stateless to build and may be built any number of times; the returned {@link Topology} belongs
 * to one {@code KafkaStreams} instance.
 */
public final class PushlineTopology {
    static final String EVENTS_SOURCE = "events";
    static final String ROUTER = "router";
    // One dead-letter sink per processor: a sink shared across processors would merge their sub-topologies.
    static final String DEAD_LETTER_SINK = "router-dead-letters";
    static final String REGISTRY_DEAD_LETTER_SINK = "device-registry-dead-letters";
    static final String EXPANSION_DEAD_LETTER_SINK = "expansion-dead-letters";
    static final String DEVICE_EVENTS_SINK = "device-events-by-token";
    static final String FOLLOWS_SINK = "follows-state";
    static final String JOBS_SINK = "fanout-jobs";
    static final String DEVICE_EVENTS_SOURCE = "device-events";
    static final String DEVICE_REGISTRY = "device-registry";
    static final String DEVICES_SINK = "devices-state";
    static final String STATE_SOURCE = "expansion-inputs";
    static final String EXPANSION = "expansion";
    static final String PUSH_BULK_SINK = "push-bulk";

    private PushlineTopology() {
    }

    public static Topology build(TopologyConfig config) {
        CloudEventCodec codec = new CloudEventCodec(config.maxEventBytes());
        TopologyMetrics metrics = new TopologyMetrics(config.meterRegistry());
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        ByteArraySerializer bytesOut = new ByteArraySerializer();

        Topology topology = new Topology();
        topology.addSource(EVENTS_SOURCE, bytesIn, bytesIn, Topics.EVENTS)
                .addProcessor(ROUTER, () -> new RouterProcessor(codec, metrics), EVENTS_SOURCE)
                .addSink(DEVICE_EVENTS_SINK, Topics.DEVICE_EVENTS_BY_TOKEN, bytesOut, bytesOut, ROUTER)
                .addSink(FOLLOWS_SINK, Topics.STATE_FOLLOWS, bytesOut, bytesOut, byFirstKeyPart(), ROUTER)
                .addSink(JOBS_SINK, Topics.FANOUT_JOBS, bytesOut, bytesOut, everyPartition(), ROUTER)

                .addSource(DEVICE_EVENTS_SOURCE, bytesIn, bytesIn, Topics.DEVICE_EVENTS_BY_TOKEN)
                .addProcessor(DEVICE_REGISTRY, () -> new DeviceRegistryProcessor(codec, metrics), DEVICE_EVENTS_SOURCE)
                .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DeviceRegistryProcessor.STORE),
                        Serdes.String(), Serdes.ByteArray()), DEVICE_REGISTRY)
                .addSink(DEVICES_SINK, Topics.STATE_DEVICES, bytesOut, bytesOut, byFirstKeyPart(), DEVICE_REGISTRY)

                .addSource(STATE_SOURCE, bytesIn, bytesIn, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES, Topics.FANOUT_JOBS)
                .addProcessor(EXPANSION, () -> new ExpansionProcessor(codec, config, metrics), STATE_SOURCE)
                .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExpansionProcessor.FOLLOW_INDEX),
                        Serdes.String(), Serdes.ByteArray()), EXPANSION)
                .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExpansionProcessor.USER_DEVICES),
                        Serdes.String(), Serdes.ByteArray()), EXPANSION)
                .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExpansionProcessor.JOBS),
                        Serdes.String(), Serdes.ByteArray()), EXPANSION)
                .addSink(PUSH_BULK_SINK, Topics.PUSH_BULK, bytesOut, bytesOut, EXPANSION)

                .addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, ROUTER)
                .addSink(REGISTRY_DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, DEVICE_REGISTRY)
                .addSink(EXPANSION_DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, EXPANSION);
        return topology;
    }

    /** Compound keys {@code a|b} go where a plain key {@code a} would: the entity's state lives with the entity. */
    static StreamPartitioner<byte[], byte[]> byFirstKeyPart() {
        return (topic, key, value, numPartitions) -> Optional.of(Set.of(
                Keys.partitionFor(Keys.first(new String(key, StandardCharsets.UTF_8)), numPartitions)));
    }

    /** Multicast: a fanout job reaches every partition, and each partition expands its own shard of the audience. */
    static StreamPartitioner<byte[], byte[]> everyPartition() {
        return (topic, key, value, numPartitions) -> Optional.of(
                IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet()));
    }
}
