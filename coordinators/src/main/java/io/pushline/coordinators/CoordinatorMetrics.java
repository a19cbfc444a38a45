package io.pushline.coordinators;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The coordinators' metrics; names are the constants below (documented in the README). */
public final class CoordinatorMetrics {
    /** Coordinators started, by {@code flow}. */
    public static final String STARTED = "pushline.coordinators.started";
    /** Journaled transitions, by {@code flow} and {@code kind} (STARTED, SUCCEEDED, FAILED, PARKED, ...). */
    public static final String TRANSITIONS = "pushline.coordinators.transitions";
    /**
     * Events that started nothing, by {@code flow} and {@code reason} (duplicate, already, stale, nothing-to-undo,
     * banned-actor, banned-recipient: see {@code IntakePolicy}; undecodable ones as flow {@code any}, reason
     * {@code invalid}).
     */
    public static final String SKIPPED = "pushline.coordinators.skipped";
    /**
     * Records the coordinators dead-lettered, by {@code reason}: operator commands they cannot read, and (counted by the
     * pipeline's processing exception handler) records that made the processor throw, {@code PROCESSING_FAILED}.
     */
    public static final String DEAD_LETTERS = "pushline.coordinators.dead.letters";
    /**
     * Coordinators cancelled because their actor or recipient was banned, by {@code flow}: when the ban arrived, or
     * right before a later step (a retry, an operator's retry) would have run.
     */
    public static final String BANNED = "pushline.coordinators.banned";
    /**
     * Entries deleted because their time passed, by {@code kind}: {@code window} and {@code decision} (history, after
     * the notification window), {@code parked} (a parked coordinator past its retention: discarded and dead-lettered).
     */
    public static final String EXPIRED = "pushline.coordinators.expired";
    /**
     * The like digest, by {@code outcome}: {@code folded} (a like went into a digest instead of being pushed, the one that
     * opened it included), {@code sent} (a digest pushed, one push per device), {@code held} (held for the recipient's
     * quiet hours, see {@link #POLICY}), {@code muted} (the recipient muted likes: not pushed), {@code empty} (a digest due
     * with no like left in it, every one taken back: nothing pushed).
     */
    public static final String LIKE_DIGEST = "pushline.coordinators.like.digest";
    /**
     * Delivery policy on the coordinators' pushes (issue 19), by {@code decision}: {@code muted} (the recipient muted the
     * category: nothing pushed), {@code held} (in the recipient's quiet hours: held until they end; again if still quiet
     * when due), {@code passed} (in quiet hours, pushed at once: the category passes them), {@code released} (held pushes
     * sent when due), {@code expired} (held pushes whose TTL ran out first: not sent). One count per step that decided
     * (a like's, a follow's, a like digest's push, a release), whatever the recipient's number of devices.
     */
    public static final String POLICY = "pushline.coordinators.policy";
    /** Coordinators parked now, on this process's partitions. */
    public static final String PARKED = "pushline.coordinators.parked";
    /** Admin commands, by {@code action} and {@code result} (done, not-parked, unknown, invalid). */
    public static final String COMMANDS = "pushline.coordinators.commands";
    /**
     * Coordinators not finished, on this process's partitions, by {@code flow} and the {@code state} they wait in: a
     * step state (waiting for a retry) or {@code PARKED}. A coordinator whose steps all succeed at once never shows here.
     */
    public static final String ACTIVE = "pushline.coordinators.active";
    /**
     * Time from entering a step to its outcome, by {@code flow}, {@code step} and {@code outcome} (succeeded, parked),
     * on the stream's clock: retries and their backoff included; a step that succeeds at its first try in the same
     * transaction as the one before records 0.
     */
    public static final String STEP = "pushline.coordinators.step";
    /** Time from a coordinator's start to its end, by {@code flow} and {@code outcome} (the terminal state), with SLO buckets. */
    public static final String DURATION = "pushline.coordinators.duration";

    private static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(5)};

    private final MeterRegistry registry;
    private final AtomicLong parked = new AtomicLong();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> active = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

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

    void banned(String flow) {
        counter(BANNED, "flow", flow).increment();
    }

    void expired(String kind) {
        counter(EXPIRED, "kind", kind).increment();
    }

    void likeDigest(String outcome) {
        counter(LIKE_DIGEST, "outcome", outcome).increment();
    }

    void policy(String decision) {
        counter(POLICY, "decision", decision).increment();
    }

    void command(String action, String result) {
        counter(COMMANDS, "action", action, "result", result).increment();
    }

    void deadLettered(String reason) {
        counter(DEAD_LETTERS, "reason", reason).increment();
    }

    void parked(long delta) {
        parked.addAndGet(delta);
    }

    /** Moves {@code delta} coordinators of {@code flow} into (or, negative, out of) {@code state}. */
    void active(String flow, String state, long delta) {
        active.computeIfAbsent(flow + "|" + state, k -> {
            AtomicLong n = new AtomicLong();
            Gauge.builder(ACTIVE, n, AtomicLong::get).tags("flow", flow, "state", state)
                    .description("coordinators not finished, by the state they wait in").register(registry);
            return n;
        }).addAndGet(delta);
    }

    void step(String flow, String step, String outcome, Duration took) {
        timers.computeIfAbsent(STEP + flow + step + outcome, k -> Timer.builder(STEP).tags("flow", flow, "step", step, "outcome", outcome)
                .register(registry)).record(took);
    }

    void finished(String flow, String outcome, Duration took) {
        timers.computeIfAbsent(DURATION + flow + outcome, k -> Timer.builder(DURATION).tags("flow", flow, "outcome", outcome)
                .serviceLevelObjectives(DURATION_BUCKETS).register(registry)).record(took);
    }

    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + String.join(",", tags), k -> Counter.builder(name).tags(tags).register(registry));
    }
}
