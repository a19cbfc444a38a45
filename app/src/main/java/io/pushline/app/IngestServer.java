package io.pushline.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * HTTP ingest for services without a Kafka client: {@code POST /v1/events} with one CloudEvent in structured mode
 * ({@code Content-Type: application/cloudevents+json}) or a batch ({@code application/cloudevents-batch+json}),
 * written to {@code pushline.events} in binary mode exactly as the Java publisher writes it.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li><b>202 means written</b>: only after the broker acknowledged every event of the request (idempotent producer,
 *       {@code acks=all}). A 503 claims nothing: the publisher retries with the same ids, and deduplication makes that
 *       safe.</li>
 *   <li><b>A batch is all or nothing as far as validation goes</b>: one invalid or forbidden entry and none is
 *       produced. A broker failure midway can leave part of a batch written; the 503 asks for the whole batch again, and
 *       the part already acknowledged is then answered as duplicates.</li>
 *   <li><b>Bounded memory</b>: bodies over the limits are refused by their {@code Content-Length} before being read, and
 *       cut off while reading otherwise; the bytes of all requests in flight (read, produced, awaiting acknowledgement)
 *       are bounded, and a request beyond that bound is answered 429 with {@code Retry-After} before its body is read, so
 *       a slow broker slows publishers down. Handler threads and their queue are bounded; beyond them, 503.</li>
 *   <li><b>Deduplication</b>: the same {@code source} + {@code id} within the window is produced once (see
 *       {@link DedupWindow}: per process).</li>
 *   <li><b>No secret leaves</b>: tokens are never logged, counted or echoed; an error body names fields, never values
 *       of the payload.</li>
 * </ul>
 *
 * <p>Thread-safe. Owns its producer, threads and server socket: {@link #close()} stops accepting, lets requests in
 * flight finish (at most the delivery timeout), then flushes and closes the producer.
 */
final class IngestServer implements AutoCloseable {
    static final String PATH = "/v1/events";
    static final String SINGLE = "application/cloudevents+json";
    static final String BATCH = "application/cloudevents-batch+json";
    /** Seconds a publisher is asked to wait when the ingest is saturated (in-flight bytes, producer buffer, threads). */
    static final long SATURATED_RETRY_AFTER_SECONDS = 1;
    /** Seconds a publisher is asked to wait when the broker failed or did not acknowledge in time. */
    static final long BROKER_RETRY_AFTER_SECONDS = 5;
    private static final String REALM = "Bearer realm=\"pushline-ingest\"";
    private static final String UNKNOWN = "unknown";
    private static final Logger log = LoggerFactory.getLogger(IngestServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Set on the threads that only refuse work: the handler answers 503 without reading the request. */
    private static final ThreadLocal<Boolean> SHEDDING = ThreadLocal.withInitial(() -> false);

    private final IngestConfig config;
    private final Publishers publishers;
    private final Producer<String, byte[]> producer;
    private final MeterRegistry registry;
    private final StructuredEvents parser;
    private final CloudEventCodec codec;
    private final DedupWindow dedup;
    private final Semaphore inFlightBytes;
    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final ThreadPoolExecutor shedders;
    /** Requests being handled; {@link #close()} waits for them. */
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closing;

    private IngestServer(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                         MeterRegistry registry, Clock clock, LongSupplier nanos) {
        this.config = config;
        this.publishers = publishers;
        this.producer = producer;
        this.registry = registry;
        this.codec = new CloudEventCodec();
        this.parser = new StructuredEvents(codec, clock);
        this.dedup = new DedupWindow(config.dedupWindow(), config.dedupMaxEntries(), nanos);
        this.inFlightBytes = new Semaphore(config.maxInFlightBytes());
        registry.gauge(AppMetrics.INGEST_IN_FLIGHT_BYTES, inFlightBytes, s -> config.maxInFlightBytes() - s.availablePermits());
        registry.gauge(AppMetrics.INGEST_DEDUP_ENTRIES, dedup, DedupWindow::size);
        for (String name : publishers.names()) {
            registry.counter(AppMetrics.INGEST_EVENTS, "publisher", name, "result", "accepted");
        }
        try {
            server = HttpServer.create(address, 128);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve the ingest on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage() + " (is the port in use? choose another with --ingest-address)", e);
        }
        shedders = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), daemon("pushline-ingest-shed", true),
                // Last resort: the dispatcher itself answers 503 (a few bytes), which also stops it accepting for a moment.
                (task, pool) -> runShedding(task));
        BlockingQueue<Runnable> queue = config.queue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(config.queue());
        RejectedExecutionHandler overflow = (task, pool) -> shedders.execute(task);
        workers = new ThreadPoolExecutor(config.threads(), config.threads(), 0, TimeUnit.MILLISECONDS, queue,
                daemon("pushline-ingest-http", false), overflow);
        server.setExecutor(workers);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free one) with an idempotent producer made from
     * {@code clientConfig} (bootstrap servers and security settings).
     *
     * @throws IllegalStateException naming the address if it cannot be bound
     */
    static IngestServer start(InetSocketAddress address, IngestConfig config, Publishers publishers, Map<String, Object> clientConfig,
                              MeterRegistry registry) {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(clientConfig, config), new StringSerializer(),
                new ByteArraySerializer());
        try {
            return start(address, config, publishers, producer, registry, Clock.systemUTC(), System::nanoTime);
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /** As {@link #start(InetSocketAddress, IngestConfig, Publishers, Map, MeterRegistry)}, with the producer (which it then owns) and clocks given. */
    static IngestServer start(InetSocketAddress address, IngestConfig config, Publishers publishers, Producer<String, byte[]> producer,
                              MeterRegistry registry, Clock clock, LongSupplier nanos) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(publishers, "publishers");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(registry, "registry");
        return new IngestServer(address, config, publishers, producer, registry, clock, nanos);
    }

    /** The producer settings: every acknowledged write is on all in-sync replicas, once; the buffer never blocks a send. */
    static Map<String, Object> producerConfig(Map<String, Object> clientConfig, IngestConfig config) {
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "pushline-ingest");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // Above the in-flight byte bound, so that the bound (answered 429) is reached before the buffer would block a thread.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * config.maxInFlightBytes() + (1 << 20));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_EVENTS_MESSAGE_BYTES);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.maxBlock().toMillis());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        long delivery = config.deliveryTimeout().toMillis();
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, Math.min(30_000, delivery / 2)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery);
        return p;
    }

    /** The port it listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    /**
     * Answers new requests 503, waits until the requests in flight are answered (at most the delivery timeout and a
     * second), then closes the socket, the threads and the producer.
     */
    @Override
    public void close() {
        closing = true;
        long deadline = System.nanoTime() + config.deliveryTimeout().plusSeconds(1).toNanos();
        try {
            while (active.get() > 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);   // poll interval of a bounded wait for the last answers
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // (HttpServer.stop(delay) on JDK 17 waits the whole delay even when idle, hence the wait above.)
        server.stop(0);
        workers.shutdownNow();
        shedders.shutdownNow();
        producer.close(Duration.ofSeconds(10));
    }

    // ---------------------------------------------------------------------------------------------
    // Requests

    /** What a request came to: its status, and the publisher to count it for. */
    private record Answer(int status, String publisher) {
    }

    private void handle(HttpExchange exchange) throws IOException {
        long started = System.nanoTime();
        Answer answer = new Answer(500, UNKNOWN);
        active.incrementAndGet();
        try (exchange) {
            answer = answer(exchange);
        } catch (IOException | RuntimeException e) {
            // The client went away or a bug: nothing was claimed accepted. Never log the request itself.
            log.warn("ingest request failed: {}", e.getClass().getName());
            log.debug("ingest request failure", e);
        } finally {
            active.decrementAndGet();
            registry.counter(AppMetrics.INGEST_REQUESTS, "publisher", answer.publisher(), "status", Integer.toString(answer.status())).increment();
            Timer.builder(AppMetrics.INGEST_DURATION).tags("publisher", answer.publisher(), "status", Integer.toString(answer.status()))
                    .register(registry).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }

    private Answer answer(HttpExchange exchange) throws IOException {
        if (SHEDDING.get() || closing) {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
            return error(exchange, UNKNOWN, 503, "overloaded", closing ? "the ingest is shutting down; retry later"
                    : "too many requests in progress; retry later");
        }
        String path = exchange.getRequestURI().getPath();
        if (!path.equals(PATH)) {
            return error(exchange, UNKNOWN, 404, "not_found", "not found: POST events to " + PATH);
        }
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.getResponseHeaders().set("Allow", "POST");
            return error(exchange, UNKNOWN, 405, "method_not_allowed", "use POST");
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || authorization.isBlank()) {
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM);
            return error(exchange, UNKNOWN, 401, "unauthorized", "give the publisher's token: Authorization: Bearer TOKEN");
        }
        Optional<Publishers.Publisher> who = Optional.empty();
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            who = publishers.authenticate(authorization.substring(7).trim());
        }
        if (who.isEmpty()) {
            exchange.getResponseHeaders().set("WWW-Authenticate", REALM + ", error=\"invalid_token\"");
            return error(exchange, UNKNOWN, 401, "unauthorized", "the bearer token is not a publisher's");
        }
        Publishers.Publisher publisher = who.get();
        String name = publisher.name();
        Boolean batch = batchMode(exchange.getRequestHeaders().getFirst("Content-Type"));
        if (batch == null) {
            exchange.getResponseHeaders().set("Accept-Post", SINGLE + ", " + BATCH);
            return error(exchange, name, 415, "unsupported_media_type", "Content-Type must be " + SINGLE + " (one event) or "
                    + BATCH + " (a JSON array of events), in UTF-8");
        }
        int limit = batch ? config.maxBatchBytes() : config.maxEventBytes();
        long declared = contentLength(exchange);
        if (declared == -2) {
            return error(exchange, name, 400, "bad_request", "Content-Length is not a number");
        }
        if (declared > limit) {
            return tooLarge(exchange, name, declared + " bytes exceeds the limit of " + limit + " bytes");
        }
        int reserved = declared >= 0 ? (int) declared : limit;
        if (!inFlightBytes.tryAcquire(reserved)) {
            count(name, "saturated", 1);
            exchange.getResponseHeaders().set("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
            return error(exchange, name, 429, "saturated", "the ingest is writing as fast as the broker acknowledges; retry later");
        }
        try {
            byte[] body = readCapped(exchange.getRequestBody(), limit);
            if (body == null) {
                return tooLarge(exchange, name, "the body exceeds the limit of " + limit + " bytes");
            }
            if (body.length < reserved) {
                inFlightBytes.release(reserved - body.length);
                reserved = body.length;
            }
            return publish(exchange, publisher, batch, body);
        } finally {
            inFlightBytes.release(reserved);
        }
    }

    private Answer publish(HttpExchange exchange, Publishers.Publisher publisher, boolean batch, byte[] body) throws IOException {
        String name = publisher.name();
        StructuredEvents.Result parsed = batch ? parser.batch(body, config.maxBatchEvents()) : parser.single(body);
        if (parsed instanceof StructuredEvents.Result.TooManyEvents tooMany) {
            return tooLarge(exchange, name, tooMany.count() + " events in one batch exceeds the limit of " + tooMany.max());
        }
        if (parsed instanceof StructuredEvents.Result.Invalid invalid) {
            long entries = invalid.problems().stream().mapToInt(StructuredEvents.Problem::index).distinct().count();
            count(name, "invalid", (int) entries);
            return problems(exchange, name, 400, "invalid", batch
                    ? entries + " of the batch's events are invalid; none was published"
                    : "the event is invalid; it was not published", invalid.problems());
        }
        List<Envelope<?>> events = ((StructuredEvents.Result.Ok) parsed).events();
        List<StructuredEvents.Problem> refusals = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Envelope<?> e = events.get(i);
            String refusal = publisher.refusal(e.type(), e.source().toString());
            if (refusal != null) {
                refusals.add(new StructuredEvents.Problem(batch ? i : -1, refusal.contains("source") ? "source" : "type", refusal));
            }
        }
        if (!refusals.isEmpty()) {
            count(name, "forbidden", refusals.size());
            return problems(exchange, name, 403, "forbidden", batch
                    ? refusals.size() + " of the batch's events may not be published by '" + name + "'; none was published"
                    : "'" + name + "' may not publish this event", refusals);
        }
        Publishers.TokenBucket limit = publisher.limit();
        long wait = limit == null ? 0 : limit.tryAcquire(events.size());
        if (wait > 0) {
            count(name, "rate_limited", events.size());
            exchange.getResponseHeaders().set("Retry-After", Long.toString(wait));
            return error(exchange, name, 429, "rate_limited", "publisher '" + name + "' is over its rate limit; retry after "
                    + wait + " s");
        }
        return produce(exchange, name, batch, events);
    }

    private Answer produce(HttpExchange exchange, String name, boolean batch, List<Envelope<?>> events) throws IOException {
        List<DedupWindow.Claim> claims = new ArrayList<>(events.size());
        for (Envelope<?> event : events) {
            DedupWindow.Claim claim = dedup.claim(event.source().toString(), event.id());
            claims.add(claim);
            if (claim.first()) {
                send(event, claim.outcome());
            }
        }
        Throwable failure = null;
        try {
            CompletableFuture.allOf(claims.stream().map(DedupWindow.Claim::outcome).toArray(CompletableFuture[]::new))
                    .get(config.deliveryTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (TimeoutException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        }
        if (failure != null) {
            boolean saturated = claims.stream().anyMatch(c -> causeOf(c.outcome()) instanceof BufferExhaustedException);
            if (saturated) {
                count(name, "saturated", events.size());
                exchange.getResponseHeaders().set("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
                return error(exchange, name, 429, "saturated", "the producer's buffer is full; retry later");
            }
            count(name, "failed", events.size());
            log.warn("ingest: the broker did not acknowledge {} event(s) of publisher {} ({}); answered 503", events.size(), name,
                    failure.getClass().getSimpleName());
            exchange.getResponseHeaders().set("Retry-After", Long.toString(BROKER_RETRY_AFTER_SECONDS));
            return error(exchange, name, 503, "unavailable", "the broker did not acknowledge the write; nothing is claimed "
                    + "accepted: retry with the same ids");
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("events");
        int accepted = 0;
        for (int i = 0; i < events.size(); i++) {
            boolean first = claims.get(i).first();
            accepted += first ? 1 : 0;
            ObjectNode e = list.addObject();
            if (batch) {
                e.put("index", i);
            }
            e.put("id", events.get(i).id()).put("source", events.get(i).source().toString()).put("status", first ? "accepted" : "duplicate");
        }
        body.put("accepted", accepted).put("duplicates", events.size() - accepted);
        count(name, "accepted", accepted);
        count(name, "duplicate", events.size() - accepted);
        return send(exchange, name, 202, body);
    }

    /** Produces {@code event}, completing {@code outcome} when the broker acknowledged it or the send failed. */
    private void send(Envelope<?> event, CompletableFuture<Void> outcome) {
        try {
            ProducerRecord<String, byte[]> record = codec.toRecord(config.topic(), event);
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    outcome.complete(null);
                } else {
                    outcome.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            outcome.completeExceptionally(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** True for a batch, false for one event, null for any other content type. */
    static Boolean batchMode(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].trim().toLowerCase(Locale.ROOT);
            if (param.startsWith("charset=") && !param.substring(8).replace("\"", "").equals("utf-8")) {
                return null;
            }
        }
        return switch (media) {
            case SINGLE -> false;
            case BATCH -> true;
            default -> null;
        };
    }

    /** The declared length, -1 if none, -2 if unreadable. */
    private static long contentLength(HttpExchange exchange) {
        String value = exchange.getRequestHeaders().getFirst("Content-Length");
        if (value == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(value.trim());
            return n < 0 ? -2 : n;
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    /** The body, or null if it is longer than {@code limit}; never reads more than {@code limit + 1} bytes. */
    private static byte[] readCapped(InputStream in, int limit) throws IOException {
        byte[] body = in.readNBytes(limit + 1);
        return body.length > limit ? null : body;
    }

    /** Why {@code outcome} failed; null if it has not (yet). */
    private static Throwable causeOf(CompletableFuture<Void> outcome) {
        if (!outcome.isCompletedExceptionally()) {
            return null;
        }
        try {
            outcome.getNow(null);
            return null;
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    private void count(String publisher, String result, int n) {
        if (n > 0) {
            registry.counter(AppMetrics.INGEST_EVENTS, "publisher", publisher, "result", result).increment(n);
        }
    }

    private Answer tooLarge(HttpExchange exchange, String name, String message) throws IOException {
        return error(exchange, name, 413, "too_large", message + " (single events: " + config.maxEventBytes() + " bytes; batches: "
                + config.maxBatchBytes() + " bytes and " + config.maxBatchEvents() + " events)");
    }

    private Answer problems(HttpExchange exchange, String name, int status, String error, String message,
                            List<StructuredEvents.Problem> problems) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("error", error).put("message", message);
        ArrayNode list = body.putArray("errors");
        for (StructuredEvents.Problem p : problems) {
            ObjectNode o = list.addObject();
            if (p.index() >= 0) {
                o.put("index", p.index());
            }
            o.put("field", p.field()).put("reason", p.reason());
        }
        return send(exchange, name, status, body);
    }

    private Answer error(HttpExchange exchange, String name, int status, String error, String message) throws IOException {
        return send(exchange, name, status, JSON.createObjectNode().put("error", error).put("message", message));
    }

    private static Answer send(HttpExchange exchange, String name, int status, ObjectNode body) throws IOException {
        byte[] bytes = (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        return new Answer(status, name);
    }

    private static void runShedding(Runnable task) {
        boolean before = SHEDDING.get();
        SHEDDING.set(true);
        try {
            task.run();
        } finally {
            SHEDDING.set(before);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name, boolean shedding) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(shedding ? () -> runShedding(r) : r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
