package io.pushline.coordinators;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The coordinators' Kafka Streams topology: one processor over the inputs co-partitioned by recipient (events, intake,
 * devices, delivery preferences, commands), seven state stores (journal, schedule, facts, devices, bans, preferences,
 * held pushes; each changelogged), and a sink per output topic. Run it with
 * {@code processing.guarantee=exactly_once_v2}: the journal-before-effect rule rests on the transaction that commits a
 * step's journal entry, its records and its input offset together.
 *
 * <p>Bans are broadcast: a {@code ProfileBanned} arrives on the events topic on the banned profile's partition only,
 * while the coordinators it must stop (the profile liking or following anyone, or being liked or followed) run on the
 * partitions of their recipients, which may be any. The task that reads it re-publishes it to every partition of the
 * intake topic ({@link #BROADCAST_SINK}), and each task keeps every ban in its own store. Why not a global store over
 * the banned-profiles topic: a task must act on a ban (cancel the coordinators running about the profile, in its own
 * stores and transaction), not only look it up, and a global store's updates reach no task's processor; it would also
 * tie the coordinators to the router's output and be updated outside their transactions.
 */
public final class CoordinatorTopology {
    public static final String DEFAULT_APPLICATION_ID = "pushline-coordinators";
    static final String SOURCE = "coordinator-inputs";
    static final String PROCESSOR = "coordinators";
    static final String INTAKE_SINK = "coordinator-intake";
    /** Writes a ban to every partition of the intake topic. */
    static final String BROADCAST_SINK = "coordinator-intake-broadcast";
    static final String PARKED_SINK = "coordinators-parked";
    static final String DEAD_LETTER_SINK = "coordinator-dead-letters";
    /** The topics the flows write, each with its own sink (named after the topic). */
    static final List<String> OUTPUT_TOPICS = List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY,
            Topics.NOTIFICATIONS, Topics.PUSH_HIGH, Topics.PUSH_RECEIPTS);

    private CoordinatorTopology() {
    }

    /** Push tasks through the transaction's sink, like every other output. */
    public static Topology build(CoordinatorConfig config) {
        return build(config, Stores::persistentKeyValueStore, null);
    }

    /**
     * Push tasks written at once through {@code early}, which must be the Streams app's client supplier (its
     * producers hold each commit until the early writes are acknowledged).
     */
    public static Topology build(CoordinatorConfig config, EarlyHighLane early) {
        return build(config, Stores::persistentKeyValueStore, Objects.requireNonNull(early, "early"));
    }

    static Topology build(CoordinatorConfig config, Function<String, KeyValueBytesStoreSupplier> stores) {
        return build(config, stores, null);
    }

    private static Topology build(CoordinatorConfig config, Function<String, KeyValueBytesStoreSupplier> stores, EarlyHighLane early) {
        // Push tasks and the outputs are written from typed records here; their schema check is skipped on decode only.
        CloudEventCodec codec = new CloudEventCodec().trusting(EventType.PUSH_TASK);
        CoordinatorMetrics metrics = new CoordinatorMetrics(config.meterRegistry());
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        ByteArraySerializer bytesOut = new ByteArraySerializer();
        Topology topology = new Topology();
        // Preferences are keyed by userId and partitioned like the devices (the router writes them with the default
        // partitioner): a recipient's preferences are on the partition of their coordinators.
        topology.addSource(SOURCE, bytesIn, bytesIn, Topics.EVENTS, Topics.COORDINATOR_INTAKE, Topics.STATE_DEVICES,
                        Topics.STATE_PREFERENCES, Topics.COORDINATOR_COMMANDS)
                .addProcessor(PROCESSOR, () -> new CoordinatorProcessor(codec, config, metrics, early), SOURCE);
        for (String store : List.of(CoordinatorProcessor.JOURNAL_STORE, CoordinatorProcessor.SCHEDULE_STORE, Facts.STORE,
                Facts.DEVICES_STORE, Bans.STORE, DeliveryPolicy.PREFERENCES_STORE, DeliveryPolicy.HELD_STORE)) {
            topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(store), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        }
        topology.addSink(INTAKE_SINK, Topics.COORDINATOR_INTAKE, bytesOut, bytesOut, PROCESSOR)
                .addSink(BROADCAST_SINK, Topics.COORDINATOR_INTAKE, bytesOut, bytesOut, EVERY_PARTITION, PROCESSOR)
                .addSink(PARKED_SINK, Topics.COORDINATORS_PARKED, bytesOut, bytesOut, PROCESSOR)
                .addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTERS, bytesOut, bytesOut, PROCESSOR);
        for (String topic : OUTPUT_TOPICS) {
            if (Topics.PUSH_RECEIPTS.equals(topic)) {
                // Keyed userId|pushId on the user's partition, as the topology and the workers write receipts.
                topology.addSink(sinkFor(topic), topic, bytesOut, bytesOut, BY_FIRST_KEY_PART, PROCESSOR);
            } else {
                topology.addSink(sinkFor(topic), topic, bytesOut, bytesOut, PROCESSOR);
            }
        }
        return topology;
    }

    /** Every partition of the topic (a multicast, KIP-837). */
    static final StreamPartitioner<byte[], byte[]> EVERY_PARTITION = new StreamPartitioner<>() {
        @Override
        public Optional<Set<Integer>> partitions(String topic, byte[] key, byte[] value, int numPartitions) {
            return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet()));
        }
    };

    /** Compound keys {@code a|b} go where a plain key {@code a} would (receipts: {@code userId|pushId} by the user). */
    static final StreamPartitioner<byte[], byte[]> BY_FIRST_KEY_PART = new StreamPartitioner<>() {
        @Override
        public Optional<Set<Integer>> partitions(String topic, byte[] key, byte[] value, int numPartitions) {
            return Optional.of(Set.of(Keys.partitionFor(Keys.first(new String(key, StandardCharsets.UTF_8)), numPartitions)));
        }
    };

    static String sinkFor(String topic) {
        if (!OUTPUT_TOPICS.contains(topic)) {
            throw new IllegalArgumentException("the coordinators do not write " + topic);
        }
        return "out-" + topic;
    }

    /**
     * Streams settings the coordinators need on top of the common ones: exactly-once, a short commit interval, two
     * stream threads (each commits its own transaction, so one's commit round trips overlap the other's processing),
     * and no compression: a transaction every few milliseconds writes a small batch to each of dozens of partitions
     * (outputs and changelogs), and setting up an lz4 batch per partition per transaction was a quarter of the stream
     * thread's CPU in a profile of the likes benchmark, for records of a few hundred bytes on a local network.
     *
     * <p>{@code poll.ms} is Kafka Streams' default, 100 ms: how long an idle stream thread waits in {@code poll} before
     * it commits and runs due wake-ups (a poll returns as soon as records arrive, so it never delays a like). It was
     * 10 ms while a like's push task waited for the commit; since push tasks are written early ({@link EarlyHighLane})
     * a later commit delays only notifications and counts, and the two threads' 200 empty polls a second were the
     * largest share of an idle pipeline's CPU ({@code bench idle}).
     */
    public static Map<String, Object> requiredOverrides(long commitIntervalMs) {
        return Map.of("processing.guarantee", "exactly_once_v2", "commit.interval.ms", commitIntervalMs, "poll.ms", 100,
                "num.stream.threads", 2, "producer.compression.type", "none",
                // Device state and commands need no time synchronisation with the events: process what has arrived.
                "max.task.idle.ms", -1);
    }
}
