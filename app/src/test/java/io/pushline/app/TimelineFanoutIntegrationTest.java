package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.observability.ConsumerLag;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushSubscription;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The thin path, end to end, against the real broker: TimelinePosted → router → follower-partitioned state →
 * partition-local expansion → push tasks in Kafka → worker → Pushy's MockApnsServer (HTTP/2, TLS), the fake FCM
 * server driven by the real Firebase Admin SDK, and the test web push service, which decrypts every web push with
 * the subscriber's keys and checks its VAPID JWT. One post reaches devices of all three kinds at once.
 *
 * <p>The expected deliveries are computed here from the graph the test defines, independently of the pipeline.
 */
@KafkaIntegrationTest
class TimelineFanoutIntegrationTest {
    private static final URI SOURCE = URI.create("test://timeline-fanout");
    private final CloudEventCodec codec = new CloudEventCodec();

    /** A device; a web device's token is derived from its subscription when it registers. */
    record Device(String user, String token, Platform platform, PushSubscription subscription) {}

    @Test
    void everyFollowerDeviceGetsEachPostOnceAndNobodyElseGetsAny(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));

        // 50 users; users 0-19 have 3 devices, users 20-49 have 2: 120 devices, APNs, FCM and web push in turn.
        List<String> users = new ArrayList<>();
        List<Device> devices = new ArrayList<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MockProviders mocks = MockProviders.start(registry);
        for (int u = 0; u < 50; u++) {
            String user = "user-" + u;
            users.add(user);
            for (int d = 0; d < (u < 20 ? 3 : 2); d++) {
                Platform platform = Platform.values()[devices.size() % 3];
                if (platform == Platform.WEBPUSH) {
                    PushSubscription subscription = mocks.subscribeWebDevice();
                    devices.add(new Device(user, subscription.token(), platform, subscription));
                } else {
                    devices.add(new Device(user, "tok" + u + "x" + d + "-" + UUID.randomUUID(), platform, null));
                }
            }
        }
        assertThat(devices).hasSize(120);
        // Authors user-0, user-1, user-2. Even users follow user-0, multiples of 3 follow user-1, users 40-49 follow user-2.
        Map<String, Set<String>> followers = new HashMap<>();
        List<FollowCreated> follows = new ArrayList<>();
        for (int u = 3; u < 50; u++) {
            if (u % 2 == 0) {
                follows.add(new FollowCreated("user-" + u, "user-0"));
            }
            if (u % 3 == 0) {
                follows.add(new FollowCreated("user-" + u, "user-1"));
            }
            if (u >= 40) {
                follows.add(new FollowCreated("user-" + u, "user-2"));
            }
            follows.add(new FollowCreated("user-" + u, "user-" + (u % 7 + 30)));   // noise: edges to non-authors
        }
        follows.forEach(f -> followers.computeIfAbsent(f.followeeId(), k -> new HashSet<>()).add(f.followerId()));
        // user-10 unfollows user-0 before the posts: user-10 follows nobody who posts, so must receive nothing.
        FollowRemoved unfollow = new FollowRemoved("user-10", "user-0");
        followers.get("user-0").remove("user-10");
        assertThat(followers.get("user-1")).doesNotContain("user-10");

        String appId = TestTopics.unique("pushline-it");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, Replication.Choice.AUTO, stateDir, appId, 64);
        try (mocks;
             Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), mocks.providers, registry);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(settings.clients()),
                     new StringSerializer(), new ByteArraySerializer())) {
            Instant registeredAt = Instant.now();
            for (Device d : devices) {
                // A web device registers its subscription as the browser gives it, without a token.
                publish(producer, d.platform() == Platform.WEBPUSH
                        ? new DeviceRegistered(d.user(), null, d.platform(), "io.pushline.test.web", registeredAt, d.subscription())
                        : new DeviceRegistered(d.user(), d.token(), d.platform(),
                        d.platform() == Platform.APNS ? "io.pushline.test" : "io.pushline.test.android", registeredAt));
            }
            // Each follow also notifies its followee ("X followed you", the follow coordinator): those pushes are
            // allowed beside the posts' (at most once each), and nothing else.
            Set<String> followNotifications = new HashSet<>();
            for (FollowCreated f : follows) {
                String followId = publish(producer, f);
                devices.stream().filter(d -> d.user().equals(f.followeeId()))
                        .forEach(d -> followNotifications.add(PushIds.pushId(SOURCE.toString(), followId, d.token())));
            }
            publish(producer, unfollow);
            producer.flush();
            ConsumerLag lag = new ConsumerLag(admin);
            LocalStack.awaitCaughtUp(admin, appId, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES),
                    Duration.ofMinutes(2));

            Map<String, Set<String>> expectedByToken = new HashMap<>();
            Set<String> expectedPushIds = new HashSet<>();
            Map<String, String> webPayloads = new HashMap<>();   // push id → the JSON the web app must receive
            for (String author : List.of("user-0", "user-1", "user-2")) {
                String eventId = UUID.randomUUID().toString();
                for (Device d : devices) {
                    if (followers.getOrDefault(author, Set.of()).contains(d.user())) {
                        String pushId = PushIds.pushId(SOURCE.toString(), eventId, d.token());
                        expectedByToken.computeIfAbsent(d.token(), k -> new HashSet<>()).add(pushId);
                        expectedPushIds.add(pushId);
                        if (d.platform() == Platform.WEBPUSH) {
                            webPayloads.put(pushId, "{\"title\":\"" + author + " posted\",\"body\":\"hello\",\"data\":{\"authorId\":\""
                                    + author + "\",\"postId\":\"post-of-" + author + "\",\"pushline_push_id\":\"" + pushId + "\"}}");
                        }
                    }
                }
                publish(producer, eventId, new TimelinePosted("post-of-" + author, author, author + " posted", "hello"));
            }
            producer.flush();
            assertThat(expectedPushIds).hasSizeGreaterThan(100);

            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> mocks.acceptedByPushId().keySet().containsAll(expectedPushIds));
            LocalStack.awaitCaughtUp(admin, "pushline-workers-bulk", List.of(Topics.PUSH_BULK), Duration.ofMinutes(1));

            Map<String, Integer> byPushId = mocks.acceptedByPushId();
            assertThat(byPushId.values()).as("each push accepted once").containsOnly(1);
            Set<String> others = new HashSet<>(byPushId.keySet());
            others.removeAll(expectedPushIds);
            assertThat(others).as("besides the posts' pushes, only follow notifications").isSubsetOf(followNotifications);
            Map<String, Integer> postsByToken = new HashMap<>();
            for (Device d : devices) {
                for (String pushId : expectedByToken.getOrDefault(d.token(), Set.of())) {
                    postsByToken.merge(d.token(), byPushId.getOrDefault(pushId, 0), Integer::sum);
                }
                int expected = expectedByToken.getOrDefault(d.token(), Set.of()).size();
                assertThat(postsByToken.getOrDefault(d.token(), 0)).as("post pushes to %s of %s", d.platform(), d.user()).isEqualTo(expected);
            }
            Map<String, Integer> byToken = new HashMap<>(mocks.apns.ledger().countsByToken());
            mocks.fcm.ledger().countsByToken().forEach((t, n) -> byToken.merge(t, n, Integer::sum));
            devices.stream().filter(d -> d.user().equals("user-10") && d.platform() != Platform.WEBPUSH)
                    .forEach(d -> assertThat(byToken).doesNotContainKey(d.token()));
            assertThat(mocks.apns.ledger().acceptedCount()).isPositive();
            assertThat(mocks.fcm.ledger().acceptedCount()).isPositive();
            // Every web push was decrypted by the test push service with its subscriber's keys (after its VAPID JWT
            // was checked): what it decrypted is exactly what the post said, with the push's id.
            assertThat(webPayloads).hasSizeGreaterThan(20);
            assertThat(mocks.webPush.ledger().acceptedCount()).isEqualTo(webPayloads.size()
                    + others.stream().filter(id -> mocks.webPush.ledger().countsByPushId().containsKey(id)).count());
            assertThat(mocks.webPush.refusals()).as("pushes the service refused (VAPID, encryption)").isEmpty();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            for (Map.Entry<String, String> sent : webPayloads.entrySet()) {
                String received = mocks.webPush.ledger().wireRequest(sent.getKey()).orElseThrow().body();
                assertThat(json.readTree(received)).as("decrypted payload of %s", sent.getKey()).isEqualTo(json.readTree(sent.getValue()));
            }
            Set<String> webToUser10 = new HashSet<>();
            devices.stream().filter(d -> d.user().equals("user-10") && d.platform() == Platform.WEBPUSH)
                    .forEach(d -> webToUser10.add(d.subscription().endpoint().substring(d.subscription().endpoint().lastIndexOf('/') + 1)));
            assertThat(mocks.webPush.ledger().countsByToken()).doesNotContainKeys(webToUser10.toArray(String[]::new));
        }
    }

    private String publish(KafkaProducer<String, byte[]> producer, EventData data) {
        String id = UUID.randomUUID().toString();
        publish(producer, id, data);
        return id;
    }

    private void publish(KafkaProducer<String, byte[]> producer, String id, EventData data) {
        producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data)));
    }
}
