package io.pushline.workers;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
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
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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

    /** The real consumer, with faults armed by the test: each counter is how many of the next calls throw. */
    static final class FaultyConsumer extends KafkaConsumer<String, byte[]> {
        final AtomicInteger commitTimeouts = new AtomicInteger();
        final AtomicInteger positionTimeouts = new AtomicInteger();
        final AtomicInteger pollFailures = new AtomicInteger();
        final AtomicInteger commits = new AtomicInteger();

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
            return super.poll(timeout);
        }
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
        PushWorker worker = new PushWorker(WorkerConfig.defaults(Lane.BULK).withGroupId(group).withMaxInFlight(8)
                .withCommitInterval(Duration.ofMillis(50)), broker.clientConfig(), producer, providers, registry,
                Clock.systemUTC(), null, consumers, LoopFaults.DEFAULT_TRANSIENT_BOUND);
        closeables.add(worker);
        worker.start();
        return worker;
    }

    private void publish(String eventId, int count) throws Exception {
        for (int n = 0; n < count; n++) {
            String token = "fcm-token-" + n + "-" + eventId.substring(0, 8);
            PushTask task = new PushTask(PushIds.pushId(eventId, token), eventId, "user-" + n, token,
                    io.pushline.contracts.Platform.FCM, "io.pushline.test.android", "title", "body", Map.of(), null, 3600,
                    io.pushline.contracts.Priority.NORMAL, Lane.BULK);
            producer.send(codec.toRecord(Topics.PUSH_BULK, Envelope.of(task.pushId(), SOURCE, Instant.now(), task)));
        }
        producer.flush();
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
}
