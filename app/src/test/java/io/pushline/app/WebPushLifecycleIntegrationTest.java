package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushSubscription;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.mock.PushLedger;
import io.pushline.mock.Verdict;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.workers.WorkerMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A web push subscription's life on the real broker, through the whole pipeline and the test push service: a push
 * service's 410 turns into a {@code DeviceUnregistered} and the device is gone; a registration older than that
 * invalidation loses, a newer re-subscription of the same endpoint wins; a 429 with {@code Retry-After} is retried no
 * sooner than it says.
 */
@KafkaIntegrationTest
class WebPushLifecycleIntegrationTest {
    private static final URI SOURCE = URI.create("test://webpush-lifecycle");
    private static final Duration RETRY_AFTER = Duration.ofSeconds(3);
    private final CloudEventCodec codec = new CloudEventCodec();

    @Test
    void goneThenResubscribedAndRateLimited(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String appId = TestTopics.unique("pushline-webpush");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, Replication.Choice.AUTO, stateDir, appId, 64);
        try (MockProviders mocks = MockProviders.start(registry);
             Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), mocks.providers, registry);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(settings.clients()),
                     new StringSerializer(), new ByteArraySerializer())) {
            PushSubscription gone = mocks.subscribeWebDevice();     // its push service will answer 410
            PushSubscription limited = mocks.subscribeWebDevice();  // its first push is answered 429, Retry-After 3
            String goneId = id(gone);
            String limitedId = id(limited);
            Set<String> goneNow = ConcurrentHashMap.newKeySet();
            goneNow.add(goneId);
            AtomicReference<Instant> firstLimited = new AtomicReference<>();
            mocks.webPush.behaviour((subscription, pushId) -> {
                if (goneNow.contains(subscription)) {
                    return Verdict.unregistered(Instant.now());
                }
                if (subscription.equals(limitedId) && firstLimited.compareAndSet(null, Instant.now())) {
                    return Verdict.tooManyRequests(RETRY_AFTER);
                }
                return Verdict.accept();
            });

            Instant registeredAt = Instant.now().minusSeconds(60);
            publish(producer, new DeviceRegistered("fan-gone", null, Platform.WEBPUSH, "web.test", registeredAt, gone));
            publish(producer, new DeviceRegistered("fan-limited", null, Platform.WEBPUSH, "web.test", registeredAt, limited));
            publish(producer, new FollowCreated("fan-gone", "author"));
            publish(producer, new FollowCreated("fan-limited", "author"));
            producer.flush();
            awaitState(admin, appId);

            // Post 1: the gone subscription is answered 410, the limited one 429 and then, no sooner than its
            // Retry-After, delivered.
            String post1 = post(producer);
            String limited1 = PushIds.pushId(SOURCE.toString(), post1, limited.token());
            await().atMost(Duration.ofMinutes(1)).until(() -> accepted(mocks, limited1).isPresent());
            Instant retried = accepted(mocks, limited1).orElseThrow().acceptedAt();
            assertThat(Duration.between(firstLimited.get(), retried)).as("the retry waited for Retry-After")
                    .isGreaterThanOrEqualTo(RETRY_AFTER.minusMillis(50));
            assertThat(registry.find(WorkerMetrics.RETRIES).tag("platform", "WEBPUSH").counter().count()).isEqualTo(1.0);

            DeviceUnregistered unregistered = await().atMost(Duration.ofMinutes(1))
                    .until(() -> unregistrationOf(settings, gone.token()), Optional::isPresent).orElseThrow();
            assertThat(unregistered.reason()).isEqualTo("Gone");
            Instant invalidatedAt = unregistered.invalidatedAt();
            assertThat(mocks.webPush.ledger().countsByToken()).doesNotContainKey(goneId);

            // The push service would take pushes again, but the device is unregistered: post 2 does not go to it.
            goneNow.clear();
            awaitState(admin, appId);
            assertThat(deliveredTo(mocks, producer, admin, limited)).as("post 2 to the live device").isEqualTo(1);
            assertThat(mocks.webPush.ledger().countsByToken()).as("post 2 to the unregistered one").doesNotContainKey(goneId);

            // A registration older than the invalidation (a late retry of the first one) loses: post 3 does not go.
            publish(producer, new DeviceRegistered("fan-gone", null, Platform.WEBPUSH, "web.test", invalidatedAt.minusSeconds(1), gone));
            producer.flush();
            awaitState(admin, appId);
            assertThat(deliveredTo(mocks, producer, admin, limited)).isEqualTo(1);
            assertThat(mocks.webPush.ledger().countsByToken()).as("post 3 after a stale registration").doesNotContainKey(goneId);

            // The browser subscribes again (same endpoint, as pushManager.subscribe gives back): newer, so it wins.
            publish(producer, new DeviceRegistered("fan-gone", null, Platform.WEBPUSH, "web.test", invalidatedAt.plusSeconds(1), gone));
            producer.flush();
            awaitState(admin, appId);
            String post4 = post(producer);
            String gone4 = PushIds.pushId(SOURCE.toString(), post4, gone.token());
            await().atMost(Duration.ofMinutes(1)).until(() -> accepted(mocks, gone4).isPresent());
            LocalStack.awaitCaughtUp(admin, "pushline-workers-bulk", List.of(Topics.PUSH_BULK), Duration.ofMinutes(1));
            assertThat(mocks.webPush.ledger().countsByToken().get(goneId)).as("post 4 to the re-subscribed device").isEqualTo(1);
            assertThat(mocks.webPush.ledger().countsByPushId().values()).as("each web push once").containsOnly(1);
            assertThat(mocks.webPush.refusals()).isEmpty();
        }
    }

    /** Posts, waits until {@code to} has the post's push and the bulk lane is caught up; the pushes to {@code to}. */
    private int deliveredTo(MockProviders mocks, KafkaProducer<String, byte[]> producer, Admin admin, PushSubscription to) {
        String post = post(producer);
        String pushId = PushIds.pushId(SOURCE.toString(), post, to.token());
        await().atMost(Duration.ofMinutes(1)).until(() -> accepted(mocks, pushId).isPresent());
        LocalStack.awaitCaughtUp(admin, "pushline-workers-bulk", List.of(Topics.PUSH_BULK), Duration.ofMinutes(1));
        return mocks.webPush.ledger().countsByPushId().getOrDefault(pushId, 0);
    }

    private static String id(PushSubscription subscription) {
        return subscription.endpoint().substring(subscription.endpoint().lastIndexOf('/') + 1);
    }

    private static Optional<PushLedger.Accepted> accepted(MockProviders mocks, String pushId) {
        return mocks.webPush.ledger().accepted().stream().filter(a -> a.pushId().equals(pushId)).findFirst();
    }

    private void awaitState(Admin admin, String appId) {
        LocalStack.awaitCaughtUp(admin, appId, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS,
                Topics.STATE_DEVICES), Duration.ofMinutes(2));
    }

    /** The DeviceUnregistered of {@code token} the workers published, if it is on the events topic yet. */
    private Optional<DeviceUnregistered> unregistrationOf(Pipeline.Settings settings, String token) {
        Map<String, Object> config = new HashMap<>(settings.clients());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.EVENTS));
            List<DeviceUnregistered> found = new ArrayList<>();
            Instant until = Instant.now().plusSeconds(5);
            while (found.isEmpty() && Instant.now().isBefore(until)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (codec.decode(record) instanceof Decoded.Ok ok && ok.envelope().data() instanceof DeviceUnregistered u
                            && u.token().equals(token)) {
                        found.add(u);
                    }
                }
            }
            return found.stream().findFirst();
        }
    }

    private String post(KafkaProducer<String, byte[]> producer) {
        String id = UUID.randomUUID().toString();
        publish(producer, id, new TimelinePosted("post-" + id, "author", "author posted", "hello"));
        producer.flush();
        return id;
    }

    private void publish(KafkaProducer<String, byte[]> producer, EventData data) {
        publish(producer, UUID.randomUUID().toString(), data);
    }

    private void publish(KafkaProducer<String, byte[]> producer, String id, EventData data) {
        producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data)));
    }
}
