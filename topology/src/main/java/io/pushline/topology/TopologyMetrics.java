package io.pushline.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.EventType;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

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
    /** Fanout jobs stopped because their author was banned (one per job and partition). */
    public static final String JOBS_CANCELLED = "pushline.expansion.jobs.cancelled";
    /** Fanout jobs not started because their author is banned (one per job and partition). */
    public static final String JOBS_REFUSED = "pushline.expansion.jobs.refused";
    /** Ban jobs started (one per banned profile). */
    public static final String BAN_JOBS_STARTED = "pushline.moderation.bans.started";
    /** Ban jobs that emitted a removal for every piece of the profile's indexed content. */
    public static final String BAN_JOBS_FINISHED = "pushline.moderation.bans.finished";
    /** Ban jobs running in this instance (a gauge). */
    public static final String BAN_JOBS_RUNNING = "pushline.moderation.bans.running";
    /** Bans of a profile that was already banned; ignored. */
    public static final String BANS_REPEATED = "pushline.moderation.bans.repeated";
    /** Content removal commands emitted, tagged {@code kind} ({@code POST}, {@code LIKE}). */
    public static final String REMOVALS_EMITTED = "pushline.moderation.removals";
    /** Follow edges removed because one of their ends is banned. */
    public static final String FOLLOW_EDGES_REMOVED = "pushline.moderation.follow.edges.removed";

    private final Map<EventType, Counter> routed = new EnumMap<>(EventType.class);
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Counter staleRegistration;
    private final Counter staleInvalidation;
    private final Counter jobs;
    private final Counter jobsStarted;
    private final Counter devices;
    private final Counter jobsCancelled;
    private final Counter jobsRefused;
    private final Counter bansStarted;
    private final Counter bansFinished;
    private final Counter bansRepeated;
    private final AtomicLong bansRunning = new AtomicLong();
    private final Map<ContentKind, Counter> removals = new EnumMap<>(ContentKind.class);
    private final Counter edgesRemoved;

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
        jobsCancelled = Counter.builder(JOBS_CANCELLED).register(registry);
        jobsRefused = Counter.builder(JOBS_REFUSED).register(registry);
        bansStarted = Counter.builder(BAN_JOBS_STARTED).register(registry);
        bansFinished = Counter.builder(BAN_JOBS_FINISHED).register(registry);
        bansRepeated = Counter.builder(BANS_REPEATED).register(registry);
        Gauge.builder(BAN_JOBS_RUNNING, bansRunning, AtomicLong::get).register(registry);
        for (ContentKind kind : ContentKind.values()) {
            removals.put(kind, Counter.builder(REMOVALS_EMITTED).tag("kind", kind.name()).register(registry));
        }
        edgesRemoved = Counter.builder(FOLLOW_EDGES_REMOVED).register(registry);
    }

    void routed(EventType type) { routed.get(type).increment(); }
    void deadLettered(DeadLetterReason reason) { deadLetters.get(reason).increment(); }
    void staleRegistration() { staleRegistration.increment(); }
    void staleInvalidation() { staleInvalidation.increment(); }
    void jobExpanded() { jobs.increment(); }
    void jobStarted() { jobsStarted.increment(); }
    void deviceExpanded() { devices.increment(); }
    void jobCancelled() { jobsCancelled.increment(); }
    void jobRefused() { jobsRefused.increment(); }
    void banStarted() { bansStarted.increment(); bansRunning.incrementAndGet(); }
    void banFinished() { bansFinished.increment(); bansRunning.decrementAndGet(); }
    void banRepeated() { bansRepeated.increment(); }
    /** Ban jobs a task took over ({@code +n}, resumed from its store) or gave up ({@code -n}, on close). */
    void bansRunning(long delta) { bansRunning.addAndGet(delta); }
    void removalEmitted(ContentKind kind) { removals.get(kind).increment(); }
    void followEdgeRemoved() { edgesRemoved.increment(); }
}
