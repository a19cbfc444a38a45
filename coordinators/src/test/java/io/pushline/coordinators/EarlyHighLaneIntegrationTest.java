package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coordinators' push tasks on the real broker with {@link EarlyHighLane}: visible to the workers before the step's
 * transaction commits, and written again by the replay when a commit is refused because an early write was lost after
 * its journal entry was put.
 */
@KafkaIntegrationTest
class EarlyHighLaneIntegrationTest {
    private static final int PARTITIONS = 3;
    private static final URI SOURCE = URI.create("urn:pushline:service:likes");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aPushTaskIsVisibleBeforeItsTransactionCommits(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        provision(broker);
        String owner = "owner-visible";
        // A commit interval far longer than the wait below: only the early write can make the push task visible in time.
        try (EarlyHighLane early = new EarlyHighLane();
             KafkaStreams streams = start(broker, stateDir, early, 60_000);
             EventsOnBroker events = new EventsOnBroker(broker)) {
            registerDevice(events, owner);
            events.publish(Topics.EVENTS, null, owner, Envelope.of("evt-like-visible", SOURCE, Instant.now(), new LikeCreated("fan", "post-1", owner)));

            List<PushTask> pushes = readUntil(broker, Topics.PUSH_HIGH, "evt-like-visible", Duration.ofSeconds(30));
            assertThat(pushes).extracting(PushTask::sourceEventId).containsExactly("evt-like-visible");
            // The same step's notification is in the open transaction: a read_committed consumer does not see it yet.
            assertThat(committedRecords(broker, Topics.NOTIFICATIONS, Duration.ofSeconds(2))).isZero();
        }
    }

    @Test
    void aPushTaskLostAfterItsJournalEntryIsWrittenAgainByTheReplay(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        provision(broker);
        String owner = "owner-lost";
        AtomicInteger lost = new AtomicInteger();
        // The early producer loses the first push task: not sent, its callback answers a timeout, as after a broker
        // that never acknowledged it. The stream threads' transactional producers are real and untouched.
        Function<Map<String, Object>, Producer<byte[], byte[]>> producers = config -> {
            KafkaProducer<byte[], byte[]> real = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
            return config.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG) ? real : losingTheFirstSend(real, lost);
        };
        try (EarlyHighLane early = new EarlyHighLane(producers);
             KafkaStreams streams = start(broker, stateDir, early, 50);
             EventsOnBroker events = new EventsOnBroker(broker)) {
            registerDevice(events, owner);
            events.publish(Topics.EVENTS, null, owner, Envelope.of("evt-like-lost", SOURCE, Instant.now(), new LikeCreated("fan", "post-2", owner)));

            List<PushTask> pushes = readUntil(broker, Topics.PUSH_HIGH, "evt-like-lost", Duration.ofSeconds(90));
            assertThat(lost).hasValue(1);
            // Written once (the lost copy never reached the broker), by the step run a second time from the journal.
            assertThat(pushes).extracting(PushTask::sourceEventId).containsExactly("evt-like-lost");
            assertThat(counter(CoordinatorMetrics.STARTED, "flow", Flows.LIKE)).isEqualTo(2);
            // The replay's transaction committed: the like's notification is there once, for read_committed readers.
            Waits.until(() -> committedRecords(broker, Topics.NOTIFICATIONS, Duration.ofMillis(500)) == 1, Duration.ofSeconds(30),
                    "the replayed step's notification committed once");
        }
    }

    /** {@code real}, except that its first send is dropped and answered with a timeout. */
    @SuppressWarnings("unchecked")
    private static Producer<byte[], byte[]> losingTheFirstSend(Producer<byte[], byte[]> real, AtomicInteger lost) {
        return (Producer<byte[], byte[]>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("send") && args.length == 2 && lost.compareAndSet(0, 1)) {
                        ((Callback) args[1]).onCompletion(null, new TimeoutException("injected: never acknowledged"));
                        return CompletableFuture.<RecordMetadata>failedFuture(new TimeoutException("injected"));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void provision(KafkaBroker broker) throws Exception {
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(broker.admin(), Duration.ofMinutes(1)).ensure(Topics.catalogue(PARTITIONS));
    }

    private KafkaStreams start(KafkaBroker broker, Path stateDir, EarlyHighLane early, long commitIntervalMs) {
        Properties props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, TestTopics.unique("coordinators-early"));
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putAll(CoordinatorTopology.requiredOverrides(commitIntervalMs));
        props.put("producer.transaction.timeout.ms", (int) Math.max(10_000, 2 * commitIntervalMs));
        KafkaStreams streams = new KafkaStreams(CoordinatorTopology.build(CoordinatorConfig.defaults().withMeterRegistry(registry), early),
                props, early);
        streams.start();
        Waits.until(() -> streams.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(1), "the coordinators running");
        return streams;
    }

    private void registerDevice(EventsOnBroker events, String owner) throws Exception {
        String token = owner + "-token-apns-0001";
        events.publish(Topics.STATE_DEVICES, Keys.partitionFor(owner, PARTITIONS), owner + "|" + token, Envelope.of("dev-" + owner,
                URI.create("urn:pushline:service:devices"), Instant.now(), new DeviceRegistered(owner, token, Platform.APNS, "io.pushline.app", Instant.now())));
    }




    /** The push tasks on {@code topic} (read_committed), read until one of {@code eventId} is there, then 1 s more for copies. */
    private List<PushTask> readUntil(KafkaBroker broker, String topic, String eventId, Duration timeout) {
        List<PushTask> pushes = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker, topic)) {
            Waits.until(() -> {
                poll(consumer, pushes);
                return pushes.stream().anyMatch(p -> p.sourceEventId().equals(eventId));
            }, timeout, () -> "a push of " + eventId + " among " + pushes.size() + " read");
            long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < end) {
                poll(consumer, pushes);
            }
        }
        return pushes;
    }

    private void poll(KafkaConsumer<byte[], byte[]> consumer, List<PushTask> into) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (codec.decode(r.headers(), r.value()) instanceof Decoded.Ok ok && ok.envelope().data() instanceof PushTask p) {
                into.add(p);
            }
        }
    }

    /** How many records a read_committed consumer finds on {@code topic} within {@code readFor}. */
    private static int committedRecords(KafkaBroker broker, String topic, Duration readFor) {
        int count = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker, topic)) {
            long end = System.nanoTime() + readFor.toNanos();
            while (System.nanoTime() < end) {
                count += consumer.poll(Duration.ofMillis(100)).count();
            }
        }
        return count;
    }

    /** A read_committed consumer of every partition of {@code topic}, from the beginning (no group). */
    private static KafkaConsumer<byte[], byte[]> consumer(KafkaBroker broker, String topic) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
