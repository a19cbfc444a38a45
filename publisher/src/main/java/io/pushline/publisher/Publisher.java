package io.pushline.publisher;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Topics;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes Pushline events from a Java service: typed contract records in, binary-mode CloudEvents on
 * {@link Topics#EVENTS} out, through an idempotent Kafka producer.
 *
 * <pre>{@code
 * Publisher publisher = Publisher.builder().bootstrapServers("kafka:9092")      // one per service, thread-safe
 *         .source(URI.create("urn:example:service:likes")).build();
 * publisher.publish(new LikeCreated("user-2", "post-9", "user-1"))              // keyed by postOwnerId for you
 *         .whenComplete((published, failure) -> log.info("{} {}", published, failure));
 * publisher.close();                                                            // at shutdown: sends what is pending
 * }</pre>
 *
 * <p><b>What it guarantees.</b> Each event is encoded by the contracts' {@link CloudEventCodec} exactly as Pushline's
 * own roles encode theirs ({@code ce_specversion}, {@code ce_id}, {@code ce_source}, {@code ce_type},
 * {@code ce_dataschema}, {@code ce_time} and {@code content-type: application/json} headers; the JSON data, checked
 * against its schema, as the value). The record key is {@link EventType#keyOf} of the data, the rule of the README's
 * key table, and Kafka's default partitioner places the record by it: a caller cannot choose a key, a partition or a
 * partitioner. The producer always runs with {@code acks=all}, {@code enable.idempotence=true} and at most
 * {@value #MAX_IN_FLIGHT} requests in flight per connection, so its own retries neither duplicate nor reorder events
 * of one key; settings that contradict this are refused when the publisher is built. Types only Pushline writes (push
 * tasks, receipts, content removals, the coordinators' outputs; {@link EventType#publishable()}) are refused.
 *
 * <p><b>What it does not.</b> A caller who publishes again after a failure writes a second record: the producer's
 * idempotence covers its own retries only. Publish again with the same {@link PublishException#eventId()}; the same
 * {@code ce_id} gives the same push ids ({@code UUID-v3(ce_id | token)}), which the workers deduplicate against
 * their receipts, and the coordinators skip a like or follow they have already seen. Deduplication is the pipeline's
 * job, not this class's.
 *
 * <p><b>Errors.</b> {@link #publish} throws only for programming errors, before any I/O: {@code null} arguments
 * ({@link NullPointerException}) and internal types ({@link IllegalArgumentException}). Everything else fails the
 * returned future with a {@link PublishException} that carries the event id, says whether a retry may succeed, and
 * has the original exception as its cause: an id that breaks the id rule, data that breaks its JSON Schema (the
 * message names the field) or is larger than {@link CloudEventCodec#DEFAULT_MAX_EVENT_BYTES}, a closed publisher,
 * and every Kafka failure.
 *
 * <p><b>Back-pressure.</b> {@code publish} is asynchronous, but it may block the calling thread: while the
 * producer's buffer ({@code buffer.memory}, Kafka's default 32 MiB) is full, or while the cluster's metadata is not
 * yet known, for at most {@code max.block.ms} ({@link #DEFAULT_MAX_BLOCK} unless set; {@code 0} fails at once instead
 * of blocking). After that the future fails with a retriable {@link PublishException} caused by Kafka's
 * {@code TimeoutException} ({@code BufferExhaustedException} when the buffer was full); it never waits forever. An event accepted into the buffer is acknowledged or failed within
 * {@code delivery.timeout.ms} (Kafka's default 2 minutes).
 *
 * <p><b>Threads.</b> Thread-safe: share one instance per service. The futures complete on the producer's I/O thread
 * (or on the calling thread when publishing fails before anything was sent), so stages attached with
 * {@code thenApply}, {@code whenComplete} and the like run there and hold up every other acknowledgement: keep them
 * short, or use the {@code *Async} variants. Never block on another publish inside such a stage.
 *
 * <p><b>Lifecycle.</b> Made by {@link #builder()}; owns its Kafka producer and must be closed ({@link #close()} or
 * {@link #close(Duration)}), which sends what is pending first.
 */
public final class Publisher implements AutoCloseable {
    /** Default bound on how long {@link #publish} blocks for buffer space or metadata ({@code max.block.ms}). */
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(5);
    /** How long {@link #close()} waits for pending events. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** The most {@code max.in.flight.requests.per.connection} an idempotent producer keeps in order; the default. */
    public static final int MAX_IN_FLIGHT = 5;
    /** {@code max.request.size} unless set: room for the largest event the codec writes, with its key and headers. */
    static final int DEFAULT_MAX_REQUEST_BYTES = CloudEventCodec.DEFAULT_MAX_EVENT_BYTES + 64 * 1024;

    private final Producer<String, byte[]> producer;
    private final CloudEventCodec codec = new CloudEventCodec();
    private final URI source;
    private final Clock clock;
    private final Supplier<String> ids;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Publisher(Producer<String, byte[]> producer, URI source, Clock clock, Supplier<String> ids) {
        this.producer = producer;
        this.source = source;
        this.clock = clock;
        this.ids = ids;
    }

    /** A builder; {@link Builder#bootstrapServers} and {@link Builder#source} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Publishes {@code data} with a new event id from the id supplier (a random UUID unless set). To be able to retry
     * safely, use {@link #publish(String, EventData)} or read the id from the result or the failure.
     *
     * @return completes with where the event was written once the broker acknowledged it, or fails with a
     *     {@link PublishException} (see the class doc)
     * @throws NullPointerException if {@code data} is null, or the id supplier returned null
     * @throws IllegalArgumentException if only Pushline may write {@code data}'s type
     */
    public CompletableFuture<Published> publish(EventData data) {
        requirePublishable(data);
        String eventId = Objects.requireNonNull(ids.get(), "the id supplier returned null");
        return send(eventId, data);
    }

    /**
     * Publishes {@code data} as the event {@code eventId}: for retries, and for ids that derive from the caller's own
     * (an outbox row, a request id). The same id published twice writes two records with the same {@code ce_id},
     * which Pushline treats as one event. The id must match {@code [A-Za-z0-9._:@-]{1,128}}; a UUID does.
     *
     * @return as {@link #publish(EventData)}; an id that breaks the rule fails the future
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if only Pushline may write {@code data}'s type
     */
    public CompletableFuture<Published> publish(String eventId, EventData data) {
        Objects.requireNonNull(eventId, "eventId must not be null");
        requirePublishable(data);
        return send(eventId, data);
    }

    /**
     * Sends everything buffered and blocks until every event published before this call is acknowledged or failed
     * (its future completed).
     *
     * @throws org.apache.kafka.common.errors.InterruptException if the thread is interrupted while waiting
     */
    public void flush() {
        producer.flush();
    }

    /** {@link #close(Duration)} with {@link #DEFAULT_CLOSE_TIMEOUT}. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    /**
     * Stops accepting events (a later {@link #publish} fails its future), then waits up to {@code timeout} for pending
     * events to be acknowledged; the futures of those still pending then fail. Calling it again does nothing more.
     */
    public void close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0 but was " + timeout);
        }
        if (closed.compareAndSet(false, true)) {
            producer.close(timeout);
        }
    }

    private static void requirePublishable(EventData data) {
        Objects.requireNonNull(data, "data must not be null");
        EventType type = data.type();
        if (!type.publishable()) {
            throw new IllegalArgumentException(type.ceType() + " (" + data.getClass().getSimpleName()
                    + ") is written only by Pushline; the router dead-letters it on " + Topics.EVENTS);
        }
    }

    private CompletableFuture<Published> send(String eventId, EventData data) {
        EventType type = data.type();
        CompletableFuture<Published> result = new CompletableFuture<>();
        ProducerRecord<String, byte[]> record;
        try {
            if (closed.get()) {
                throw new IllegalStateException("the publisher is closed");
            }
            Instant now = clock.instant();
            record = codec.toRecord(Topics.EVENTS, Envelope.of(eventId, source, now, data));
        } catch (IllegalArgumentException | IllegalStateException e) {
            result.completeExceptionally(new PublishException(eventId, type, e));
            return result;
        }
        String key = record.key();
        try {
            producer.send(record, (metadata, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(new PublishException(eventId, type, failure));
                } else {
                    result.complete(new Published(eventId, type, key, metadata.topic(), metadata.partition(),
                            metadata.offset(), Instant.ofEpochMilli(metadata.timestamp())));
                }
            });
        } catch (RuntimeException e) {
            // Closed concurrently (IllegalStateException), interrupted while blocked (InterruptException, which keeps
            // the thread's interrupt flag set), or a failure the producer throws rather than reports to the callback.
            result.completeExceptionally(new PublishException(eventId, type, e));
        }
        return result;
    }

    /**
     * Builds a {@link Publisher}. Not thread-safe; {@link #build()} validates and names the problem. The typed setters
     * are shortcuts for the Kafka properties they name: the last call setting a property wins.
     */
    public static final class Builder {
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private URI source;
        private Clock clock = Clock.systemUTC();
        private Supplier<String> idSupplier = () -> UUID.randomUUID().toString();

        private Builder() {
        }

        /** {@code bootstrap.servers}: {@code host:port[,host:port...]}. Required. */
        public Builder bootstrapServers(String bootstrapServers) {
            properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Objects.requireNonNull(bootstrapServers, "bootstrapServers"));
            return this;
        }

        /**
         * The CloudEvents {@code source} of this service ({@code ce_source}), e.g. {@code urn:example:service:likes}
         * or {@code /likes}. Required; must not be empty.
         */
        public Builder source(URI source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * A Kafka producer property: security ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}), client id,
         * compression, batching, timeouts. Refused by {@link #build()}: {@code acks} other than {@code all}/{@code -1},
         * {@code enable.idempotence} other than {@code true}, {@code max.in.flight.requests.per.connection} above
         * {@value Publisher#MAX_IN_FLIGHT}, {@code retries=0}, serializers, a partitioner, and {@code transactional.id}.
         */
        public Builder property(String name, Object value) {
            properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, () -> name + " must not be null"));
            return this;
        }

        /** {@link #property} for each entry, e.g. of a properties file. */
        public Builder properties(Map<String, ?> properties) {
            Objects.requireNonNull(properties, "properties").forEach(this::property);
            return this;
        }

        /** {@code buffer.memory}: bytes of events waiting to be sent; when full, {@code publish} blocks (see {@link #maxBlock}). */
        public Builder bufferMemory(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("bufferMemory must be > 0 but was " + bytes);
            }
            properties.put(ProducerConfig.BUFFER_MEMORY_CONFIG, bytes);
            return this;
        }

        /**
         * {@code max.block.ms}: how long {@code publish} may block for buffer space or metadata before its future
         * fails; {@link Publisher#DEFAULT_MAX_BLOCK} unless set. Zero fails at once instead of blocking.
         */
        public Builder maxBlock(Duration maxBlock) {
            properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis(maxBlock, "maxBlock", true));
            return this;
        }

        /**
         * {@code delivery.timeout.ms}: how long an accepted event may take to be acknowledged, retries included,
         * before its future fails. Kafka requires it to be at least {@code linger.ms + request.timeout.ms}.
         */
        public Builder deliveryTimeout(Duration deliveryTimeout) {
            long millis = millis(deliveryTimeout, "deliveryTimeout", false);
            if (millis > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("deliveryTimeout is too long: " + deliveryTimeout);
            }
            properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) millis);
            return this;
        }

        /** The clock of {@code ce_time}; the system UTC clock unless set. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Ids of events published without one; a random UUID each unless set. Called once per publish, concurrently. */
        public Builder idSupplier(Supplier<String> idSupplier) {
            this.idSupplier = Objects.requireNonNull(idSupplier, "idSupplier");
            return this;
        }

        /**
         * The publisher, with its Kafka producer (which connects lazily).
         *
         * @throws IllegalArgumentException naming the property or field: a required one missing, a setting that
         *     contradicts the idempotent producer, or a value Kafka refuses
         */
        public Publisher build() {
            if (source == null) {
                throw new IllegalArgumentException("source is required (the CloudEvents source of this service)");
            }
            if (source.toString().isEmpty()) {
                throw new IllegalArgumentException("source must not be empty");
            }
            Object servers = properties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
            if (servers == null || servers.toString().isBlank()) {
                throw new IllegalArgumentException("bootstrapServers (" + ProducerConfig.BOOTSTRAP_SERVERS_CONFIG + ") is required");
            }
            properties.forEach(Builder::refuseContradiction);

            Map<String, Object> config = new LinkedHashMap<>(properties);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, MAX_IN_FLIGHT);
            config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, DEFAULT_MAX_BLOCK.toMillis());
            config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, DEFAULT_MAX_REQUEST_BYTES);
            Producer<String, byte[]> producer;
            try {
                producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
            } catch (KafkaException e) {
                ConfigException bad = configException(e);
                if (bad != null) {
                    throw new IllegalArgumentException(bad.getMessage(), e);
                }
                throw e;
            }
            return new Publisher(producer, source, clock, idSupplier);
        }

        /** Settings that would undo what the class doc promises. Values of other properties (secrets) are never shown. */
        private static void refuseContradiction(String name, Object value) {
            String v = value.toString().trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case ProducerConfig.ACKS_CONFIG -> {
                    if (!v.equals("all") && !v.equals("-1")) {
                        throw contradiction(name, value, "the publisher always waits for all in-sync replicas (acks=all)");
                    }
                }
                case ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG -> {
                    if (!v.equals("true")) {
                        throw contradiction(name, value, "the publisher's producer is always idempotent");
                    }
                }
                case ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION -> {
                    int inFlight;
                    try {
                        inFlight = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw contradiction(name, value, "it must be an integer from 1 to " + MAX_IN_FLIGHT);
                    }
                    if (inFlight < 1 || inFlight > MAX_IN_FLIGHT) {
                        throw contradiction(name, value, "an idempotent producer keeps order with at most "
                                + MAX_IN_FLIGHT + " requests in flight");
                    }
                }
                case ProducerConfig.RETRIES_CONFIG -> {
                    if (v.equals("0")) {
                        throw contradiction(name, value, "an idempotent producer must retry; bound it with delivery.timeout.ms");
                    }
                }
                case ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG ->
                        throw refused(name, "the publisher writes String keys and CloudEvents JSON values itself");
                case ProducerConfig.PARTITIONER_CLASS_CONFIG ->
                        throw refused(name, "the event type's key decides the partition, with Kafka's default partitioner");
                case ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG -> {
                    if (!v.equals("false")) {
                        throw refused(name, "the event type's key decides the partition, with Kafka's default partitioner");
                    }
                }
                case ProducerConfig.TRANSACTIONAL_ID_CONFIG ->
                        throw refused(name, "the publisher is idempotent, not transactional");
                default -> {
                }
            }
        }

        private static IllegalArgumentException contradiction(String name, Object value, String why) {
            return new IllegalArgumentException(name + "=" + value + " is refused: " + why);
        }

        private static IllegalArgumentException refused(String name, String why) {
            return new IllegalArgumentException(name + " is refused: " + why);
        }

        private static ConfigException configException(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ConfigException c) {
                    return c;
                }
            }
            return null;
        }

        private static long millis(Duration d, String field, boolean zeroAllowed) {
            Objects.requireNonNull(d, field);
            if (d.isNegative() || (!zeroAllowed && d.isZero())) {
                throw new IllegalArgumentException(field + " must be " + (zeroAllowed ? ">= 0" : "> 0") + " but was " + d);
            }
            try {
                return d.toMillis();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(field + " is too long: " + d, e);
            }
        }
    }
}
