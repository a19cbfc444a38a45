package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.mock.PushLedger;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.topology.AppWeights;
import io.pushline.workers.WorkerMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two apps sharing the bulk lane by their weights, end to end on the real broker: both apps' fanouts are expanded
 * before any worker runs (their tasks interleaved in the partitions the way the posts' order left them, the big app's
 * first), then workers with a narrow in-flight window deliver them. The order in which the mock APNs accepted the
 * pushes is the share each app had of the lane.
 */
@KafkaIntegrationTest
class AppSharesIntegrationTest {
    private static final URI SOURCE = URI.create("test://app-shares");
    private static final int AUDIENCE = 600;
    private final CloudEventCodec codec = new CloudEventCodec();

    @Test
    void theBigAppsTasksReadFirstStillLeaveTheSmallAppItsWeightedShare(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        String appId = TestTopics.unique("pushline-app-shares");
        AppWeights weights = AppWeights.parse("big.example=3,small.example=1");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, Replication.Choice.AUTO,
                stateDir, appId, 4);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Pipeline.Tuning tuning = Pipeline.Tuning.NONE.topology(t -> t.withAppWeights(weights))
                .workers(w -> w.withAppShares(weights::weight, w.readAhead()));

        try (MockProviders mocks = MockProviders.start(new SimpleMeterRegistry());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(settings.clients()),
                     new StringSerializer(), new ByteArraySerializer());
             Pipeline router = Pipeline.startLanes(settings, EnumSet.of(ProcessRole.ROUTER), Map.of(), registry, tuning)) {
            Map<String, Set<String>> expected = Map.of("big.example", new HashSet<>(), "small.example", new HashSet<>());
            List<String> tokensBig = audience(producer, "author-big");
            List<String> tokensSmall = audience(producer, "author-small");
            producer.flush();
            LocalStack.awaitCaughtUp(admin, appId, List.of(Topics.EVENTS, Topics.STATE_DEVICES, Topics.STATE_FOLLOWS), Duration.ofMinutes(1));

            String bigPost = publish(producer, new TimelinePosted("p-big", "author-big", "t", "b", "big.example"));
            String smallPost = publish(producer, new TimelinePosted("p-small", "author-small", "t", "b", "small.example"));
            producer.flush();
            tokensBig.forEach(t -> expected.get("big.example").add(PushIds.pushId(SOURCE.toString(), bigPost, t)));
            tokensSmall.forEach(t -> expected.get("small.example").add(PushIds.pushId(SOURCE.toString(), smallPost, t)));
            // Both fanouts expanded (each in its first page) and their transactions committed.
            await().atMost(Duration.ofMinutes(1)).until(() -> appPushes(registry, "big.example") == AUDIENCE
                    && appPushes(registry, "small.example") == AUDIENCE && bulkTasks(admin) >= 2L * AUDIENCE);

            try (Pipeline workers = Pipeline.startLanes(settings, EnumSet.of(ProcessRole.WORKERS), mocks.byLane(), registry, tuning)) {
                await().atMost(Duration.ofMinutes(2)).until(() -> mocks.acceptedCount() >= 2L * AUDIENCE);
                List<PushLedger.Accepted> order = mocks.apns.ledger().accepted().stream()
                        .sorted(Comparator.comparing(PushLedger.Accepted::acceptedAt)).toList();
                assertThat(order).hasSize(2 * AUDIENCE);
                // While both apps had tasks waiting (the first 400 of the small app's 600 at a quarter of the lane).
                long small = order.subList(0, 400).stream().filter(a -> expected.get("small.example").contains(a.pushId())).count();
                assertThat(small).as("the small app's pushes among the first 400 (weights 3:1: 100)").isBetween(80L, 120L);
                assertThat(order.stream().map(PushLedger.Accepted::pushId).collect(Collectors.toSet()))
                        .containsAll(expected.get("big.example")).containsAll(expected.get("small.example"));
                assertThat(registry.get(WorkerMetrics.APP_WAIT).tag("app", "small.example").timer().count()).isEqualTo(AUDIENCE);
                assertThat(registry.get(WorkerMetrics.APP_WAIT).tag("app", "big.example").timer().count()).isEqualTo(AUDIENCE);
                LocalStack.awaitCaughtUp(admin, "pushline-workers-bulk", List.of(Topics.PUSH_BULK), Duration.ofMinutes(1));
                assertThat(mocks.acceptedByPushId().values()).as("each once").allMatch(n -> n == 1);
            }
        }
    }

    /** {@link #AUDIENCE} followers of {@code author}, one APNs device each; their tokens. */
    private List<String> audience(KafkaProducer<String, byte[]> producer, String author) {
        return IntStream.range(0, AUDIENCE).mapToObj(i -> {
            String fan = author + "-fan-" + i;
            String token = String.format("%064x", (long) (author.hashCode() & 0x7fffffff) * 1_000_000L + i);
            publish(producer, new DeviceRegistered(fan, token, Platform.APNS, "io.pushline.test", Instant.now()));
            publish(producer, new FollowCreated(fan, author));
            return token;
        }).toList();
    }

    private static double appPushes(SimpleMeterRegistry registry, String app) {
        io.micrometer.core.instrument.Counter counter = registry.find(io.pushline.topology.TopologyMetrics.APP_PUSHES)
                .tag(io.pushline.topology.TopologyMetrics.TAG_APP, app).counter();
        return counter == null ? 0 : counter.count();
    }

    private long bulkTasks(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
        admin.describeTopics(List.of(Topics.PUSH_BULK)).allTopicNames().get().get(Topics.PUSH_BULK).partitions()
                .forEach(p -> ends.put(new TopicPartition(Topics.PUSH_BULK, p.partition()), OffsetSpec.latest()));
        // End offsets count the transactions' commit markers too: one per partition per expansion transaction.
        return admin.listOffsets(ends).all().get().values().stream().mapToLong(o -> o.offset()).sum();
    }

    private String publish(KafkaProducer<String, byte[]> producer, EventData data) {
        String id = UUID.randomUUID().toString();
        producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data)));
        return id;
    }
}
