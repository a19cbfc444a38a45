package io.pushline.loadtests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.credentials.BearerTokens;
import io.pushline.ingest.IngestConfig;
import io.pushline.ingest.IngestMetrics;
import io.pushline.ingest.IngestServer;
import io.pushline.ingest.Publishers;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HTTP ingest as {@code pushline run} serves it, through its public API, on 127.0.0.1 (a free port): one
 * publisher with {@code token}, allowed every publishable type at no rate limit; {@code config} differs from
 * {@code pushline run}'s only where the bench asks (handler threads; the saturation phase's limits).
 */
record BenchIngest(IngestServer server, MeterRegistry registry) implements AutoCloseable {
    /** The name of the bench's one publisher. */
    static final String PUBLISHER = "bench";

    static BenchIngest start(Map<String, Object> clientConfig, String token, IngestConfig config) {
        ObjectNode publisher = new ObjectMapper().createObjectNode().put("name", PUBLISHER).put("token", token).put("eventsPerSecond", 0);
        publisher.putArray("types").add("*");
        ObjectNode file = new ObjectMapper().createObjectNode();
        file.putArray("publishers").add(publisher);
        Publishers publishers;
        try {
            publishers = Publishers.parse(file.toString(), System::nanoTime);
        } catch (BearerTokens.Invalid e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        MeterRegistry registry = new SimpleMeterRegistry();
        return new BenchIngest(IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, publishers, clientConfig, registry), registry);
    }

    int port() {
        return server.port();
    }

    /** The ingest's own count of events by result ({@code accepted}, {@code saturated}, {@code failed}, ...). */
    Map<String, Long> eventsByResult() {
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
