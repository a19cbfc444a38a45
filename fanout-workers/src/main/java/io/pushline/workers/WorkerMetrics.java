package io.pushline.workers;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/** Metric names of the fanout workers, in one place. Every drop, retry, dedup and dead letter is counted. */
public final class WorkerMetrics {
    /** Push outcomes, tagged {@code lane}, {@code platform}, {@code outcome} (delivered, rejected, expired, failed). */
    public static final String PUSHES = "pushline.worker.pushes";
    /** Sends retried after a retry-later outcome, tagged {@code lane}, {@code platform}. */
    public static final String RETRIES = "pushline.worker.retries";
    /** Tasks skipped because a receipt for their push id exists, tagged {@code lane}. */
    public static final String DEDUPLICATED = "pushline.worker.deduplicated";
    /** Tasks dead-lettered (undecodable, or out of retries), tagged {@code lane}, {@code reason}. */
    public static final String DEAD_LETTERS = "pushline.worker.dead.letters";
    /** Token invalidations published as DeviceUnregistered, tagged {@code platform}. */
    public static final String TOKENS_INVALIDATED = "pushline.worker.tokens.invalidated";
    /** Pushes in flight to providers, tagged {@code lane}. */
    public static final String IN_FLIGHT = "pushline.worker.in.flight";
    /** Partitions paused for want of demand, tagged {@code lane}. */
    public static final String PAUSED_PARTITIONS = "pushline.worker.paused.partitions";

    private final MeterRegistry registry;
    private final String lane;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    WorkerMetrics(MeterRegistry registry, String lane) {
        this.registry = registry;
        this.lane = lane;
    }

    void gauges(Supplier<Number> inFlight, Supplier<Number> paused) {
        registry.gauge(IN_FLIGHT, io.micrometer.core.instrument.Tags.of("lane", lane), inFlight, s -> s.get().doubleValue());
        registry.gauge(PAUSED_PARTITIONS, io.micrometer.core.instrument.Tags.of("lane", lane), paused, s -> s.get().doubleValue());
    }

    void outcome(String platform, String outcome) {
        counter(PUSHES, "platform", platform, "outcome", outcome).increment();
    }

    void retry(String platform) {
        counter(RETRIES, "platform", platform).increment();
    }

    void deduplicated() {
        counter(DEDUPLICATED).increment();
    }

    void deadLettered(String reason) {
        counter(DEAD_LETTERS, "reason", reason).increment();
    }

    void tokenInvalidated(String platform) {
        counter(TOKENS_INVALIDATED, "platform", platform).increment();
    }

    private Counter counter(String name, String... tags) {
        String id = name + String.join(",", tags);
        return counters.computeIfAbsent(id, k -> Counter.builder(name).tag("lane", lane).tags(tags).register(registry));
    }
}
