package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
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
import io.pushline.mock.PushLedger;
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
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
import java.util.Collection;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retries through the delay topics, against the real broker and the real Pushy client / Firebase Admin SDK talking to
 * the mock servers: a Retry-After is honoured without holding the partition, a push that never gets through ends in the
 * dead letters, and an outage is ridden out without loss and without a retry storm.
 *
 * <p>FCM's own SDK retries a 503 itself (up to four times, inside one send), so the Retry-After case is scripted as an
 * FCM 429 (QUOTA_EXCEEDED, which the SDK leaves to us); the 503 cases use APNs, which sends no Retry-After.
 */
@KafkaIntegrationTest
class PushWorkerRetryIntegrationTest {
    private static final URI SOURCE = URI.create("test://workers-retry");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private MockApns apns;
    private FakeFcm fcm;
    private Map<Platform, PushProvider> providers;
    private KafkaProducer<String, byte[]> producer;
    private KafkaBroker broker;

    /** Every push a mock received, accepted or not: token → arrival instants, in order. */
    private final ConcurrentMap<String, List<Instant>> attempts = new ConcurrentHashMap<>();

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
        providers.put(Platform.FCM, FcmProvider.builder().projectId("worker-retry-test")
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

    /** Wraps a behaviour so that every push the mock receives is recorded with its arrival time. */
    private Behaviour recording(Behaviour behaviour) {
        return (token, pushId) -> {
            attempts.computeIfAbsent(token, t -> new CopyOnWriteArrayList<>()).add(Instant.now());
            return behaviour.decide(token, pushId);
        };
    }

    /** Rejects a token's first {@code n} pushes with {@code verdict}; no opinion after that. */
    private static Behaviour firstTimes(String token, int n, Verdict verdict) {
        AtomicInteger seen = new AtomicInteger();
        return (t, pushId) -> t.equals(token) && seen.incrementAndGet() <= n ? verdict : null;
    }

    private WorkerConfig config() {
        return WorkerConfig.defaults(Lane.BULK).withGroupId(TestTopics.unique("workers-retry")).withMaxInFlight(16);
    }

    private PushWorker start(WorkerConfig config) {
        PushWorker worker = new PushWorker(config, broker.clientConfig(), producer, providers, registry);
        closeables.add(worker);
        worker.start();
        return worker;
    }

    private static PushTask task(String eventId, String userId, int n, Platform platform, Integer ttlSeconds) {
        String token = (platform == Platform.APNS ? "apns" : "fcm") + "-token-" + n + "-" + eventId.substring(0, 8);
        return new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, userId, token,
                platform == Platform.APNS ? io.pushline.contracts.Platform.APNS : io.pushline.contracts.Platform.FCM,
                platform == Platform.APNS ? "io.pushline.test" : "io.pushline.test.android",
                "title", "body", Map.of("n", Integer.toString(n)), null, ttlSeconds,
                io.pushline.contracts.Priority.NORMAL, Lane.BULK);
    }

    private RecordMetadata publish(PushTask task) throws Exception {
        return producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, Instant.now(), task))).get();
    }

    private List<ConsumerRecord<String, byte[]>> readAll(Collection<String> topics, int atLeast) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("reader"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(topics);
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= atLeast;
            });
        }
        return records;
    }

    private Map<String, PushReceipt> receipts(int atLeast) {
        Map<String, PushReceipt> byPushId = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : readAll(List.of(Topics.PUSH_RECEIPTS), atLeast)) {
            PushReceipt receipt = (PushReceipt) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            assertThat(byPushId.put(receipt.pushId(), receipt)).as("one receipt per push").isNull();
        }
        return byPushId;
    }

    private long committed(String groupId, TopicPartition partition) throws Exception {
        OffsetAndMetadata offset = broker.admin().listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS).get(partition);
        return offset == null ? -1 : offset.offset();
    }

    private double count(String meter) {
        return registry.find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private PushTask taskOf(ConsumerRecord<String, byte[]> record) {
        return (PushTask) ((Decoded.Ok) codec.decode(record.headers(), record.value())).envelope().data();
    }

    @Test
    void aRetryAfterIsHonouredWhileLaterRecordsOfThePartitionAreDeliveredAndCommittedPastIt() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask waiting = task(eventId, "user-same", 0, Platform.FCM, 3600);
        List<PushTask> later = new ArrayList<>();
        for (int n = 1; n <= 10; n++) {
            later.add(task(eventId, "user-same", n, Platform.FCM, 3600));
        }
        fcm.behaviour(recording(firstTimes(waiting.token(), 2, Verdict.tooManyRequests(Duration.ofSeconds(2)))
                .orElse(Behaviour.acceptAll())));
        RecordMetadata waitingAt = publish(waiting);
        for (PushTask t : later) {
            assertThat(publish(t).partition()).as("one key, one partition").isEqualTo(waitingAt.partition());
        }
        TopicPartition partition = new TopicPartition(Topics.PUSH_BULK, waitingAt.partition());
        WorkerConfig config = config();
        PushWorker worker = start(config);

        // While the first push waits out its Retry-After, the partition moves on: later records are delivered and the
        // committed offset passes the waiting record.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> committed(config.groupId(), partition) > waitingAt.offset());
        Instant committedPastIt = Instant.now();
        assertThat(fcm.ledger().countsByPushId()).as("the later pushes are delivered")
                .containsKeys(later.stream().map(PushTask::pushId).toArray(String[]::new));

        await().atMost(Duration.ofSeconds(30)).until(() -> fcm.ledger().countsByPushId().containsKey(waiting.pushId()));
        worker.close();

        PushLedger.Accepted accepted = fcm.ledger().accepted().stream()
                .filter(a -> a.pushId().equals(waiting.pushId())).findFirst().orElseThrow();
        List<Instant> tries = attempts.get(waiting.token());
        assertThat(tries).as("two 429s, then accepted").hasSize(3);
        assertThat(Duration.between(tries.get(0), tries.get(1))).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(Duration.between(tries.get(1), tries.get(2))).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(Duration.between(tries.get(0), accepted.acceptedAt())).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        assertThat(committedPastIt).as("the partition was committed past the push while it waited out its first Retry-After")
                .isBefore(tries.get(1));
        assertThat(fcm.ledger().accepted()).filteredOn(a -> !a.pushId().equals(waiting.pushId()))
                .allSatisfy(a -> assertThat(a.acceptedAt()).isBefore(tries.get(1)));
        assertThat(fcm.ledger().countsByPushId()).containsEntry(waiting.pushId(), 1);
        assertThat(fcm.ledger().duplicateCount()).isZero();

        // The retry records are the task unchanged (same key, value and ce_id), with the attempt and not-before headers.
        List<ConsumerRecord<String, byte[]>> retries = readAll(RetryTopics.names(config), 2);
        assertThat(retries).hasSize(2).allSatisfy(r -> {
            assertThat(r.topic()).isEqualTo(RetryTopics.name(Topics.PUSH_BULK, Duration.ofSeconds(5)));
            assertThat(r.key()).isEqualTo("user-same");
            assertThat(taskOf(r)).isEqualTo(waiting);
            assertThat(header(r, "ce_id")).isEqualTo(waiting.pushId());
            assertThat(header(r, RetryTopics.ORIGIN)).isEqualTo(Topics.PUSH_BULK + "-" + waitingAt.partition() + "@" + waitingAt.offset());
        });
        for (ConsumerRecord<String, byte[]> r : retries) {
            int attempt = Integer.parseInt(header(r, RetryTopics.ATTEMPT));
            assertThat(tries.get(attempt - 1)).as("attempt %d arrives no sooner than its not-before", attempt)
                    .isAfterOrEqualTo(Instant.parse(header(r, RetryTopics.NOT_BEFORE)));
        }
        assertThat(registry.find(WorkerMetrics.RETRIES_SCHEDULED).tag("delay", "5s").counter().count()).isEqualTo(2);

        Map<String, PushReceipt> receipts = receipts(11);
        assertThat(receipts).hasSize(11);
        assertThat(receipts.values()).isNotEmpty().allSatisfy(r -> assertThat(r.status()).isEqualTo(ReceiptStatus.DELIVERED));
    }

    @Test
    void aPushThatIsAlwaysUnavailableIsDeadLetteredAfterMaxAttemptsWithAFailedReceipt() throws Exception {
        String eventId = UUID.randomUUID().toString();
        PushTask doomed = task(eventId, "user-1", 1, Platform.APNS, 3600);
        PushTask fine = task(eventId, "user-2", 2, Platform.APNS, 3600);
        apns.behaviour(recording(Behaviour.forTokens(doomed.token()::equals, Verdict.serviceUnavailable(null))
                .orElse(Behaviour.acceptAll())));
        RecordMetadata doomedAt = publish(doomed);
        publish(fine);
        WorkerConfig config = config().withMaxAttempts(3).withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
        PushWorker worker = start(config);

        List<ConsumerRecord<String, byte[]>> letters = readAll(List.of(Topics.DEAD_LETTERS), 1);
        Map<String, PushReceipt> receipts = receipts(2);
        worker.close();

        assertThat(letters).hasSize(1);
        ConsumerRecord<String, byte[]> letter = letters.get(0);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED.name());
        assertThat(header(letter, DeadLetters.DETAIL)).startsWith("gave up after 3 attempts");
        assertThat(header(letter, RetryTopics.ORIGIN)).isEqualTo(Topics.PUSH_BULK + "-" + doomedAt.partition() + "@" + doomedAt.offset());
        assertThat(taskOf(letter)).isEqualTo(doomed);
        assertThat(letter.key()).isEqualTo("user-1");

        assertThat(receipts.get(doomed.pushId()).status()).isEqualTo(ReceiptStatus.FAILED);
        assertThat(receipts.get(fine.pushId()).status()).isEqualTo(ReceiptStatus.DELIVERED);
        assertThat(attempts.get(doomed.token())).as("exactly maxAttempts sends").hasSize(3);
        assertThat(apns.ledger().countsByToken()).doesNotContainKey(doomed.token());
        assertThat(count(WorkerMetrics.RETRIES_EXHAUSTED)).isEqualTo(1);
        assertThat(count(WorkerMetrics.RETRIES_SCHEDULED)).isEqualTo(2);
    }

    @Test
    void anOutageIsRiddenOutWithoutLossAndWithoutARetryStorm() throws Exception {
        int pushes = 30;
        WorkerConfig config = config().withBackoff(Duration.ofMillis(500), Duration.ofSeconds(2));
        PushWorker worker = start(config);
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        // The outage starts now, before the pushes are published, and lasts 3 s; with at least 500 ms between
        // attempts, 8 attempts cannot all fall into it.
        Instant from = Instant.now();
        apns.behaviour(recording(Behaviour.during(Clock.systemUTC(), from, from.plusSeconds(3), Verdict.serviceUnavailable(null))
                .orElse(Behaviour.acceptAll())));
        String eventId = UUID.randomUUID().toString();
        List<PushTask> tasks = new ArrayList<>();
        for (int n = 0; n < pushes; n++) {
            PushTask t = task(eventId, "user-" + n, n, Platform.APNS, 3600);
            tasks.add(t);
            publish(t);
        }

        await().atMost(Duration.ofMinutes(1))
                .failFast("a push was dead-lettered", () -> count(WorkerMetrics.DEAD_LETTERS) > 0)
                .until(() -> apns.ledger().distinctPushIds() == pushes);
        Map<String, PushReceipt> receipts = receipts(pushes);
        worker.close();

        assertThat(receipts.values()).as("0 lost").hasSize(pushes)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(ReceiptStatus.DELIVERED));
        assertThat(apns.ledger().duplicateCount()).isZero();
        assertThat(count(WorkerMetrics.DEAD_LETTERS)).isZero();
        assertThat(count(WorkerMetrics.RETRIES_EXHAUSTED)).isZero();

        int retried = 0;
        for (PushTask t : tasks) {
            List<Instant> tries = attempts.get(t.token());
            assertThat(tries).as("attempts of %s", t.token()).hasSizeBetween(1, config.maxAttempts());
            for (int i = 1; i < tries.size(); i++) {
                assertThat(Duration.between(tries.get(i - 1), tries.get(i))).as("backoff of %s", t.token())
                        .isGreaterThanOrEqualTo(config.initialBackoff());
            }
            retried += tries.size() - 1;
        }
        assertThat(retried).as("the outage was seen").isPositive();

        // Every retry arrived no sooner than the not-before its retry record promised.
        List<ConsumerRecord<String, byte[]>> retries = readAll(RetryTopics.names(config), retried);
        assertThat(retries).hasSize(retried);
        for (ConsumerRecord<String, byte[]> r : retries) {
            PushTask t = taskOf(r);
            int attempt = Integer.parseInt(header(r, RetryTopics.ATTEMPT));
            assertThat(attempts.get(t.token()).get(attempt - 1)).as("attempt %d of %s", attempt, t.token())
                    .isAfterOrEqualTo(Instant.parse(header(r, RetryTopics.NOT_BEFORE)));
        }
        System.out.printf("outage of 3 s: %d pushes, %d retries, at most %d attempts for one push%n", pushes, retried,
                attempts.values().stream().mapToInt(List::size).max().orElse(0));
    }
}
