package io.pushline.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP ingest ({@link IngestServer}) for {@code pushline bench ingest}, which lives in another module and cannot
 * reach the package-private server: one publisher, with the token given, allowed every publishable type at no rate
 * limit, serving {@code POST /v1/events} on {@code 127.0.0.1} with the production producer settings. Only the limits
 * in {@link Limits} differ from {@code pushline run}'s, and only when the bench asks (its saturation phase).
 */
public final class IngestBench implements AutoCloseable {
    /** The ingest's path. */
    public static final String PATH = IngestServer.PATH;
    /** The content type of one event. */
    public static final String SINGLE = IngestServer.SINGLE;
    /** The content type of a batch. */
    public static final String BATCH = IngestServer.BATCH;
    /** The name of the one publisher. */
    public static final String PUBLISHER = "bench";

    /**
     * The ingest's limits (see {@code IngestConfig}).
     *
     * @param maxEventBytes largest single-event body
     * @param maxBatchBytes largest batch body
     * @param maxBatchEvents most events per batch
     * @param maxInFlightBytes request bytes in flight over all requests; beyond it, 429 (at least the larger body limit)
     * @param threads request-handling threads
     * @param queue requests waiting for a thread; beyond it, 503
     */
    public record Limits(int maxEventBytes, int maxBatchBytes, int maxBatchEvents, int maxInFlightBytes, int threads, int queue) {
        /** {@code pushline run}'s. */
        public static Limits defaults() {
            IngestConfig d = IngestConfig.defaults();
            return new Limits(d.maxEventBytes(), d.maxBatchBytes(), d.maxBatchEvents(), d.maxInFlightBytes(), d.threads(), d.queue());
        }
    }

    private final IngestServer server;
    private final MeterRegistry registry;

    private IngestBench(IngestServer server, MeterRegistry registry) {
        this.server = server;
        this.registry = registry;
    }

    /**
     * Serves the ingest on 127.0.0.1 (a free port), writing to {@code pushline.events} of the cluster that
     * {@code kafkaClientConfig} reaches.
     *
     * @param token the publisher's bearer token, at least 16 characters
     * @throws IllegalArgumentException if a limit is out of range (naming it)
     */
    public static IngestBench start(Map<String, Object> kafkaClientConfig, String token, Limits limits) {
        Objects.requireNonNull(kafkaClientConfig, "kafkaClientConfig");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(limits, "limits");
        IngestConfig config = IngestConfig.defaults()
                .withLimits(limits.maxEventBytes(), limits.maxBatchBytes(), limits.maxBatchEvents(), limits.maxInFlightBytes())
                .withThreads(limits.threads(), limits.queue());
        Publishers publishers;
        try {
            publishers = Publishers.parse("{\"publishers\":[{\"name\":\"" + PUBLISHER + "\",\"token\":\""
                    + token.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"types\":[\"*\"],\"eventsPerSecond\":0}]}", System::nanoTime);
        } catch (io.pushline.credentials.BearerTokens.Invalid e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        MeterRegistry registry = new SimpleMeterRegistry();
        IngestServer server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, publishers, kafkaClientConfig, registry);
        return new IngestBench(server, registry);
    }

    /**
     * The ingest's own producer settings (idempotent, {@code acks=all}, linger 5 ms, no compression), for a baseline
     * that writes the same records straight to Kafka.
     */
    public static Map<String, Object> producerConfig(Map<String, Object> kafkaClientConfig, Limits limits) {
        IngestConfig config = IngestConfig.defaults()
                .withLimits(limits.maxEventBytes(), limits.maxBatchBytes(), limits.maxBatchEvents(), limits.maxInFlightBytes())
                .withThreads(limits.threads(), limits.queue());
        Map<String, Object> p = IngestServer.producerConfig(kafkaClientConfig, config);
        p.put("client.id", "pushline-bench-baseline");
        return p;
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** The ingest's own count of events by result ({@code accepted}, {@code saturated}, {@code failed}, ...). */
    public Map<String, Long> eventsByResult() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Counter c : registry.find(IngestMetrics.INGEST_EVENTS).counters()) {
            counts.merge(c.getId().getTag("result"), (long) c.count(), Long::sum);
        }
        return counts;
    }

    /** Answers new requests 503, lets those in flight finish, then closes the socket and the producer. */
    @Override
    public void close() {
        server.close();
    }
}
