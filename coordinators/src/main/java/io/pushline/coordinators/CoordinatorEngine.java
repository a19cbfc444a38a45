package io.pushline.coordinators;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Runs coordinators: starts them, runs their steps one after the other, and supervises them. Pure: no Kafka, no
 * threads; the caller journals what it returns before any effect counts, and calls {@link #advance} again at
 * {@link Advance#wakeAt()}. Time comes from the caller (the stream's wall clock; a test's clock in tests).
 */
final class CoordinatorEngine {
    private static final int MAX_DETAIL = 300;

    private final Function<String, Flow> flows;
    private final SupervisorPolicy policy;
    private final Guard guard;

    /**
     * Why a coordinator must stop before its next step, asked right before every step runs (so right before a push step
     * emits its push tasks): e.g. its actor or recipient was banned. Reads the partition's state; never throws.
     */
    @FunctionalInterface
    interface Guard {
        /** Why {@code c} must be cancelled now; null to go on. */
        String stopReason(Coordinator c);
    }

    /**
     * @param flows the flow of each name; must know every flow a journal names
     */
    public CoordinatorEngine(Function<String, Flow> flows, SupervisorPolicy policy) {
        this(flows, policy, c -> null);
    }

    /**
     * @param guard asked before every step; a coordinator it names a reason for is cancelled (if its flow may be
     *              cancelled where it stands) instead of running the step
     */
    CoordinatorEngine(Function<String, Flow> flows, SupervisorPolicy policy, Guard guard) {
        this.flows = Objects.requireNonNull(flows, "flows");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    /**
     * What one call did.
     *
     * @param coordinator the coordinator after it
     * @param appended    the journal entries it added (journal them, then publish {@code outputs})
     * @param outputs     the records the steps produced, in order
     * @param wakeAt      when to call {@link #advance} again (a retry's time, or the step's timeout); null if nothing waits
     */
    public record Advance(Coordinator coordinator, List<JournalEntry> appended, List<Output> outputs, Instant wakeAt) {
        public boolean changed() {
            return !appended.isEmpty();
        }

        /** Whether this call parked the coordinator. */
        public boolean parked() {
            return appended.stream().anyMatch(e -> e.kind() == JournalEntry.Kind.PARKED);
        }
    }

    public Flow flow(String name) {
        Flow flow = flows.apply(name);
        if (flow == null) {
            throw new IllegalTransitionException("no flow named " + name);
        }
        return flow;
    }

    /** Starts a coordinator and runs as many of its steps as it can now. */
    public Advance start(String id, String flowName, String recipient, Map<String, String> input, Instant now) {
        Flow flow = flow(flowName);
        Coordinator c = Coordinator.blank(id, flow, recipient, input);
        List<JournalEntry> appended = new ArrayList<>();
        c = append(flow, c, appended, JournalEntry.Kind.STARTED, flow.firstState(), now, null, null, Map.of());
        return run(flow, c, appended, now);
    }

    /** Runs what is due: the current step if it is not waiting for a retry; nothing for a parked or finished one. */
    public Advance advance(Coordinator c, Instant now) {
        return run(flow(c.flow()), c, new ArrayList<>(), now);
    }

    /**
     * An operator's retry of a parked coordinator: its step starts over, with a fresh failure budget (unless the guard
     * stops it first: a retried coordinator whose actor was banned since is cancelled, not run).
     */
    public Advance retry(Coordinator c, String note, Instant now) {
        Flow flow = flow(c.flow());
        if (!c.isParked()) {
            throw new IllegalTransitionException(flow.name() + ": RETRIED from " + c.state()
                    + " is not in the transition table (coordinator " + c.id() + " is not parked)");
        }
        List<JournalEntry> appended = new ArrayList<>();
        Coordinator retried = append(flow, c, appended, JournalEntry.Kind.RETRIED, c.parkedFrom(), now, note, null, Map.of());
        return run(flow, retried, appended, now);
    }

    /** An operator's discard of a parked coordinator. */
    public Advance discard(Coordinator c, String note, Instant now) {
        Flow flow = flow(c.flow());
        List<JournalEntry> appended = new ArrayList<>();
        Coordinator discarded = append(flow, c, appended, JournalEntry.Kind.DISCARDED, Flow.DISCARDED, now, note, null, Map.of());
        return new Advance(discarded, appended, List.of(), null);
    }

    /** Stops a coordinator whose reason to run went away (a like taken back before its push). */
    public Advance cancel(Coordinator c, String reason, Instant now) {
        Flow flow = flow(c.flow());
        List<JournalEntry> appended = new ArrayList<>();
        Coordinator cancelled = append(flow, c, appended, JournalEntry.Kind.CANCELLED, Flow.CANCELLED, now, reason, null, Map.of());
        return new Advance(cancelled, appended, List.of(), null);
    }

    private Advance run(Flow flow, Coordinator c, List<JournalEntry> appended, Instant now) {
        List<Output> outputs = new ArrayList<>();
        while (!c.isTerminal() && !c.isParked()) {
            String stop = flow.canCancel(c.state(), null) ? guard.stopReason(c) : null;
            if (stop != null) {
                c = append(flow, c, appended, JournalEntry.Kind.CANCELLED, Flow.CANCELLED, now, stop, null, Map.of());
                break;
            }
            Flow.StepSpec spec = flow.step(c.state());
            Instant deadline = c.stepSince().plus(spec.timeout());
            if (!now.isBefore(deadline)) {
                c = append(flow, c, appended, JournalEntry.Kind.PARKED, Flow.PARKED, now,
                        "timed out: " + c.state() + " did not succeed within " + spec.timeout()
                                + lastFailure(c), null, Map.of());
                break;
            }
            if (c.nextAttemptAt() != null && now.isBefore(c.nextAttemptAt())) {
                return new Advance(c, appended, outputs, min(c.nextAttemptAt(), deadline));
            }
            StepContext context = new StepContext(c, now);
            Throwable failure = null;
            try {
                spec.step().run(context);
            } catch (Exception | LinkageError | AssertionError e) {
                failure = e;
            }
            if (failure == null) {
                outputs.addAll(context.outputs());
                c = append(flow, c, appended, JournalEntry.Kind.SUCCEEDED, flow.next(c.state()), now, null, null, context.notes());
                continue;
            }
            String cause = describe(failure);
            if (!spec.isRetryable(failure)) {
                c = append(flow, c, appended, JournalEntry.Kind.PARKED, Flow.PARKED, now, "permanent failure: " + cause, null, Map.of());
                break;
            }
            int failures = c.failuresWithin(policy.window(), now) + 1;
            if (failures >= policy.maxFailures()) {
                c = append(flow, c, appended, JournalEntry.Kind.PARKED, Flow.PARKED, now,
                        "failed " + failures + " times within " + policy.window() + ": " + cause, null, Map.of());
                break;
            }
            Instant next = policy.nextAttempt(c.id(), c.failures().size() + 1, now);
            c = append(flow, c, appended, JournalEntry.Kind.FAILED, c.state(), now, cause, next, Map.of());
            return new Advance(c, appended, outputs, min(next, deadline));
        }
        return new Advance(c, appended, outputs, null);
    }

    private static String lastFailure(Coordinator c) {
        JournalEntry last = c.journal().get(c.journal().size() - 1);
        return last.kind() == JournalEntry.Kind.FAILED ? "; last failure: " + last.detail() : "";
    }

    private static Coordinator append(Flow flow, Coordinator c, List<JournalEntry> appended, JournalEntry.Kind kind, String to,
                                      Instant now, String detail, Instant next, Map<String, String> notes) {
        JournalEntry entry = new JournalEntry(c.journal().size() + 1, kind, c.state(), to, now, detail, next, notes);
        Coordinator after = c.apply(flow, entry);
        appended.add(entry);
        return after;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** A failure as one line: its type and message, bounded; never a stack trace, and nothing from its cause chain. */
    static String describe(Throwable failure) {
        String text = failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        text = text.replaceAll("[\\r\\n\\t]+", " ");
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
    }
}
