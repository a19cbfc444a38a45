package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.mock.Behaviour;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.Verdict;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker against the real broker and the real Pushy client / Firebase Admin SDK talking to the mock servers:
 * delivery with receipts, no second send of a redelivered task, expired tasks dropped, invalid tokens turned into
 * DeviceUnregistered events, bad records dead-lettered.
 */
@KafkaIntegrationTest
class PushWorkerIntegrationTest {
    private static final URI SOURCE = URI.create("test://workers");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private MockApns apns;
    private FakeFcm fcm;
    private Map<Platform, PushProvider> providers;
    private KafkaProducer<String, byte[]> producer;
    private KafkaBroker broker;

    @BeforeEach
    void setUp(KafkaBroker broker) throws Exception {
        this.broker = broker;
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(broker.admin(), Duration.ofSeconds(30)).ensure(Topics.catalogue(3, (short) 1));
        apns = MockApns.start();
        fcm = FakeFcm.start();
        closeables.add(apns);
        closeables.add(fcm);
        providers = new EnumMap<>(Platform.class);
        providers.put(Platform.APNS, ApnsProvider.builder().server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .build());
        providers.put(Platform.FCM, FcmProvider.builder().projectId("worker-test")
                .credentials(GoogleCredentials.create(new AccessToken("test", Date.from(Instant.now().plus(Duration.ofDays(1))))))
                .endpoint(fcm.baseUrl()).build());
        providers.values().forEach(closeables::add);
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private PushWorker startWorker() {
        PushWorker worker = new PushWorker(WorkerConfig.defaults(Lane.BULK).withGroupId(TestTopics.unique("workers")).withMaxInFlight(16),
                broker.clientConfig(), producer, providers, registry);
        worker.start();
        return worker;
    }

    private PushTask task(String eventId, int n, Platform platform, Integer ttlSeconds) {
        String token = (platform == Platform.APNS ? "apns" : "fcm") + "-token-" + n + "-" + eventId.substring(0, 8);
        return new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, "user-" + n, token,
                platform == Platform.APNS ? io.pushline.contracts.Platform.APNS : io.pushline.contracts.Platform.FCM,
                platform == Platform.APNS ? "io.pushline.test" : "io.pushline.test.android",
                "title", "body", Map.of("n", Integer.toString(n)), null, ttlSeconds,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
    }

    private void publish(PushTask task, Instant createdAt) throws Exception {
        producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, createdAt, task))).get();
    }

    private List<ConsumerRecord<String, byte[]>> readAll(String topic, int atLeast) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("reader"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= atLeast;
            });
        }
        return records;
    }

    @Test
    void deliversWithReceiptsAndNeverSendsARedeliveredTaskTwice() throws Exception {
        String eventId = UUID.randomUUID().toString();
        List<PushTask> first = new ArrayList<>();
        for (int n = 0; n < 20; n++) {
            first.add(task(eventId, n, n % 2 == 0 ? Platform.APNS : Platform.FCM, 3600));
        }
        for (PushTask t : first) {
            publish(t, Instant.now());
        }
        PushWorker worker = startWorker();
        await().atMost(Duration.ofMinutes(1)).until(() -> apns.ledger().acceptedCount() + fcm.ledger().acceptedCount() == 20);
        worker.close();

        List<ConsumerRecord<String, byte[]>> receipts = readAll(Topics.PUSH_RECEIPTS, 20);
        assertThat(receipts).hasSize(20);
        Map<String, PushTask> byPushId = new HashMap<>();
        first.forEach(t -> byPushId.put(t.pushId(), t));
        assertThat(receipts).isNotEmpty().allSatisfy(r -> {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            assertThat(receipt.status()).isEqualTo(ReceiptStatus.DELIVERED);
            // Co-partitioned with the task: keyed userId|pushId, on the partition of the task's key (userId).
            String userId = byPushId.get(receipt.pushId()).userId();
            assertThat(r.key()).isEqualTo(io.pushline.contracts.Keys.compound(userId, receipt.pushId()));
            assertThat(r.partition()).isEqualTo(io.pushline.contracts.Keys.partitionFor(userId, 3));
        });

        // The same 20 tasks again (a redelivery after a crash looks like this), and 5 new ones, to a new worker.
        String second = UUID.randomUUID().toString();
        for (PushTask t : first) {
            publish(t, Instant.now());
        }
        for (int n = 0; n < 5; n++) {
            publish(task(second, n, Platform.APNS, 3600), Instant.now());
        }
        PushWorker restarted = startWorker();
        await().atMost(Duration.ofMinutes(1)).until(() -> apns.ledger().acceptedCount() + fcm.ledger().acceptedCount() == 25);
        await().atMost(Duration.ofMinutes(1)).until(() ->
                registry.find(WorkerMetrics.DEDUPLICATED).counters().stream().mapToDouble(c -> c.count()).sum() >= 40);
        restarted.close();
        assertThat(apns.ledger().duplicateCount() + fcm.ledger().duplicateCount()).isZero();
        assertThat(apns.ledger().acceptedCount() + fcm.ledger().acceptedCount()).isEqualTo(25);
    }

    @Test
    void badgeSoundKindCollapseKeyAndTtlOfATaskReachTheProvidersWire() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask base = task(eventId, 1, Platform.APNS, 3600);
        PushTask alert = new PushTask(base.pushId(), eventId, base.userId(), base.token(), base.platform(), base.appId(),
                "Alice liked your post", "", Map.of("post", "p-1"), "like-p-1", 3600, io.pushline.contracts.Priority.HIGH,
                Lane.BULK, 4, "chime.caf", null);
        PushTask fcmBase = task(eventId, 2, Platform.FCM, 3600);
        PushTask silent = new PushTask(fcmBase.pushId(), eventId, fcmBase.userId(), fcmBase.token(), fcmBase.platform(),
                fcmBase.appId(), "unused", "", Map.of("sync", "1"), null, null, io.pushline.contracts.Priority.NORMAL,
                Lane.BULK, 2, "chime", io.pushline.contracts.PushKind.BACKGROUND);
        Instant createdAt = Instant.now();
        publish(alert, createdAt);
        publish(silent, createdAt);
        PushWorker worker = startWorker();
        await().atMost(Duration.ofMinutes(1)).until(() -> apns.ledger().acceptedCount() + fcm.ledger().acceptedCount() == 2);
        worker.close();

        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        io.pushline.mock.PushLedger.WireRequest apnsWire = apns.ledger().wireRequest(alert.pushId()).orElseThrow();
        assertThat(apnsWire.headers()).containsEntry("apns-collapse-id", "like-p-1").containsEntry("apns-priority", "10")
                .containsEntry("apns-push-type", "alert").containsEntry("apns-topic", alert.appId());
        // The TTL runs from the task's ce_time, not from when the worker got to it.
        assertThat(Long.parseLong(apnsWire.headers().get("apns-expiration")))
                .isBetween(createdAt.getEpochSecond() + 3599, createdAt.getEpochSecond() + 3601);
        com.fasterxml.jackson.databind.JsonNode aps = json.readTree(apnsWire.body()).path("aps");
        assertThat(aps.path("badge").asInt()).isEqualTo(4);
        assertThat(aps.path("sound").asText()).isEqualTo("chime.caf");
        assertThat(aps.at("/alert/title").asText()).isEqualTo("Alice liked your post");

        com.fasterxml.jackson.databind.JsonNode message = json.readTree(fcm.ledger().wireRequest(silent.pushId()).orElseThrow().body());
        assertThat(message.has("notification")).isFalse();
        assertThat(message.at("/android/notification").isMissingNode()).isTrue();
        assertThat(message.at("/android/priority").asText()).isEqualTo("normal");
        assertThat(message.at("/data/sync").asText()).isEqualTo("1");
    }

    @Test
    void aDeviceUnregisteredAfterItsPushWasQueuedIsSkippedAndOneRegisteredAgainIsNot() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask gone = task(eventId, 1, Platform.APNS, 3600);
        PushTask back = task(eventId, 2, Platform.FCM, 3600);
        PushTask fine = task(eventId, 3, Platform.APNS, 3600);
        for (PushTask t : List.of(gone, back, fine)) {
            publish(t, Instant.now());
        }
        // What the registry writes to state.devices: a tombstone when a device is unregistered, a value when registered.
        producer.send(new ProducerRecord<>(Topics.STATE_DEVICES, io.pushline.contracts.Keys.compound(gone.userId(), gone.token()), null)).get();
        producer.send(new ProducerRecord<>(Topics.STATE_DEVICES, io.pushline.contracts.Keys.compound(back.userId(), back.token()), null)).get();
        producer.send(new ProducerRecord<>(Topics.STATE_DEVICES, io.pushline.contracts.Keys.compound(back.userId(), back.token()),
                "registered again".getBytes(StandardCharsets.UTF_8))).get();

        PushWorker worker = startWorker();
        List<ConsumerRecord<String, byte[]>> receipts = readAll(Topics.PUSH_RECEIPTS, 3);
        worker.close();

        Map<String, PushReceipt> byPushId = new HashMap<>();
        receipts.forEach(r -> {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            byPushId.put(receipt.pushId(), receipt);
        });
        assertThat(byPushId.get(gone.pushId()).status()).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(byPushId.get(gone.pushId()).reason()).isEqualTo("device unregistered before the push was sent");
        assertThat(byPushId.get(back.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(byPushId.get(fine.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(apns.ledger().countsByPushId()).containsOnlyKeys(fine.pushId());
        assertThat(fcm.ledger().countsByPushId()).containsOnlyKeys(back.pushId());
    }

    @Test
    void aPushAboutABannedProfileQueuedBeforeTheBanIsCancelled() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask base = task(eventId, 1, Platform.APNS, 3600);
        PushTask aboutBanned = new PushTask(base.pushId(), eventId, base.userId(), base.token(), base.platform(), base.appId(),
                "spammer posted", "", Map.of("postId", "p-1", "authorId", "spammer"), null, 3600,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
        PushTask other = task(eventId, 2, Platform.FCM, 3600);
        // "spammer liked your post", as the like coordinator writes it: the banned profile is the actor.
        PushTask likeBase = task(eventId, 3, Platform.FCM, 3600);
        PushTask likeByBanned = new PushTask(likeBase.pushId(), eventId, likeBase.userId(), likeBase.token(), likeBase.platform(),
                likeBase.appId(), "New like", "spammer liked your post",
                Map.of("type", "like", "postId", "p-2", "actorId", "spammer", "notificationId", "n-1"), null, 3600,
                io.pushline.contracts.Priority.HIGH, Lane.HIGH);
        publish(aboutBanned, Instant.now());
        publish(other, Instant.now());
        publish(likeByBanned, Instant.now());
        // What the topology writes on a ban: the profile on the compacted banned-profiles topic.
        producer.send(new ProducerRecord<>(Topics.STATE_BANNED_PROFILES, "spammer", "banned".getBytes(StandardCharsets.UTF_8))).get();

        PushWorker worker = startWorker();
        List<ConsumerRecord<String, byte[]>> receipts = readAll(Topics.PUSH_RECEIPTS, 3);
        worker.close();

        Map<String, PushReceipt> byPushId = new HashMap<>();
        receipts.forEach(r -> {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            byPushId.put(receipt.pushId(), receipt);
        });
        assertThat(byPushId.get(aboutBanned.pushId()).status()).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(byPushId.get(aboutBanned.pushId()).reason()).isEqualTo("profile spammer (its author) was banned before the push was sent");
        assertThat(byPushId.get(likeByBanned.pushId()).status()).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(byPushId.get(likeByBanned.pushId()).reason()).isEqualTo("profile spammer (its actor) was banned before the push was sent");
        assertThat(byPushId.get(other.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(apns.ledger().acceptedCount()).isZero();
        assertThat(fcm.ledger().countsByPushId()).containsOnlyKeys(other.pushId());
        assertThat(registry.get(WorkerMetrics.PUSHES).tags("outcome", "banned").counters()).isNotEmpty()
                .satisfies(counters -> assertThat(counters.stream().mapToDouble(c -> c.count()).sum()).isEqualTo(2.0));
    }

    @Test
    void aQueuedTimelinePushToAFollowerWhoUnfollowedIsNotSentWhileARefollowsLaterOneIs() throws Exception {
        Instant posted = Instant.now().minus(Duration.ofMinutes(5));
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        PushTask beforeUnfollow = timeline(first, 1, "author-a");   // queued while user-1 still followed author-a
        PushTask stillFollowing = timeline(first, 2, "author-a");   // user-2 never unfollowed
        PushTask afterRefollow = timeline(second, 1, "author-a");   // user-1 followed again, then author-a posted again
        publish(beforeUnfollow, posted);
        publish(stillFollowing, posted);
        // What the router writes on the follows topic: a tombstone when user-1 unfollows, a value when they follow again.
        String edge = io.pushline.contracts.Keys.compound("user-1", "author-a");
        int partition = io.pushline.contracts.Keys.partitionFor("user-1", 3);
        long unfollowedAt = posted.plusSeconds(60).toEpochMilli();
        producer.send(new ProducerRecord<>(Topics.STATE_FOLLOWS, partition, unfollowedAt, edge, (byte[]) null)).get();
        producer.send(new ProducerRecord<>(Topics.STATE_FOLLOWS, partition, unfollowedAt + 60_000, edge,
                "followed again".getBytes(StandardCharsets.UTF_8))).get();
        publish(afterRefollow, posted.plusSeconds(180));

        PushWorker worker = startWorker();
        List<ConsumerRecord<String, byte[]>> receipts = readAll(Topics.PUSH_RECEIPTS, 3);
        worker.close();

        Map<String, PushReceipt> byPushId = new HashMap<>();
        receipts.forEach(r -> {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            byPushId.put(receipt.pushId(), receipt);
        });
        assertThat(byPushId.get(beforeUnfollow.pushId()).status()).isEqualTo(ReceiptStatus.CANCELLED);
        assertThat(byPushId.get(beforeUnfollow.pushId()).reason()).isEqualTo("user-1 unfollowed author-a after the push was queued");
        assertThat(byPushId.get(stillFollowing.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(byPushId.get(afterRefollow.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(fcm.ledger().countsByPushId()).containsOnlyKeys(stillFollowing.pushId(), afterRefollow.pushId());
        assertThat(registry.get(WorkerMetrics.PUSHES).tags("outcome", "unfollowed").counter().count()).isEqualTo(1.0);
    }

    /** A timeline push to user-{@code n}, as the expansion writes it: about {@code author}'s post, on the bulk lane. */
    private PushTask timeline(String eventId, int n, String author) {
        PushTask base = task(eventId, n, Platform.FCM, 3600);
        return new PushTask(base.pushId(), eventId, base.userId(), base.token(), base.platform(), base.appId(),
                author + " posted", "", Map.of("postId", "p-" + eventId.substring(0, 8), "authorId", author), null, 3600,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
    }

    @Test
    void expiredTasksAreDroppedInvalidTokensBecomeEventsAndBadRecordsAreDeadLettered() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask expired = task(eventId, 1, Platform.APNS, 60);
        PushTask dead = task(eventId, 2, Platform.APNS, 3600);
        PushTask fine = task(eventId, 3, Platform.FCM, 3600);
        Instant invalidatedAt = Instant.parse("2026-06-01T12:00:00Z");
        apns.behaviour(Behaviour.forTokens(dead.token()::equals, Verdict.unregistered(invalidatedAt)).orElse(Behaviour.acceptAll()));

        publish(expired, Instant.now().minus(Duration.ofHours(1)));
        publish(dead, Instant.now());
        producer.send(new ProducerRecord<>(Topics.PUSH_BULK, null, "k", "{oops".getBytes(StandardCharsets.UTF_8), new RecordHeaders())).get();
        publish(fine, Instant.now());
        PushWorker worker = startWorker();

        List<ConsumerRecord<String, byte[]>> events = readAll(Topics.EVENTS, 1);
        DeviceUnregistered unregistered = (DeviceUnregistered) ((Decoded.Ok) codec.decode(events.get(0).headers(), events.get(0).value()))
                .envelope().data();
        assertThat(unregistered.token()).isEqualTo(dead.token());
        assertThat(unregistered.invalidatedAt()).isEqualTo(invalidatedAt);
        assertThat(events.get(0).key()).as("keyed by token, like every device event").isEqualTo(dead.token());

        List<ConsumerRecord<String, byte[]>> letters = readAll(Topics.DEAD_LETTERS, 1);
        assertThat(new String(letters.get(0).headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8))
                .isEqualTo(DeadLetterReason.NO_HEADERS.name());

        List<ConsumerRecord<String, byte[]>> receipts = readAll(Topics.PUSH_RECEIPTS, 3);
        Map<String, ReceiptStatus> statuses = new HashMap<>();
        receipts.forEach(r -> {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            statuses.put(receipt.pushId(), receipt.status());
        });
        worker.close();
        assertThat(statuses).containsEntry(expired.pushId(), ReceiptStatus.EXPIRED)
                .containsEntry(dead.pushId(), ReceiptStatus.REJECTED)
                .containsEntry(fine.pushId(), ReceiptStatus.DELIVERED);
        assertThat(apns.ledger().countsByToken()).doesNotContainKey(expired.token()).doesNotContainKey(dead.token());
        assertThat(fcm.ledger().countsByToken()).containsEntry(fine.token(), 1);
    }
}
