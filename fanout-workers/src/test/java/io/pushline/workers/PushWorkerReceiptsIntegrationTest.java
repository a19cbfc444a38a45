package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
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
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Receipts co-partitioned with the tasks, against the real broker and the real provider clients talking to the mock
 * servers: a worker holds only the receipts of the partitions it owns, restores a partition's receipts when it is
 * assigned before sending any of its tasks, follows receipts written after that, and honours receipts of the previous
 * key format.
 */
@KafkaIntegrationTest
class PushWorkerReceiptsIntegrationTest {
    private static final URI SOURCE = URI.create("test://workers-receipts");
    private static final int PARTITIONS = 3;
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
        providers.put(Platform.FCM, FcmProvider.builder().projectId("worker-receipts-test")
                .credentials(GoogleCredentials.create(new AccessToken("test", Date.from(Instant.now().plus(Duration.ofDays(1))))))
                .endpoint(fcm.baseUrl()).build());
        providers.values().forEach(closeables::add);
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private PushWorker start(WorkerConfig config, MeterRegistry registry) {
        PushWorker worker = new PushWorker(config, broker.clientConfig(), producer, providers, registry);
        closeables.add(worker);
        worker.start();
        return worker;
    }

    private static WorkerConfig config() {
        return WorkerConfig.defaults(Lane.BULK).withGroupId(TestTopics.unique("workers-receipts")).withMaxInFlight(16);
    }

    private static PushTask task(String eventId, int n) {
        Platform platform = n % 2 == 0 ? Platform.APNS : Platform.FCM;
        String token = (platform == Platform.APNS ? "apns" : "fcm") + "-token-" + n + "-" + eventId.substring(0, 8);
        return new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, "user-" + n, token,
                platform == Platform.APNS ? io.pushline.contracts.Platform.APNS : io.pushline.contracts.Platform.FCM,
                platform == Platform.APNS ? "io.pushline.test" : "io.pushline.test.android",
                "title", "body", Map.of("n", Integer.toString(n)), null, 3600,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
    }

    private RecordMetadata publish(PushTask task) throws Exception {
        return producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, Instant.now(), task)))
                .get(30, TimeUnit.SECONDS);
    }

    /** A DELIVERED receipt as another worker (or a crashed one) wrote it; {@code oldKey}: keyed by the bare push id. */
    private ProducerRecord<String, byte[]> receipt(PushTask task, boolean oldKey) {
        PushReceipt receipt = new PushReceipt(task.pushId(), task.sourceEventId(), task.token(), task.platform(),
                ReceiptStatus.DELIVERED, "provider-id", null, Instant.now());
        ProducerRecord<String, byte[]> encoded = codec.toRecord(Topics.PUSH_RECEIPTS,
                Envelope.of("receipt-" + task.pushId(), SOURCE, Instant.now(), receipt));
        if (oldKey) {
            // What the previous version wrote: key pushId, placed by the default partitioner.
            return new ProducerRecord<>(Topics.PUSH_RECEIPTS, null, task.pushId(), encoded.value(), encoded.headers());
        }
        return new ProducerRecord<>(Topics.PUSH_RECEIPTS, Keys.partitionFor(task.userId(), PARTITIONS),
                Keys.compound(task.userId(), task.pushId()), encoded.value(), encoded.headers());
    }

    private long accepted() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
    }

    private long duplicates() {
        return apns.ledger().duplicateCount() + fcm.ledger().duplicateCount();
    }

    private Set<String> sent() {
        Set<String> ids = new HashSet<>(apns.ledger().countsByPushId().keySet());
        ids.addAll(fcm.ledger().countsByPushId().keySet());
        return ids;
    }

    private static double deduplicated(MeterRegistry... registries) {
        double sum = 0;
        for (MeterRegistry registry : registries) {
            sum += registry.find(WorkerMetrics.DEDUPLICATED).counters().stream().mapToDouble(c -> c.count()).sum();
        }
        return sum;
    }

    private static double held(MeterRegistry registry) {
        return registry.get(WorkerMetrics.RECEIPTS_HELD).tag("lane", "bulk").gauge().value();
    }

    @Test
    void eachWorkerHoldsOnlyItsPartitionsReceiptsAndTheSurvivorNeverResendsWhatTheOtherDelivered() throws Exception {
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        WorkerConfig config = config();
        PushWorker a = start(config, registryA);
        PushWorker b = start(config, registryB);
        await().atMost(Duration.ofMinutes(1)).until(() -> !a.receiptPartitions().isEmpty() && !b.receiptPartitions().isEmpty()
                && a.receiptPartitions().size() + b.receiptPartitions().size() == PARTITIONS);
        Set<Integer> partitionsOfA = a.receiptPartitions();
        Set<Integer> partitionsOfB = b.receiptPartitions();
        assertThat(partitionsOfA).doesNotContainAnyElementsOf(partitionsOfB);

        String eventId = UUID.randomUUID().toString();
        List<PushTask> tasks = new ArrayList<>();
        Map<String, Integer> partitionOf = new HashMap<>();
        for (int n = 0; n < 60; n++) {
            PushTask t = task(eventId, n);
            tasks.add(t);
            partitionOf.put(t.pushId(), publish(t).partition());
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> accepted() == 60);
        long ofA = tasks.stream().filter(t -> partitionsOfA.contains(partitionOf.get(t.pushId()))).count();
        assertThat(ofA).as("both workers had tasks").isBetween(1L, 59L);

        // Each holds the receipts of its own partitions and none of the other's (the gauge says the same).
        await().atMost(Duration.ofSeconds(30)).until(() -> a.receiptsHeld() == ofA && b.receiptsHeld() == 60 - ofA);
        for (PushTask t : tasks) {
            boolean onA = partitionsOfA.contains(partitionOf.get(t.pushId()));
            assertThat(a.holdsReceipt(t.pushId())).as("A holds %s", t.pushId()).isEqualTo(onA);
            assertThat(b.holdsReceipt(t.pushId())).as("B holds %s", t.pushId()).isEqualTo(!onA);
        }
        assertThat(held(registryA)).isEqualTo(ofA);
        assertThat(held(registryB)).isEqualTo(60 - ofA);
        assertThat(a.receiptPartitions()).isEqualTo(partitionsOfA);

        // A stops gracefully; B takes its partitions and restores their receipts before sending any of their tasks.
        // Every task is redelivered (what a producer retry or a replay looks like): nothing may be sent twice.
        a.close();
        for (PushTask t : tasks) {
            publish(t);
        }
        await().atMost(Duration.ofMinutes(1)).failFast("a push was sent twice", () -> duplicates() > 0)
                .until(() -> deduplicated(registryA, registryB) >= 60);
        await().atMost(Duration.ofSeconds(30)).until(() -> b.receiptsHeld() == 60);
        assertThat(b.receiptPartitions()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(held(registryB)).isEqualTo(60);
        assertThat(deduplicated(registryB)).as("the redeliveries, all handled by B").isEqualTo(60);
        assertThat(duplicates()).isZero();
        assertThat(accepted()).isEqualTo(60);
        Timer restores = registryB.get(WorkerMetrics.RECEIPTS_RESTORE).tag("lane", "bulk").timer();
        assertThat(restores.count()).as("one restore at start, one for A's partitions").isGreaterThanOrEqualTo(2);
        b.close();
    }

    @Test
    void receiptsOfTasksWhoseOffsetsWereNeverCommittedInTheNewAndTheOldKeyFormatKeepThemFromBeingSentAgain() throws Exception {
        // A crashed worker sent these and wrote their receipts, but never committed their offsets.
        String eventId = UUID.randomUUID().toString();
        List<PushTask> tasks = new ArrayList<>();
        for (int n = 0; n < 30; n++) {
            PushTask t = task(eventId, n);
            tasks.add(t);
            publish(t);
        }
        // Receipts of other users first, so that the restore has something to read (figures below) and the receipts
        // that matter sit at the end of their partitions: a task sent before its partition is restored would be sent again.
        int filler = 50_000;
        String fillerEvent = UUID.randomUUID().toString();
        for (int n = 0; n < filler; n++) {
            PushTask other = new PushTask(PushIds.pushId("urn:pushline:test", fillerEvent, "filler-token-" + n), fillerEvent, "other-" + n,
                    "filler-token-" + n, io.pushline.contracts.Platform.FCM, "io.pushline.test.android", "title", "body",
                    Map.of(), null, 3600, io.pushline.contracts.Priority.NORMAL, Lane.BULK);
            producer.send(receipt(other, false));
        }
        Set<String> receipted = new HashSet<>();
        for (int n = 0; n < 10; n++) {
            producer.send(receipt(tasks.get(n), n == 0));
            receipted.add(tasks.get(n).pushId());
        }
        producer.flush();

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PushWorker worker = start(config(), registry);   // a new group: from offset 0
        await().atMost(Duration.ofMinutes(2))
                .failFast("a task with a receipt was sent", () -> sent().stream().anyMatch(receipted::contains))
                .until(() -> accepted() == 20 && deduplicated(registry) >= 10);
        Timer restore = registry.get(WorkerMetrics.RECEIPTS_RESTORE).tag("lane", "bulk").timer();
        // The filler, the 10 written before, and the 20 written now (their receipts follow the sends shortly).
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.receiptsHeld() == filler + 10 + 20);
        assertThat(held(registry)).isEqualTo(filler + 10 + 20);
        worker.close();

        assertThat(deduplicated(registry)).isEqualTo(10);
        assertThat(sent()).hasSize(20).doesNotContainAnyElementsOf(receipted);
        assertThat(duplicates()).isZero();
        System.out.printf("receipts restore: %d receipts over %d partitions in %d ms (%d restore(s), max %d ms)%n",
                filler + 10, PARTITIONS, (long) restore.totalTime(TimeUnit.MILLISECONDS), restore.count(),
                (long) restore.max(TimeUnit.MILLISECONDS));
    }

    @Test
    void aReceiptWrittenByAnotherMemberAfterTheRestoreIsFollowed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PushWorker worker = start(config(), registry);
        await().atMost(Duration.ofMinutes(1)).until(() -> worker.receiptPartitions().size() == PARTITIONS
                && registry.find(WorkerMetrics.RECEIPTS_RESTORE).timer() != null);
        String eventId = UUID.randomUUID().toString();
        PushTask elsewhere = task(eventId, 1);   // sent by the owner of a retry partition of the same number, say
        PushTask control = new PushTask(PushIds.pushId("urn:pushline:test", eventId, "control-token"), eventId, elsewhere.userId(), "control-token",
                elsewhere.platform(), elsewhere.appId(), "title", "body", Map.of(), null, 3600,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
        producer.send(receipt(elsewhere, false)).get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.holdsReceipt(elsewhere.pushId()));

        RecordMetadata first = publish(elsewhere);
        assertThat(publish(control).partition()).as("one user, one partition, in order").isEqualTo(first.partition());
        await().atMost(Duration.ofMinutes(1)).failFast("the push with a receipt was sent", () -> sent().contains(elsewhere.pushId()))
                .until(() -> accepted() == 1);
        worker.close();

        assertThat(sent()).containsExactly(control.pushId());
        assertThat(deduplicated(registry)).isEqualTo(1);
    }
}
