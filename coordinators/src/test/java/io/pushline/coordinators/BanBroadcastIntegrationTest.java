package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.ProfileBanned;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ban's broadcast on a real broker with three partitions: a ban read on the banned profile's partition stops the
 * coordinators of its likes on the partition of the post's owner, another one. The driver tests cannot show this: they
 * have one partition per topic.
 */
@KafkaIntegrationTest
class BanBroadcastIntegrationTest {
    private static final int PARTITIONS = 3;
    private static final URI SOURCE = URI.create("urn:pushline:service:likes");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aBanOnOnePartitionStopsTheLikesOfTheProfileOnAnother(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(broker.admin(), Duration.ofMinutes(1)).ensure(Topics.catalogue(PARTITIONS));
        String banned = "spammer";
        // An owner on another partition than the banned profile (and than the bystander's, which must still push).
        String owner = Stream.of("owner-a", "owner-b", "owner-c", "owner-d", "owner-e", "owner-f")
                .filter(o -> Keys.partitionFor(o, PARTITIONS) != Keys.partitionFor(banned, PARTITIONS)).findFirst().orElseThrow();
        String token = owner + "-token-apns-0001";

        CoordinatorConfig config = CoordinatorConfig.defaults().withMeterRegistry(registry)
                .withSupervisor(new SupervisorPolicy(5, Duration.ofMinutes(10), Duration.ofSeconds(2), Duration.ofSeconds(2)))
                // The first like's notification fails (retryable) until the ban has arrived: it waits, running.
                .withSteps((flow, state, step) -> flow.equals(Flows.LIKE) && state.equals("NOTIFYING") ? ctx -> {
                    if (ctx.input(Flows.POST).equals("waiting") && banned(Flows.LIKE) == 0) {
                        throw new IllegalStateException("inbox unavailable");
                    }
                    step.run(ctx);
                } : step);
        Properties props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, TestTopics.unique("coordinators-ban"));
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putAll(CoordinatorTopology.requiredOverrides(50));
        try (KafkaStreams streams = new KafkaStreams(CoordinatorTopology.build(config), props);
             EventsOnBroker events = new EventsOnBroker(broker)) {
            streams.start();
            Waits.until(() -> streams.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(1), "the coordinators running");
            events.publish(Topics.STATE_DEVICES, Keys.partitionFor(owner, PARTITIONS), owner + "|" + token,
                    Envelope.of("dev-1", URI.create("urn:pushline:service:devices"), Instant.now(),
                            new DeviceRegistered(owner, token, Platform.APNS, "io.pushline.app", Instant.now())));
            events.publish(Topics.EVENTS, null, owner, Envelope.of("evt-like-before", SOURCE, Instant.now(),
                    new LikeCreated(banned, "waiting", owner)));
            Waits.until(() -> active("NOTIFYING") == 1, Duration.ofMinutes(1), () -> "the like waiting in NOTIFYING");

            events.publish(Topics.EVENTS, null, banned, Envelope.of("evt-ban", URI.create("urn:pushline:service:moderation"),
                    Instant.now(), new ProfileBanned(banned, "spam")));
            Waits.until(() -> banned(Flows.LIKE) == 1, Duration.ofMinutes(1),
                    () -> "the waiting like cancelled by the ban read on partition " + Keys.partitionFor(banned, PARTITIONS)
                            + ", its coordinator on partition " + Keys.partitionFor(owner, PARTITIONS));
            assertThat(active("NOTIFYING")).isZero();

            events.publish(Topics.EVENTS, null, owner, Envelope.of("evt-like-after", SOURCE, Instant.now(),
                    new LikeCreated(banned, "post-2", owner)));
            events.publish(Topics.EVENTS, null, owner, Envelope.of("evt-like-bystander", SOURCE, Instant.now(),
                    new LikeCreated("bystander", "post-3", owner)));
            Waits.until(() -> skipped("banned-actor") == 1 && started() == 2, Duration.ofMinutes(1),
                    () -> "the like after the ban skipped (" + skipped("banned-actor") + "), the bystander's started");
            List<PushTask> pushes = pushesUntil(broker, "evt-like-bystander", Duration.ofMinutes(1));
            assertThat(pushes).isNotEmpty().allSatisfy(p -> assertThat(p.sourceEventId()).isEqualTo("evt-like-bystander"));
        }
    }



    /** The committed push tasks, read until one of {@code eventId} is there (at most {@code timeout}). */
    private List<PushTask> pushesUntil(KafkaBroker broker, String eventId, Duration timeout) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("ban-pushes"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<PushTask> pushes = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.PUSH_HIGH));
            Waits.until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (codec.decode(r.headers(), r.value()) instanceof Decoded.Ok ok && ok.envelope().data() instanceof PushTask p) {
                        pushes.add(p);
                    }
                }
                return pushes.stream().anyMatch(p -> p.sourceEventId().equals(eventId));
            }, timeout, () -> "a push of " + eventId + " among " + pushes.size() + " read");
        }
        return pushes;
    }

    private double active(String state) {
        Gauge g = registry.find(CoordinatorMetrics.ACTIVE).tags("flow", Flows.LIKE, "state", state).gauge();
        return g == null ? 0 : g.value();
    }

    private double banned(String flow) {
        Counter c = registry.find(CoordinatorMetrics.BANNED).tags("flow", flow).counter();
        return c == null ? 0 : c.count();
    }

    private double skipped(String reason) {
        Counter c = registry.find(CoordinatorMetrics.SKIPPED).tags("flow", Flows.LIKE, "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private double started() {
        Counter c = registry.find(CoordinatorMetrics.STARTED).tags("flow", Flows.LIKE).counter();
        return c == null ? 0 : c.count();
    }
}
