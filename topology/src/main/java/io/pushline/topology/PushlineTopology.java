package io.pushline.topology;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Builds Pushline's Kafka Streams topology: routing with dead letters, the device registry, partition-local
 * audience expansion over follower-partitioned, compacted state, and the ban cascade over a profile-partitioned
 * content index. Kafka is the only store: every state store is changelog-backed and rebuilt from Kafka on restore.
 *
 * <pre>
 *  events ──router──┬─► dead-letters                     (undecodable or invalid, original bytes)
 *                   ├─► router.device-events (by token) ──device registry──► state.devices (user|token, by user)
 *                   ├─► state.follows (follower|followee, by follower)
 *                   ├─► fanout.jobs (every partition: timeline posts and bans)
 *                   ├─► router.content-events (posts, likes, bans; by profile)
 *                   └─► state.banned-profiles (by profile)
 *  state.follows + state.devices + fanout.jobs ──expansion (per partition)──┬─► push.bulk (by user)
 *                                                                          └─► state.follows (tombstones of banned edges)
 *  router.content-events ──moderation (content index, ban jobs)──► moderation.removals (by profile)
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
    static final String MODERATION_DEAD_LETTER_SINK = "moderation-dead-letters";
    static final String DEVICE_EVENTS_SINK = "device-events-by-token";
    static final String FOLLOWS_SINK = "follows-state";
    static final String JOBS_SINK = "fanout-jobs";
    static final String DEVICE_EVENTS_SOURCE = "device-events";
    static final String DEVICE_REGISTRY = "device-registry";
    static final String DEVICES_SINK = "devices-state";
    static final String STATE_SOURCE = "expansion-inputs";
    static final String EXPANSION = "expansion";
    static final String PUSH_BULK_SINK = "push-bulk";
    static final String EXPANSION_FOLLOWS_SINK = "banned-follows-tombstones";
    static final String CONTENT_EVENTS_SINK = "content-events-by-profile";
    static final String BANNED_SINK = "banned-profiles-state";
    static final String PREFERENCES_SINK = "preferences-state";
    static final String EXPANSION_RECEIPTS_SINK = "expansion-receipts";
    static final String CONTENT_EVENTS_SOURCE = "content-events";
    static final String MODERATION = "moderation";
    static final String REMOVALS_SINK = "moderation-removals";

    private PushlineTopology() {
    }

    public static Topology build(TopologyConfig config) {
        return build(config, Stores::persistentKeyValueStore);
    }

    /**
     * The topology with stores from {@code stores} (by store name). Production uses persistent RocksDB stores; tests of
     * large volumes on the TopologyTestDriver, which commits and flushes every store after every record, may use
     * in-memory stores, which order keys the same way (unsigned bytes).
     */
    static Topology build(TopologyConfig config, Function<String, KeyValueBytesStoreSupplier> stores) {
        // The cap's counts are kept as long as its window (a minute when no cap is set: the store is then always empty).
        java.time.Duration capWindow = config.timelineCap() == null ? FrequencyCap.MIN_WINDOW : config.timelineCap().window();
        Function<String, StoreBuilder<KeyValueStore<String, byte[]>>> store =
                name -> Stores.keyValueStoreBuilder(stores.apply(name), Serdes.String(), Serdes.ByteArray());
        // Push tasks are written from typed records by the expansion alone; their schema check is skipped (see
        // CloudEventCodec.trusting): it was a fifth of the expansion's CPU per push. Every input event is validated.
        CloudEventCodec codec = new CloudEventCodec(config.maxEventBytes()).trusting(EventType.PUSH_TASK);
        TopologyMetrics metrics = new TopologyMetrics(config.meterRegistry());
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        ByteArraySerializer bytesOut = new ByteArraySerializer();

        Topology topology = new Topology();
        topology.addSource(EVENTS_SOURCE, bytesIn, bytesIn, Topics.EVENTS)
                .addProcessor(ROUTER, () -> new RouterProcessor(codec, metrics), EVENTS_SOURCE)
                .addSink(DEVICE_EVENTS_SINK, Topics.DEVICE_EVENTS_BY_TOKEN, bytesOut, bytesOut, ROUTER)
                .addSink(FOLLOWS_SINK, Topics.STATE_FOLLOWS, bytesOut, bytesOut, byFirstKeyPart(), ROUTER)
                .addSink(JOBS_SINK, Topics.FANOUT_JOBS, bytesOut, bytesOut, everyPartition(), ROUTER)
                .addSink(CONTENT_EVENTS_SINK, Topics.CONTENT_EVENTS_BY_PROFILE, bytesOut, bytesOut, ROUTER)
                .addSink(BANNED_SINK, Topics.STATE_BANNED_PROFILES, bytesOut, bytesOut, ROUTER)
                .addSink(PREFERENCES_SINK, Topics.STATE_PREFERENCES, bytesOut, bytesOut, ROUTER)   // key userId: murmur2, as Keys.partitionFor

                .addSource(DEVICE_EVENTS_SOURCE, bytesIn, bytesIn, Topics.DEVICE_EVENTS_BY_TOKEN)
                .addProcessor(DEVICE_REGISTRY, () -> new DeviceRegistryProcessor(codec, config, metrics), DEVICE_EVENTS_SOURCE)
                .addStateStore(store.apply(DeviceRegistryProcessor.STORE), DEVICE_REGISTRY)
                .addStateStore(store.apply(DeviceRegistryProcessor.INVALIDATIONS), DEVICE_REGISTRY)
                .addSink(DEVICES_SINK, Topics.STATE_DEVICES, bytesOut, bytesOut, byFirstKeyPart(), DEVICE_REGISTRY)

                .addSource(STATE_SOURCE, bytesIn, bytesIn, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES, Topics.FANOUT_JOBS,
                        Topics.STATE_PREFERENCES)
                .addProcessor(EXPANSION, () -> new ExpansionProcessor(codec, config, metrics), STATE_SOURCE)
                .addStateStore(store.apply(ExpansionProcessor.FOLLOW_INDEX), EXPANSION)
                .addStateStore(store.apply(ExpansionProcessor.USER_DEVICES), EXPANSION)
                .addStateStore(store.apply(ExpansionProcessor.JOBS), EXPANSION)
                .addStateStore(store.apply(ExpansionProcessor.FOLLOWS_BY_FOLLOWER), EXPANSION)
                .addStateStore(store.apply(BanCascade.BANNED), EXPANSION)
                .addStateStore(store.apply(BanCascade.EDGE_JOBS), EXPANSION)
                .addStateStore(Stores.keyValueStoreBuilder(stores.apply(ExpansionProcessor.FOLLOWER_COUNTS), Serdes.String(),
                        Serdes.Long()), EXPANSION)
                .addStateStore(store.apply(QuietHours.PREFERENCES), EXPANSION)
                .addStateStore(store.apply(QuietHours.HELD), EXPANSION)
                .addStateStore(store.apply(QuietHours.DIGESTS), EXPANSION)
                .addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(QuietHours.CAPS, capWindow, capWindow, true),
                        Serdes.String(), Serdes.Long()), EXPANSION)
                .addSink(PUSH_BULK_SINK, Topics.PUSH_BULK, bytesOut, bytesOut, EXPANSION)
                .addSink(EXPANSION_RECEIPTS_SINK, Topics.PUSH_RECEIPTS, bytesOut, bytesOut, byFirstKeyPart(), EXPANSION)
                .addSink(EXPANSION_FOLLOWS_SINK, Topics.STATE_FOLLOWS, bytesOut, bytesOut, byFirstKeyPart(), EXPANSION)

                .addSource(CONTENT_EVENTS_SOURCE, bytesIn, bytesIn, Topics.CONTENT_EVENTS_BY_PROFILE)
                .addProcessor(MODERATION, () -> new ModerationProcessor(codec, config, metrics), CONTENT_EVENTS_SOURCE)
                .addStateStore(store.apply(ModerationProcessor.CONTENT_INDEX), MODERATION)
                .addStateStore(store.apply(ModerationProcessor.BAN_JOBS), MODERATION)
                .addStateStore(store.apply(ModerationProcessor.BANNED), MODERATION)
                .addStateStore(store.apply(ModerationProcessor.CONTENT_EXPIRY), MODERATION)
                .addSink(REMOVALS_SINK, Topics.MODERATION_REMOVALS, bytesOut, bytesOut, MODERATION)

                .addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, ROUTER)
                .addSink(REGISTRY_DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, DEVICE_REGISTRY)
                .addSink(EXPANSION_DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, EXPANSION)
                .addSink(MODERATION_DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, MODERATION);
        return topology;
    }

    /**
     * The progress of the fanout jobs on the partitions this instance runs (active tasks only), read from the job store
     * by interactive queries, with ETAs at {@code now}. Running and cancelled jobs are listed; a job that finished its
     * share of a partition has left that partition's store. Other instances hold the other partitions.
     *
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException while {@code streams} is not running or a
     *         partition is migrating; retry once it runs again
     */
    public static List<JobProgress> jobProgress(KafkaStreams streams, Instant now) {
        List<JobProgress> out = new ArrayList<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                for (TopicPartition partition : task.topicPartitions()) {
                    if (!partition.topic().equals(Topics.FANOUT_JOBS)) {
                        continue;
                    }
                    ReadOnlyKeyValueStore<String, byte[]> jobs = streams.store(StoreQueryParameters
                            .fromNameAndType(ExpansionProcessor.JOBS, QueryableStoreTypes.<String, byte[]>keyValueStore())
                            .withPartition(partition.partition()));
                    out.addAll(ExpansionProcessor.progress(jobs, partition.partition(), now));
                }
            }
        }
        return out;
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
