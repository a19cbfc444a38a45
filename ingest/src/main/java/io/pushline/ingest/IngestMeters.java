package io.pushline.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The ingest's per-request meters ({@link IngestMetrics}), looked up in the registry once per publisher and result or
 * status and then kept, instead of being built and looked up (a meter id, its tags, a map lookup) for every request.
 * Bounded: publishers come from the configuration (and {@link IngestReply#UNKNOWN_PUBLISHER}), results and statuses
 * are the ingest's own few. Thread-safe.
 */
final class IngestMeters {
    private record Answered(Counter requests, Timer duration) {
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> events = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Answered> answers = new ConcurrentHashMap<>();

    IngestMeters(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Counts {@code n} events of {@code publisher} with {@code result} (nothing for 0), under {@link IngestMetrics#INGEST_EVENTS}. */
    void events(String publisher, String result, int n) {
        if (n > 0) {
            events(publisher, result).increment(n);
        }
    }

    /** The counter of {@code publisher}'s events with {@code result}, registered on first use. */
    Counter events(String publisher, String result) {
        return events.computeIfAbsent(publisher + '\n' + result,
                k -> registry.counter(IngestMetrics.INGEST_EVENTS, "publisher", publisher, "result", result));
    }

    /** Counts one request answered {@code status} for {@code publisher}, {@code nanos} after it was read. */
    void answered(String publisher, int status, long nanos) {
        Answered meters = answers.computeIfAbsent(publisher + '\n' + status, k -> {
            String code = Integer.toString(status);
            return new Answered(registry.counter(IngestMetrics.INGEST_REQUESTS, "publisher", publisher, "status", code),
                    Timer.builder(IngestMetrics.INGEST_DURATION).tags("publisher", publisher, "status", code).register(registry));
        });
        meters.requests().increment();
        meters.duration().record(nanos, TimeUnit.NANOSECONDS);
    }
}
