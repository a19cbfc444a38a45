package io.pushline.coordinators;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The coordinators' push tasks go to the high lane at once, not when the step's transaction commits: the latency
 * path is at-least-once with idempotent effects (ARCHITECTURE decision 12), the coordinators' state stays exactly-once.
 *
 * <p>A push task is written by a plain idempotent producer (no transaction, no linger, no compression) the moment the
 * step that made it has put its journal entry, so the workers see it within a produce round trip; before, it became
 * visible only when the transaction committed (the commit interval plus the commit's round trips, p99 105 ms in
 * {@code bench likes}). The step's journal entry, its other records (notifications, activity, counts) and its input's
 * offset still commit together.
 *
 * <p>Nothing is lost: this is also the Streams app's {@link KafkaClientSupplier}, and every stream thread's
 * transactional producer is wrapped so that {@code commitTransaction} first flushes the early producer and fails if a
 * push task that thread wrote early was not acknowledged. The commit then fails as a fenced one does
 * ({@link CommitFailedException}, which Kafka Streams treats as a migrated task): the transaction is aborted, the
 * journal entry with it, and the step runs again from the journal, making the same push tasks with the same ids
 * ({@link io.pushline.contracts.PushIds}). What the workers may see twice is therefore only what a step wrote before
 * a transaction that did not commit (a crash, a fenced or failed commit); their receipts check sends each push id once.
 *
 * <p>A push task reaches the workers before the journal entry that made it is committed. If that transaction aborts
 * and the step, run again, decides differently (only a wall-clock timeout can make it: the inputs replay in the same
 * order), the push task already written stays written. Pushes are at-least-once; that is the price of not waiting.
 */
public final class EarlyHighLane implements KafkaClientSupplier, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EarlyHighLane.class);

    private final Function<Map<String, Object>, Producer<byte[], byte[]>> producers;
    /** The first failed early write of each stream thread since its last commit or abort, by thread name. */
    private final Map<String, Exception> failures = new ConcurrentHashMap<>();
    private volatile Producer<byte[], byte[]> early;

    public EarlyHighLane() {
        this(config -> new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /** With {@code producers} making both the early producer and the stream threads' transactional ones (for tests). */
    EarlyHighLane(Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        this.producers = Objects.requireNonNull(producers, "producers");
    }

    /**
     * Writes a push task now, on the calling stream thread's behalf; a failure fails that thread's next commit.
     *
     * @throws IllegalStateException before Kafka Streams asked for its first producer
     */
    void send(String topic, byte[] key, byte[] value, Headers headers, long timestamp) {
        Producer<byte[], byte[]> producer = early;
        if (producer == null) {
            throw new IllegalStateException("the early high-lane producer is made with the stream threads' producers; none yet");
        }
        String thread = Thread.currentThread().getName();
        producer.send(new ProducerRecord<>(topic, null, timestamp, key, value, headers), (metadata, error) -> {
            if (error != null && failures.putIfAbsent(thread, error) == null) {
                log.error("a push task written early to {} by {} was not acknowledged; that thread's transaction will fail and "
                        + "its steps run again: {}", topic, thread, error.toString());
            }
        });
    }

    /** Flushes the early writes; throws if one of the calling thread's failed since its last commit or abort. */
    private void settle() {
        early.flush();
        Exception failed = failures.remove(Thread.currentThread().getName());
        if (failed != null) {
            CommitFailedException refused = new CommitFailedException("a push task written early to the high lane was not "
                    + "acknowledged (" + failed + "); the transaction is not committed, so its steps run again");
            refused.initCause(failed);
            throw refused;
        }
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
        synchronized (this) {
            if (early == null) {
                early = producers.apply(earlyConfig(config));
            }
        }
        return new Gated(producers.apply(config));
    }

    /** The stream threads' producer settings, without the transaction, and tuned for single small records. */
    static Map<String, Object> earlyConfig(Map<String, Object> streamsProducer) {
        Map<String, Object> config = new HashMap<>(streamsProducer);
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        config.remove(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
        Object clientId = config.get(ProducerConfig.CLIENT_ID_CONFIG);
        String base = clientId == null ? "pushline-coordinators" : clientId.toString().replaceFirst("-StreamThread-\\d+-producer$", "");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, base + "-early-high-lane");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        return config;
    }

    @Override
    public Admin getAdmin(Map<String, Object> config) {
        return Admin.create(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Closes the early producer, after the Streams app (whose commits flush it) has closed. */
    @Override
    public void close() {
        Producer<byte[], byte[]> producer = early;
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }

    /** A stream thread's transactional producer, which commits only after that thread's early writes are acknowledged. */
    private final class Gated implements Producer<byte[], byte[]> {
        private final Producer<byte[], byte[]> delegate;

        Gated(Producer<byte[], byte[]> delegate) {
            this.delegate = delegate;
        }

        @Override
        public void commitTransaction() {
            settle();
            delegate.commitTransaction();
        }

        @Override
        public void abortTransaction() {
            failures.remove(Thread.currentThread().getName());
            delegate.abortTransaction();
        }

        @Override
        public void flush() {
            delegate.flush();
            early.flush();
        }

        @Override
        public void initTransactions() {
            delegate.initTransactions();
        }

        @Override
        public void beginTransaction() {
            delegate.beginTransaction();
        }

        @Override
        public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata groupMetadata) {
            delegate.sendOffsetsToTransaction(offsets, groupMetadata);
        }

        @Override
        public void registerMetricForSubscription(KafkaMetric metric) {
            delegate.registerMetricForSubscription(metric);
        }

        @Override
        public void unregisterMetricFromSubscription(KafkaMetric metric) {
            delegate.unregisterMetricFromSubscription(metric);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
            return delegate.send(record);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, org.apache.kafka.clients.producer.Callback callback) {
            return delegate.send(record, callback);
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic) {
            return delegate.partitionsFor(topic);
        }

        @Override
        public Map<MetricName, ? extends Metric> metrics() {
            return delegate.metrics();
        }

        @Override
        public Uuid clientInstanceId(Duration timeout) {
            return delegate.clientInstanceId(timeout);
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public void close(Duration timeout) {
            delegate.close(timeout);
        }
    }
}
