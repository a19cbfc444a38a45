package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Lane;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.mock.FakeFcm;
import io.pushline.push.FcmProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
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
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The poll loop against broker trouble, injected by wrapping the real consumer: transient failures (commits and
 * positions timing out, as during a broker stall) are outlived with every push delivered once; an unexpected error
 * fails the worker, which says why.
 */
@KafkaIntegrationTest
class PushWorkerFaultsIntegrationTest {
    private static final URI SOURCE = URI.create("test://workers-faults");
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private FakeFcm fcm;
    private Map<Platform, PushProvider> providers;
    private KafkaProducer<String, byte[]> producer;
    private KafkaBroker broker;

    /**
     * The real consumer, with faults armed by the test: each counter is how many of the next calls throw; while
     * {@code stalled}, a poll returns nothing and fetches nothing (a broker that does not answer fetches).
     */
    static final class FaultyConsumer extends KafkaConsumer<String, byte[]> {
        final AtomicInteger commitTimeouts = new AtomicInteger();
        final AtomicInteger positionTimeouts = new AtomicInteger();
        final AtomicInteger pollFailures = new AtomicInteger();
        final AtomicInteger pollTimeouts = new AtomicInteger();
        final AtomicInteger commits = new AtomicInteger();
        final AtomicInteger polls = new AtomicInteger();
        final AtomicInteger polled = new AtomicInteger();
        volatile boolean stalled;

        FaultyConsumer(Map<String, Object> settings) {
            super(settings, new StringDeserializer(), new ByteArrayDeserializer());
        }

        @Override
        public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            if (commitTimeouts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TimeoutException("injected: Timeout of 60000ms expired before successfully committing offsets " + offsets);
            }
            super.commitSync(offsets);
            commits.incrementAndGet();
        }

        @Override
        public long position(TopicPartition partition, Duration timeout) {
            if (positionTimeouts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TimeoutException("injected: Timeout of 5000ms expired before the position for " + partition + " could be determined");
            }
            return super.position(partition, timeout);
        }

        @Override
        public ConsumerRecords<String, byte[]> poll(Duration timeout) {
            if (pollFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("injected: a bug in the poll loop");
            }
            if (pollTimeouts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TimeoutException("injected: Timeout of 60000ms expired before the fetch could be sent");
            }
            if (stalled) {
                polls.incrementAndGet();
                return ConsumerRecords.empty();
            }
            ConsumerRecords<String, byte[]> records = super.poll(timeout);
            polled.addAndGet(records.count());
            polls.incrementAndGet();
            return records;
        }
    }

    /** The real producer, failing the next sends to a topic as a broker that cannot take them would. */
    static final class FaultyProducer extends KafkaProducer<String, byte[]> {
        final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        /** Topics whose injected failures are the record's own (too large), not a broker's timeout. */
        final Set<String> recordsFault = ConcurrentHashMap.newKeySet();

        FaultyProducer(Map<String, Object> settings) {
            super(settings, new StringSerializer(), new ByteArraySerializer());
        }

        AtomicInteger failing(String topic) {
            return failures.computeIfAbsent(topic, t -> new AtomicInteger());
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            if (failing(record.topic()).getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                RuntimeException error = recordsFault.contains(record.topic())
                        ? new RecordTooLargeException("injected: The message is too large for " + record.topic())
                        : new TimeoutException("injected: Expiring 1 record(s) for " + record.topic() + ": 120000 ms has passed");
                callback.onCompletion(null, (Exception) error);
                return CompletableFuture.failedFuture(error);
            }
            return super.send(record, callback);
        }
    }

    private FaultyProducer faultyProducer() {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        FaultyProducer faulty = new FaultyProducer(config);
        closeables.add(faulty);
        return faulty;
    }

    @BeforeEach
    void setUp(KafkaBroker broker) throws Exception {
        this.broker = broker;
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        new TopicProvisioner(broker.admin(), Duration.ofSeconds(30)).ensure(Topics.catalogue(3, (short) 1));
        fcm = FakeFcm.start();
        closeables.add(fcm);
        providers = Map.of(Platform.FCM, FcmProvider.builder().projectId("worker-faults-test")
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

    private PushWorker startWorker(String group, Function<Map<String, Object>, Consumer<String, byte[]>> consumers) {
        return startWorker(group, consumers, producer, LoopFaults.DEFAULT_TRANSIENT_BOUND);
    }

    private PushWorker startWorker(String group, Function<Map<String, Object>, Consumer<String, byte[]>> consumers,
                                   Producer<String, byte[]> through, Duration transientBound) {
        PushWorker worker = new PushWorker(WorkerConfig.defaults(Lane.BULK).withGroupId(group).withMaxInFlight(8)
                .withCommitInterval(Duration.ofMillis(50)), broker.clientConfig(), through, providers, registry,
                Clock.systemUTC(), null, consumers, transientBound);
        closeables.add(worker);
        worker.start();
        return worker;
    }

    /** A worker whose lane consumer is {@code lane} and whose banned-profiles check reads through {@code bans}. */
    private PushWorker startWorkerWithBansThrough(String group, FaultyConsumer[] lane, FaultyConsumer[] bans, boolean stalled) {
        PushWorker worker = new PushWorker(WorkerConfig.defaults(Lane.BULK).withGroupId(group).withMaxInFlight(8)
                .withCommitInterval(Duration.ofMillis(50)), broker.clientConfig(), producer, providers, registry,
                Clock.systemUTC(), null, settings -> lane[0] = new FaultyConsumer(settings), LoopFaults.DEFAULT_TRANSIENT_BOUND);
        worker.checkConsumers(settings -> {
            FaultyConsumer c = new FaultyConsumer(settings);
            if (String.valueOf(settings.get(ConsumerConfig.CLIENT_ID_CONFIG)).contains(Topics.STATE_BANNED_PROFILES)) {
                c.stalled = stalled;
                bans[0] = c;
            }
            return c;
        });
        closeables.add(worker);
        worker.start();
        return worker;
    }

    /**
     * Waits until the lane consumer has read more than {@code before} tasks, then polled ten times more: it holds what
     * it read (and reads no more meanwhile: every partition pauses while records wait).
     */
    private static void awaitReadAndHeld(FaultyConsumer lane, int before) {
        Waits.until(() -> lane.polled.get() > before, Duration.ofSeconds(30),
                () -> "the worker to read more than " + before + " tasks; it read " + lane.polled.get());
        int polls = lane.polls.get();
        Waits.until(() -> lane.polls.get() >= polls + 10, Duration.ofSeconds(30), "ten more polls");
    }

    @Test
    void aCheckThatCannotAnswerHoldsEveryPushAndTurnsReadinessRedUntilItAnswersAgain() throws Exception {
        String group = TestTopics.unique("workers-faults");
        // The banned-profiles topic is not empty, so loading it takes reading; the ban is about someone else.
        producer.send(new ProducerRecord<>(Topics.STATE_BANNED_PROFILES, "someone-else", "banned".getBytes(StandardCharsets.UTF_8))).get();
        publish(UUID.randomUUID().toString(), 5);
        FaultyConsumer[] lane = new FaultyConsumer[1];
        FaultyConsumer[] bans = new FaultyConsumer[1];

        // Started before the bans are loaded (their follower gets no answer to its fetches): nothing is sent.
        PushWorker worker = startWorkerWithBansThrough(group, lane, bans, true);
        awaitReadAndHeld(lane[0], 0);
        assertThat(fcm.ledger().acceptedCount()).isZero();
        assertThat(worker.degraded()).hasValueSatisfying(reason -> assertThat(reason).isEqualTo(
                "bulk worker: holding pushes: the banned profiles check is not loaded yet from " + Topics.STATE_BANNED_PROFILES));
        assertThat(committed(group)).isZero();
        assertThat(registry.get(WorkerMetrics.CHECKS_HOLDING).tag("lane", "bulk").gauge().value()).isEqualTo(1.0);

        bans[0].stalled = false;
        Waits.until(() -> fcm.ledger().acceptedCount() == 5, Duration.ofSeconds(30), "the 5 held pushes to be sent once loaded");
        Waits.until(() -> worker.degraded().isEmpty(), Duration.ofSeconds(10), "readiness to turn green");

        // Its follower fails (a broker that times out its fetches): it retries, and holds what it guards meanwhile.
        bans[0].pollTimeouts.set(Integer.MAX_VALUE);
        Waits.until(() -> worker.degraded().filter(r -> r.contains("the banned profiles check is retrying a failure")).isPresent(),
                Duration.ofSeconds(10), () -> "readiness to say the check retries; it says " + worker.degraded());
        publish(UUID.randomUUID().toString(), 5);
        awaitReadAndHeld(lane[0], 5);
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(5);
        await().atMost(Duration.ofSeconds(10)).until(() -> committed(group) == 5);   // the first 5 only
        assertThat(worker.failure()).isEmpty();

        bans[0].pollTimeouts.set(0);
        Waits.until(() -> fcm.ledger().acceptedCount() == 10, Duration.ofSeconds(30), "the held pushes to be sent after recovery");
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.degraded().isEmpty() && committed(group) == 10);
        assertThat(fcm.ledger().duplicateCount()).isZero();
        assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
    }

    @Test
    void aCheckThatStopsForGoodFailsTheWorkerWhichSendsNothingItGuardsAndTheNextOneSendsIt() throws Exception {
        String group = TestTopics.unique("workers-faults");
        publish(UUID.randomUUID().toString(), 3);
        FaultyConsumer[] lane = new FaultyConsumer[1];
        FaultyConsumer[] bans = new FaultyConsumer[1];
        PushWorker worker = startWorkerWithBansThrough(group, lane, bans, false);
        Waits.until(() -> fcm.ledger().acceptedCount() == 3, Duration.ofSeconds(30), "the first 3 pushes");

        // Its follower fails and retries: what comes meanwhile is held.
        bans[0].pollTimeouts.set(Integer.MAX_VALUE);
        Waits.until(() -> worker.degraded().isPresent(), Duration.ofSeconds(10), "readiness to turn red");
        publish(UUID.randomUUID().toString(), 3);
        awaitReadAndHeld(lane[0], 3);
        // Killed: its follower meets an error it cannot outlive. It never answers again, and the worker fails.
        bans[0].pollFailures.set(1);

        Waits.until(() -> worker.state() == WorkerState.FAILED, Duration.ofSeconds(30), () -> "the worker to fail; " + worker.degraded());
        assertThat(worker.failure()).hasValueSatisfying(reason -> assertThat(reason).startsWith(
                "bulk worker: the banned profiles check stopped following " + Topics.STATE_BANNED_PROFILES
                        + ": unexpected IllegalStateException: injected"));
        assertThat(worker.degraded()).isPresent();
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(3);
        assertThat(committed(group)).isEqualTo(3);
        worker.close();

        // Its process restarted: the next worker loads the check afresh and sends what the first one held.
        startWorker(group, settings -> new FaultyConsumer(settings));
        Waits.until(() -> fcm.ledger().acceptedCount() == 6, Duration.ofSeconds(30), "the held pushes, sent by the next worker");
        assertThat(fcm.ledger().duplicateCount()).isZero();
    }

    private void publish(String eventId, int count) throws Exception {
        for (int n = 0; n < count; n++) {
            String token = "fcm-token-" + n + "-" + eventId.substring(0, 8);
            PushTask task = new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, "user-" + n, token,
                    io.pushline.contracts.Platform.FCM, "io.pushline.test.android", "title", "body", Map.of(), null, 3600,
                    io.pushline.contracts.Priority.NORMAL, Lane.BULK);
            // One at a time, as the other worker tests do: several batches in flight to a just re-created topic can
            // leave the idempotent producer stuck on OUT_OF_ORDER_SEQUENCE_NUMBER.
            producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, Instant.now(), task))).get();
        }
    }

    private long committed(String group) throws Exception {
        return broker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(Topics.PUSH_BULK) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    @Test
    void commitsAndPositionsTimingOutMidFanoutAreOutlivedAndEveryPushIsDeliveredOnce() throws Exception {
        String group = TestTopics.unique("workers-faults");
        List<FaultyConsumer> made = new ArrayList<>();
        publish(UUID.randomUUID().toString(), 100);
        PushWorker worker = startWorker(group, settings -> {
            FaultyConsumer c = new FaultyConsumer(settings);
            made.add(c);
            return c;
        });
        await().atMost(Duration.ofMinutes(1)).until(() -> fcm.ledger().acceptedCount() >= 10);
        FaultyConsumer consumer = made.get(0);
        // A broker stall, as the consumer sees it: commits and positions time out for a while.
        consumer.commitTimeouts.set(3);
        consumer.positionTimeouts.set(2);
        publish(UUID.randomUUID().toString(), 100);

        await().atMost(Duration.ofMinutes(1)).until(() -> fcm.ledger().acceptedCount() == 200);
        await().atMost(Duration.ofMinutes(1)).until(() -> consumer.commitTimeouts.get() == 0 && consumer.positionTimeouts.get() == 0);
        // It resumes committing: the committed offsets reach the 200 records.
        await().atMost(Duration.ofMinutes(1)).until(() -> committed(group) == 200);

        assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
        assertThat(worker.failure()).isEmpty();
        assertThat(made).hasSize(1);   // the same consumer all along: the loop went on, nothing was rebuilt
        assertThat(fcm.ledger().duplicateCount()).isZero();
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(200);
    }

    @Test
    void anUnexpectedErrorFromThePollFailsTheWorkerWithItsCause() throws Exception {
        String group = TestTopics.unique("workers-faults");
        List<FaultyConsumer> made = new ArrayList<>();
        publish(UUID.randomUUID().toString(), 20);
        PushWorker worker = startWorker(group, settings -> {
            FaultyConsumer c = new FaultyConsumer(settings);
            made.add(c);
            return c;
        });
        await().atMost(Duration.ofMinutes(1)).until(() -> fcm.ledger().acceptedCount() == 20);
        assertThat(worker.failure()).isEmpty();

        made.get(0).pollFailures.set(1);

        await().atMost(Duration.ofMinutes(1)).until(() -> worker.state() == WorkerState.FAILED);
        assertThat(worker.failure()).hasValue("bulk worker: unexpected IllegalStateException: injected: a bug in the poll loop");
        // What it had finished is committed on the way out, so a restarted process does not send it again.
        assertThat(committed(group)).isEqualTo(20);
        worker.close();
        assertThat(worker.state()).isEqualTo(WorkerState.CLOSED);
        assertThat(worker.failure()).isPresent();   // still says why after close
    }

    @Test
    void aDeadLetterThatFailsIsRetriedUntilWrittenAndThePartitionCommitsAgain() throws Exception {
        String group = TestTopics.unique("workers-faults");
        publish(UUID.randomUUID().toString(), 5);
        FaultyProducer faulty = faultyProducer();
        // The receipt of one push fails for the record's own sake (it is dead-lettered), and so do its first dead letters.
        faulty.recordsFault.add(Topics.PUSH_RECEIPTS);
        faulty.failing(Topics.PUSH_RECEIPTS).set(1);
        faulty.failing(Topics.DEAD_LETTERS).set(3);

        PushWorker worker = startWorker(group, settings -> new FaultyConsumer(settings), faulty, LoopFaults.DEFAULT_TRANSIENT_BOUND);

        await().atMost(Duration.ofMinutes(1)).until(() -> fcm.ledger().acceptedCount() == 5);
        await().atMost(Duration.ofMinutes(1)).until(() -> faulty.failing(Topics.DEAD_LETTERS).get() == 0);
        // Before, the slot and its partition's commit were held for good (Mono.never()): now every record is committed.
        await().atMost(Duration.ofMinutes(1)).until(() -> committed(group) == 5);
        assertThat(worker.inFlight()).isZero();
        assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
        assertThat(worker.failure()).isEmpty();
        // One dead letter, written on the fourth try, is one count (the retries write, they do not dead-letter again).
        assertThat(registry.find(WorkerMetrics.DEAD_LETTERS).counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(1.0);
    }

    @Test
    void aDeadLetterThatCannotBeWrittenWithinTheBoundFailsTheWorker() throws Exception {
        String group = TestTopics.unique("workers-faults");
        publish(UUID.randomUUID().toString(), 5);
        FaultyProducer faulty = faultyProducer();
        faulty.recordsFault.add(Topics.PUSH_RECEIPTS);
        faulty.failing(Topics.PUSH_RECEIPTS).set(1);
        faulty.failing(Topics.DEAD_LETTERS).set(Integer.MAX_VALUE);

        PushWorker worker = startWorker(group, settings -> new FaultyConsumer(settings), faulty, Duration.ofSeconds(2));

        await().atMost(Duration.ofMinutes(1)).until(() -> worker.state() == WorkerState.FAILED);
        assertThat(worker.failure()).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("bulk worker: could not dead-letter " + Topics.PUSH_BULK + "-")
                .contains("within PT2S"));
        // The record that could not be dead-lettered is never committed: a restarted process reads it again.
        assertThat(committed(group)).isLessThan(5);
    }

    @Test
    void aReceiptWriteThatTimesOutIsRetriedNotDeadLettered() throws Exception {
        String group = TestTopics.unique("workers-faults");
        publish(UUID.randomUUID().toString(), 5);
        FaultyProducer faulty = faultyProducer();
        // A broker failing over, as the producer sees it: the first receipts time out. Not the records' fault.
        faulty.failing(Topics.PUSH_RECEIPTS).set(3);

        PushWorker worker = startWorker(group, settings -> new FaultyConsumer(settings), faulty, LoopFaults.DEFAULT_TRANSIENT_BOUND);

        await().atMost(Duration.ofMinutes(1)).until(() -> committed(group) == 5);
        assertThat(faulty.failing(Topics.PUSH_RECEIPTS).get()).isZero();
        assertThat(worker.failure()).isEmpty();
        // Each push sent once (the write is retried, not the push) and nothing dead-lettered.
        assertThat(fcm.ledger().acceptedCount()).isEqualTo(5);
        assertThat(fcm.ledger().duplicateCount()).isZero();
        assertThat(registry.find(WorkerMetrics.DEAD_LETTERS).counters().stream().mapToDouble(c -> c.count()).sum()).isZero();
    }

    @Test
    void aPoisonTaskIsDeadLetteredWithItsOriginAndTheTasksAfterItOnItsPartitionAreDelivered() throws Exception {
        String group = TestTopics.unique("workers-faults");
        String user = "user-poison";
        // A task the expansion would never write, but which the workers read without a schema check: its data holds
        // the key the push request reserves for the push id, so building the request throws, every time.
        String eventId = UUID.randomUUID().toString();
        String token = "fcm-token-poison-" + eventId.substring(0, 8);
        PushTask poison = new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, user, token, io.pushline.contracts.Platform.FCM,
                "io.pushline.test.android", "title", "body", Map.of(io.pushline.push.PushRequest.PUSH_ID_DATA_KEY, "forged"), null,
                3600, io.pushline.contracts.Priority.NORMAL, Lane.BULK);
        RecordMetadata poisonAt = producer.send(codec.toRecord(Topics.PUSH_BULK,
                Envelope.of(poison.pushId(), SOURCE, Instant.now(), poison))).get();
        List<String> after = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            String next = UUID.randomUUID().toString();
            String nextToken = "fcm-token-" + n + "-" + next.substring(0, 8);
            PushTask task = new PushTask(PushIds.pushId("urn:pushline:test", next, nextToken), next, user, nextToken, io.pushline.contracts.Platform.FCM,
                    "io.pushline.test.android", "title", "body", Map.of(), null, 3600, io.pushline.contracts.Priority.NORMAL, Lane.BULK);
            RecordMetadata at = producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, Instant.now(), task))).get();
            assertThat(at.partition()).isEqualTo(poisonAt.partition());
            after.add(task.pushId());
        }

        PushWorker worker = startWorker(group, settings -> new FaultyConsumer(settings));

        await().atMost(Duration.ofMinutes(1)).until(() -> fcm.ledger().acceptedCount() == 3);
        await().atMost(Duration.ofMinutes(1)).until(() -> committed(group) == 4);
        assertThat(worker.failure()).isEmpty();
        List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> dead = deadLetters();
        assertThat(dead).hasSize(1);
        var letter = dead.get(0);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo(DeadLetterReason.PROCESSING_FAILED.name());
        assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.PUSH_BULK);
        assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo(Integer.toString(poisonAt.partition()));
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo(Long.toString(poisonAt.offset()));
        assertThat(header(letter, DeadLetters.DETAIL)).startsWith("java.lang.IllegalArgumentException: data must not contain the reserved key");
        assertThat(letter.key()).isEqualTo(user);
        assertThat(registry.find(WorkerMetrics.DEAD_LETTERS).tag("reason", "PROCESSING_FAILED").counter().count()).isEqualTo(1.0);
        for (String pushId : after) {
            await().atMost(Duration.ofSeconds(30)).until(() -> worker.holdsReceipt(pushId));
        }
    }

    private List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> deadLetters() {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTERS, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(Topics.DEAD_LETTERS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    private static String header(org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record, String name) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
