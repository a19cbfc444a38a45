package io.pushline.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.EventType;

import java.util.EnumMap;
import java.util.Map;

/**
 * Metric names of the topology, in one place. Every dead letter and every ignored record increments a counter.
 */
public final class TopologyMetrics {
    /** Events decoded and routed, tagged {@code type}. */
    public static final String EVENTS_ROUTED = "pushline.router.events";
    /** Records dead-lettered, tagged {@code reason}. */
    public static final String DEAD_LETTERS = "pushline.router.dead.letters";
    /** Device state changes ignored because a newer registration or invalidation already won, tagged {@code kind}. */
    public static final String DEVICE_STALE = "pushline.devices.stale";
    /** Fanout jobs started (one per job and partition). */
    public static final String JOBS_STARTED = "pushline.expansion.jobs.started";
    /** Fanout jobs expanded to the end (one per job and partition). */
    public static final String JOBS_EXPANDED = "pushline.expansion.jobs";
    /** Push tasks emitted by expansion. */
    public static final String DEVICES_EXPANDED = "pushline.expansion.devices";

    private final Map<EventType, Counter> routed = new EnumMap<>(EventType.class);
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Counter staleRegistration;
    private final Counter staleInvalidation;
    private final Counter jobs;
    private final Counter jobsStarted;
    private final Counter devices;

    public TopologyMetrics(MeterRegistry registry) {
        for (EventType type : EventType.values()) {
            routed.put(type, Counter.builder(EVENTS_ROUTED).tag("type", type.schemaName()).register(registry));
        }
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLetters.put(reason, Counter.builder(DEAD_LETTERS).tag("reason", reason.name()).register(registry));
        }
        staleRegistration = Counter.builder(DEVICE_STALE).tag("kind", "registration").register(registry);
        staleInvalidation = Counter.builder(DEVICE_STALE).tag("kind", "invalidation").register(registry);
        jobs = Counter.builder(JOBS_EXPANDED).register(registry);
        jobsStarted = Counter.builder(JOBS_STARTED).register(registry);
        devices = Counter.builder(DEVICES_EXPANDED).register(registry);
    }

    void routed(EventType type) { routed.get(type).increment(); }
    void deadLettered(DeadLetterReason reason) { deadLetters.get(reason).increment(); }
    void staleRegistration() { staleRegistration.increment(); }
    void staleInvalidation() { staleInvalidation.increment(); }
    void jobExpanded() { jobs.increment(); }
    void jobStarted() { jobsStarted.increment(); }
    void deviceExpanded() { devices.increment(); }
}
