package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.MutableClock;
import io.pushline.testkit.TestTopics;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process's receipts index against the real broker: both lanes share one index and one follower; a restore
 * starts at the retention boundary; receipts past the retention are neither held nor restored, and a push whose only
 * receipt is past it is dropped as expired rather than sent again; the high lane's numbers are restored first.
 */
@KafkaIntegrationTest
class ReceiptIndexIntegrationTest {
    private static final URI SOURCE = URI.create("test://receipt-index");
    private static final int PARTITIONS = 3;
    /** Short enough to step past with a clock: the least a TTL of an hour and a horizon of an hour allow. */
    private static final ReceiptsConfig TWO_HOURS =
            new ReceiptsConfig(Duration.ofHours(2), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10));
    private final CloudEventCodec codec = new CloudEventCodec();
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
        new TopicProvisioner(broker.admin(), Duration.ofSeconds(30)).ensure(Topics.catalogue(PARTITIONS, (short) 1));
        apns = MockApns.start();
        fcm = FakeFcm.start();
        closeables.add(apns);
        closeables.add(fcm);
        providers = new EnumMap<>(Platform.class);
        providers.put(Platform.APNS, ApnsProvider.builder().server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .build());
        providers.put(Platform.FCM, FcmProvider.builder().projectId("receipt-index-test")
                .credentials(GoogleCredentials.create(new AccessToken("test", Date.from(Instant.now().plus(Duration.ofDays(1))))))
                .endpoint(fcm.baseUrl()).build());
        providers.values().forEach(closeables::add);
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private static WorkerConfig config(Lane lane) {
        return WorkerConfig.defaults(lane).withGroupId(TestTopics.unique("receipt-index-" + lane)).withMaxInFlight(16);
    }

    private static PushTask task(String eventId, int n, Lane lane) {
        Platform platform = n % 2 == 0 ? Platform.APNS : Platform.FCM;
        String token = (platform == Platform.APNS ? "apns" : "fcm") + "-token-" + n + "-" + eventId.substring(0, 8);
        return new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, "user-" + n, token,
                platform == Platform.APNS ? io.pushline.contracts.Platform.APNS : io.pushline.contracts.Platform.FCM,
                platform == Platform.APNS ? "io.pushline.test" : "io.pushline.test.android",
                "title", "body", Map.of("n", Integer.toString(n)), null, 3600,
                lane == Lane.HIGH ? io.pushline.contracts.Priority.HIGH : io.pushline.contracts.Priority.NORMAL, lane);
    }

    private void publish(Envelope<PushTask> envelope) throws Exception {
        String topic = envelope.data().lane() == Lane.HIGH ? Topics.PUSH_HIGH : Topics.PUSH_BULK;
        producer.send(codec.toRecord(topic, envelope)).get(30, TimeUnit.SECONDS);
    }

    /** A receipt as a worker writes it (key {@code userId|pushId}, on the user's partition), with a given timestamp. */
    private void receipt(String userId, String pushId, long timestamp) {
        producer.send(new ProducerRecord<>(Topics.PUSH_RECEIPTS, Keys.partitionFor(userId, PARTITIONS), timestamp,
                Keys.compound(userId, pushId), "{}".getBytes(StandardCharsets.UTF_8)));
    }

    private long accepted() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
    }

    private long duplicates() {
        return apns.ledger().duplicateCount() + fcm.ledger().duplicateCount();
    }

    private static double count(MeterRegistry registry, String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static long followerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("pushline-receipts")).count();
    }

    private static long checkThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("pushline-follow-")).count();
    }

    @Test
    void bothLanesShareOneIndexAndOneFollowerAndHoldEachReceiptOnce() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        long threadsBefore = followerThreads();
        long checksBefore = checkThreads();
        ReceiptIndex shared = closing(ReceiptIndex.create(ReceiptsConfig.defaults(), broker.clientConfig(), registry, Clock.systemUTC()));
        SendChecks checks = closing(SendChecks.create(List.of(config(Lane.HIGH), config(Lane.BULK)), broker.clientConfig()));
        PushWorker high = closing(new PushWorker(config(Lane.HIGH), broker.clientConfig(), producer, providers, registry,
                Clock.systemUTC(), null, CompactedKeySet.Settings.KAFKA, LoopFaults.DEFAULT_TRANSIENT_BOUND, shared, checks));
        PushWorker bulk = closing(new PushWorker(config(Lane.BULK), broker.clientConfig(), producer, providers, registry,
                Clock.systemUTC(), null, CompactedKeySet.Settings.KAFKA, LoopFaults.DEFAULT_TRANSIENT_BOUND, shared, checks));
        high.start();
        bulk.start();
        Waits.until(() -> high.receiptPartitions().size() == PARTITIONS && bulk.receiptPartitions().size() == PARTITIONS,
                Duration.ofMinutes(1), "both lanes own every partition number");
        assertThat(followerThreads() - threadsBefore).as("one follower thread for both lanes").isEqualTo(1);
        // The send-time checks too: devices, bans and (for the bulk lane) unfollows, each followed once, not per lane.
        assertThat(checkThreads() - checksBefore).as("one follower per send-time check for both lanes").isEqualTo(3);

        String eventId = UUID.randomUUID().toString();
        List<PushTask> tasks = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            PushTask t = task(eventId, n, n < 20 ? Lane.HIGH : Lane.BULK);
            tasks.add(t);
            publish(Envelope.of(t.pushId(), SOURCE, Instant.now(), t));
        }
        Waits.until(() -> accepted() == 40 && shared.size() == 40, Duration.ofMinutes(1),
                () -> accepted() + " accepted, " + shared.size() + " receipts held");
        assertThat(shared.size()).as("each receipt held once").isEqualTo(40);
        assertThat(registry.get(WorkerMetrics.RECEIPTS_INDEXED).gauge().value()).isEqualTo(40);
        assertThat(registry.get(WorkerMetrics.RECEIPTS_INDEXED_BYTES).gauge().value()).isPositive();
        assertThat(tasks).isNotEmpty().allSatisfy(t -> {
            assertThat(high.holdsReceipt(t.pushId())).as("the high lane sees %s's receipt", t.lane()).isTrue();
            assertThat(bulk.holdsReceipt(t.pushId())).as("the bulk lane sees %s's receipt", t.lane()).isTrue();
        });
        // Each lane's gauge counts the receipts of the numbers it owns: here both own all.
        assertThat(high.receiptsHeld()).isEqualTo(40);
        assertThat(bulk.receiptsHeld()).isEqualTo(40);

        // The bulk lane goes: the numbers the high lane still owns stay held, with their receipts.
        bulk.close();
        assertThat(shared.heldNumbers()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(shared.size()).isEqualTo(40);
        assertThat(high.holdsReceipt(tasks.get(39).pushId())).as("a bulk push's receipt").isTrue();
        high.close();
        Waits.until(() -> shared.heldNumbers().isEmpty() && shared.size() == 0, Duration.ofSeconds(30),
                () -> "no lane owns a number: " + shared.heldNumbers());
        assertThat(duplicates()).isZero();
        assertThat(checkThreads() - checksBefore).as("the process's checks outlive its workers; their maker closes them").isEqualTo(3);
        shared.close();
        checks.close();
        Waits.until(() -> followerThreads() == threadsBefore, Duration.ofSeconds(15), "the follower thread ends with the index");
        Waits.until(() -> checkThreads() == checksBefore, Duration.ofSeconds(15), "the checks' threads end with them");
    }

    @Test
    void aRestoreStartsAtTheRetentionBoundaryAndReceiptsPastItLeaveAsTheClockMoves() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        long now = clock.millis();
        List<String> old = new ArrayList<>();
        List<String> hourOld = new ArrayList<>();
        List<String> fresh = new ArrayList<>();
        // Receipts older than the retention first, as a topic that has run for a while holds them, then recent ones.
        for (int n = 0; n < 3_000; n++) {
            String pushId = PushIds.pushId("urn:pushline:test", "old-event", "token-" + n);
            old.add(pushId);
            receipt("user-" + n, pushId, now - Duration.ofHours(3).toMillis());
        }
        for (int n = 0; n < 30; n++) {
            String pushId = PushIds.pushId("urn:pushline:test", "hour-old-event", "token-" + n);
            hourOld.add(pushId);
            receipt("user-" + n, pushId, now - Duration.ofHours(1).toMillis());
        }
        for (int n = 0; n < 15; n++) {
            String pushId = PushIds.pushId("urn:pushline:test", "fresh-event", "token-" + n);
            fresh.add(pushId);
            receipt("user-" + n, pushId, now);
        }
        producer.flush();

        ReceiptIndex index = closing(new ReceiptIndex(TWO_HOURS, broker.clientConfig(), Topics.PUSH_RECEIPTS, "pushline-receipts-test", clock));
        AtomicLong restores = new AtomicLong();
        ReceiptStore bulk = index.attach(config(Lane.BULK), took -> restores.incrementAndGet(), false);
        bulk.track(Set.of(0, 1, 2));
        index.start(Duration.ofSeconds(30));
        Waits.until(() -> bulk.isRestored(0) && bulk.isRestored(1) && bulk.isRestored(2) && restores.get() == 1,
                Duration.ofSeconds(30), "restored");
        assertThat(index.recordsRead()).as("read from the retention boundary on, not from the beginning").isEqualTo(45);
        assertThat(index.size()).isEqualTo(45);
        assertThat(old).isNotEmpty().noneMatch(bulk::contains);
        assertThat(hourOld).isNotEmpty().allMatch(bulk::contains);
        assertThat(fresh).isNotEmpty().allMatch(bulk::contains);

        // An hour and a bucket later, the hour-old receipts are past the retention: dropped, a bucket at a time.
        clock.advance(Duration.ofHours(1).plus(TWO_HOURS.bucket()));
        Waits.until(() -> index.size() == 15, Duration.ofSeconds(15), () -> index.size() + " receipts held");
        assertThat(index.expired()).isEqualTo(30);
        assertThat(hourOld).noneMatch(bulk::contains);
        assertThat(fresh).allMatch(bulk::contains);
        bulk.close();
    }

    @Test
    void aPushWhoseOnlyReceiptIsPastTheRetentionIsDroppedAsExpiredAfterARestartNotSentAgain() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        WorkerConfig config = config(Lane.BULK);
        String eventId = UUID.randomUUID().toString();
        List<Envelope<PushTask>> sent = new ArrayList<>();
        SimpleMeterRegistry first = new SimpleMeterRegistry();
        ReceiptIndex index = ReceiptIndex.create(TWO_HOURS, broker.clientConfig(), first, clock);
        PushWorker worker = new PushWorker(config, broker.clientConfig(), producer, providers, first, clock, null, index);
        try {
            worker.start();
            for (int n = 0; n < 10; n++) {
                PushTask t = task(eventId, n, Lane.BULK);   // TTL: an hour
                Envelope<PushTask> envelope = Envelope.of(t.pushId(), SOURCE, clock.instant(), t);
                sent.add(envelope);
                publish(envelope);
            }
            Waits.until(() -> accepted() == 10 && worker.receiptsHeld() == 10, Duration.ofMinutes(1),
                    () -> accepted() + " accepted, " + worker.receiptsHeld() + " receipts held");
            // Past the retention (and its last bucket): the receipts are no longer held.
            clock.advance(TWO_HOURS.retention().plus(TWO_HOURS.bucket()));
            Waits.until(() -> index.size() == 0, Duration.ofSeconds(15), () -> index.size() + " receipts held");
            assertThat(index.expired()).isEqualTo(10);
            assertThat(sent).isNotEmpty().noneMatch(e -> worker.holdsReceipt(e.data().pushId()));
        } finally {
            worker.close();
            index.close();
        }

        // The restart, still past the retention: nothing of the receipts topic is restored, and the tasks, delivered
        // once more (a producer retry, a replay), are past their TTL: dropped as expired, not sent a second time.
        SimpleMeterRegistry second = new SimpleMeterRegistry();
        ReceiptIndex restarted = closing(ReceiptIndex.create(TWO_HOURS, broker.clientConfig(), second, clock));
        PushWorker again = closing(new PushWorker(config, broker.clientConfig(), producer, providers, second, clock, null, restarted));
        again.start();
        Waits.until(() -> again.receiptPartitions().size() == PARTITIONS && second.find(WorkerMetrics.RECEIPTS_RESTORE).timer() != null,
                Duration.ofMinutes(1), "restored");
        assertThat(restarted.recordsRead()).as("every receipt is older than the retention boundary").isZero();
        for (Envelope<PushTask> envelope : sent) {
            publish(envelope);
        }
        Waits.until(() -> count(second, WorkerMetrics.PUSHES, "outcome", "expired") == 10, Duration.ofMinutes(1),
                () -> count(second, WorkerMetrics.PUSHES, "outcome", "expired") + " expired");
        assertThat(accepted()).as("nothing sent again").isEqualTo(10);
        assertThat(duplicates()).isZero();
        assertThat(count(second, WorkerMetrics.DEDUPLICATED)).as("no receipt was held to deduplicate with").isZero();
    }

    @Test
    void theHighLanesNumbersAreRestoredBeforeNumbersOnlyTheBulkLaneOwns() throws Exception {
        // Number 0 (the high lane's) has a long history within the retention; 1 and 2 (the bulk lane's) almost none.
        // Read side by side, 1 and 2 would be done at the first poll; with the high lane first, they wait for 0, which
        // takes many polls (fetches of at most 32 KB a partition).
        Random random = new Random(5);
        long now = System.currentTimeMillis();
        int onZero = 0;
        for (int n = 0; onZero < 10_000; n++) {
            String userId = "user-" + n;
            if (Keys.partitionFor(userId, PARTITIONS) == 0) {
                receipt(userId, new UUID(random.nextLong(), random.nextLong()).toString(), now);
                onZero++;
            } else if (n < 100) {
                receipt(userId, new UUID(random.nextLong(), random.nextLong()).toString(), now);
            }
        }
        producer.flush();

        Map<String, Object> smallFetches = new HashMap<>(broker.clientConfig());
        smallFetches.put("max.partition.fetch.bytes", 32 * 1024);
        ReceiptIndex index = closing(new ReceiptIndex(ReceiptsConfig.defaults(), smallFetches, Topics.PUSH_RECEIPTS,
                "pushline-receipts-test", Clock.systemUTC()));
        AtomicLong highDone = new AtomicLong();
        AtomicLong bulkDone = new AtomicLong();
        ReceiptStore high = index.attach(config(Lane.HIGH), took -> highDone.set(System.nanoTime()), false);
        ReceiptStore bulk = index.attach(config(Lane.BULK), took -> bulkDone.set(System.nanoTime()), false);
        high.track(Set.of(0));
        bulk.track(Set.of(1, 2));
        index.start(Duration.ofSeconds(30));
        Waits.until(() -> highDone.get() != 0 && bulkDone.get() != 0, Duration.ofSeconds(60), "both lanes restored");
        assertThat(bulkDone.get()).as("the bulk lane's numbers restored after the high lane's").isGreaterThan(highDone.get());
        assertThat(index.size()).isEqualTo(index.recordsRead()).isGreaterThan(10_000);
        assertThat(high.isRestored(1)).as("a number the high lane does not own is not restored for it").isFalse();
        high.close();
        bulk.close();
    }
}
