package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The coordinators' metrics; names are the constants below (documented in the README). */
public final class CoordinatorMetrics {
    /** Coordinators started, by {@code flow}. */
    public static final String STARTED = "pushline.coordinators.started";
    /** Journaled transitions, by {@code flow} and {@code kind} (STARTED, SUCCEEDED, FAILED, PARKED, ...). */
    public static final String TRANSITIONS = "pushline.coordinators.transitions";
    /** Events that started nothing, by {@code flow} and {@code reason} (duplicate, already, stale). */
    public static final String SKIPPED = "pushline.coordinators.skipped";
    /** Coordinators parked now, on this process's partitions. */
    public static final String PARKED = "pushline.coordinators.parked";
    /** Admin commands, by {@code action} and {@code result} (done, not-parked, unknown, invalid). */
    public static final String COMMANDS = "pushline.coordinators.commands";

    private final MeterRegistry registry;
    private final AtomicLong parked = new AtomicLong();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public CoordinatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(PARKED, parked, AtomicLong::get).description("coordinators parked on this process's partitions")
                .register(registry);
    }

    void started(String flow) {
        counter(STARTED, "flow", flow).increment();
    }

    void transition(String flow, JournalEntry.Kind kind) {
        counter(TRANSITIONS, "flow", flow, "kind", kind.name()).increment();
    }

    void skipped(String flow, String reason) {
        counter(SKIPPED, "flow", flow, "reason", reason).increment();
    }

    void command(String action, String result) {
        counter(COMMANDS, "action", action, "result", result).increment();
    }

    void parked(long delta) {
        parked.addAndGet(delta);
    }

    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + String.join(",", tags), k -> Counter.builder(name).tags(tags).register(registry));
    }
}
