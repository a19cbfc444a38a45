package io.pushline.coordinators;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One bounded flow as a declaration: its steps in order (each a state with a step, a timeout and what counts as
 * retryable), and which states a cancel may interrupt. The transition table follows from it; {@link #check} rejects
 * anything else, loudly.
 *
 * <pre>{@code
 * Flow follow = Flow.named("follow")
 *         .step("RECORDING_ACTIVITY", FollowSteps::activity, Duration.ofSeconds(30))
 *         .step("NOTIFYING", FollowSteps::notification, Duration.ofSeconds(30))
 *         .step("PUSHING", FollowSteps::push, Duration.ofMinutes(5))
 *         .build();
 * }</pre>
 *
 * <p>Every flow shares the terminal states {@link #DONE}, {@link #CANCELLED} and {@link #DISCARDED}, and
 * {@link #PARKED}, where a supervisor puts a coordinator whose step keeps failing, until an operator retries or
 * discards it.
 */
final class Flow {
    public static final String DONE = "DONE";
    public static final String PARKED = "PARKED";
    public static final String CANCELLED = "CANCELLED";
    public static final String DISCARDED = "DISCARDED";
    private static final Set<String> RESERVED = Set.of(DONE, PARKED, CANCELLED, DISCARDED);
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,39}");

    /**
     * One state of the flow and what runs in it.
     *
     * @param state     the state's name, e.g. {@code NOTIFYING}
     * @param step      what runs in it
     * @param timeout   how long the coordinator may stay in this state, retries included; past it, it is parked
     * @param retryable which failures are worth another try ({@link PermanentStepFailure} never is)
     */
    public record StepSpec(String state, Step step, Duration timeout, Predicate<Throwable> retryable) {
        public StepSpec {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(retryable, "retryable");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout of " + state + " must be positive, was " + timeout);
            }
        }

        boolean isRetryable(Throwable failure) {
            return !(failure instanceof PermanentStepFailure) && retryable.test(failure);
        }
    }

    private final String name;
    private final List<StepSpec> steps;
    private final Map<String, Integer> index;
    private final Set<String> cancellable;

    private Flow(String name, List<StepSpec> steps, Set<String> cancellable) {
        this.name = name;
        this.steps = List.copyOf(steps);
        Map<String, Integer> idx = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            idx.put(steps.get(i).state(), i);
        }
        this.index = Collections.unmodifiableMap(idx);
        this.cancellable = Set.copyOf(cancellable);
    }

    public static Builder named(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public List<StepSpec> steps() {
        return steps;
    }

    /** The state a new coordinator starts in. */
    public String firstState() {
        return steps.get(0).state();
    }

    /** The step of {@code state}; fails loudly for a state this flow does not have or one without a step. */
    public StepSpec step(String state) {
        Integer i = index.get(state);
        if (i == null) {
            throw new IllegalTransitionException(name + " has no step state " + state);
        }
        return steps.get(i);
    }

    public boolean isStepState(String state) {
        return index.containsKey(state);
    }

    public static boolean isTerminal(String state) {
        return DONE.equals(state) || CANCELLED.equals(state) || DISCARDED.equals(state);
    }

    /** The state after {@code state} succeeds: the next step's, or {@link #DONE} after the last. */
    public String next(String state) {
        int i = index.getOrDefault(state, -1);
        if (i < 0) {
            throw new IllegalTransitionException(name + ": " + state + " has no step, so it has no next state");
        }
        return i + 1 < steps.size() ? steps.get(i + 1).state() : DONE;
    }

    /** Whether {@code state} is before {@code other} in this flow (or {@code other} is DONE). */
    public boolean isBefore(String state, String other) {
        int a = index.getOrDefault(state, Integer.MAX_VALUE);
        int b = DONE.equals(other) ? steps.size() : index.getOrDefault(other, -1);
        return a < b;
    }

    /**
     * Checks one transition against the table.
     *
     * @param parkedFrom for {@link JournalEntry.Kind#RETRIED}: the step the coordinator was parked in
     * @throws IllegalTransitionException if the table does not have it
     */
    public void check(JournalEntry.Kind kind, String from, String to, String parkedFrom) {
        boolean ok = switch (kind) {
            case STARTED -> from == null && firstState().equals(to);
            case SUCCEEDED -> isStepState(from) && next(from).equals(to);
            case FAILED -> isStepState(from) && from.equals(to);
            case PARKED -> isStepState(from) && PARKED.equals(to);
            case RETRIED -> PARKED.equals(from) && to != null && to.equals(parkedFrom);
            case DISCARDED -> PARKED.equals(from) && DISCARDED.equals(to);
            case CANCELLED -> canCancel(from, parkedFrom) && CANCELLED.equals(to);
        };
        if (!ok) {
            throw new IllegalTransitionException(name + ": " + kind + " from " + from + " to " + to + " is not in the transition table"
                    + (parkedFrom == null ? "" : " (parked in " + parkedFrom + ")"));
        }
    }

    /**
     * Whether a coordinator in {@code state} (parked in {@code parkedFrom}, if {@code state} is {@link #PARKED}) may be
     * cancelled: in a state declared cancellable, or parked in one.
     */
    public boolean canCancel(String state, String parkedFrom) {
        // (Set.copyOf's set throws on contains(null): a journal's first entry has no from, a foreign one may lack parkedFrom.)
        return state != null && cancellable.contains(state)
                || PARKED.equals(state) && parkedFrom != null && cancellable.contains(parkedFrom);
    }

    /** The transition table as text rows ({@code from --kind--> to}), for documentation and tests. */
    public List<String> transitionTable() {
        List<String> rows = new ArrayList<>();
        rows.add("(new) --STARTED--> " + firstState());
        for (StepSpec s : steps) {
            rows.add(s.state() + " --SUCCEEDED--> " + next(s.state()));
            rows.add(s.state() + " --FAILED (retryable, backoff)--> " + s.state());
            rows.add(s.state() + " --PARKED (permanent, too many failures, or timeout " + s.timeout() + ")--> " + PARKED);
            if (cancellable.contains(s.state())) {
                rows.add(s.state() + " --CANCELLED--> " + CANCELLED);
            }
        }
        rows.add(PARKED + " --RETRIED--> the step it was parked in");
        rows.add(PARKED + " --DISCARDED--> " + DISCARDED);
        return rows;
    }

    @Override
    public String toString() {
        return "Flow[" + name + ": " + String.join(" → ", index.keySet()) + " → DONE]";
    }

    /** Declares a flow. */
    public static final class Builder {
        private final String name;
        private final List<StepSpec> steps = new ArrayList<>();
        private final Set<String> cancellable = new java.util.LinkedHashSet<>();
        private Predicate<Throwable> retryable = failure -> true;

        private Builder(String name) {
            this.name = checkName(name, "flow name");
        }

        /** What counts as retryable in the steps declared after this call (default: every failure but a permanent one). */
        public Builder retryable(Predicate<Throwable> retryable) {
            this.retryable = Objects.requireNonNull(retryable, "retryable");
            return this;
        }

        public Builder step(String state, Step step, Duration timeout) {
            checkName(state, "state");
            if (RESERVED.contains(state)) {
                throw new IllegalArgumentException(state + " is reserved for every flow; name the step's state otherwise");
            }
            if (steps.stream().anyMatch(s -> s.state().equals(state))) {
                throw new IllegalArgumentException(name + " declares " + state + " twice");
            }
            steps.add(new StepSpec(state, step, timeout, retryable));
            return this;
        }

        /** A cancel (e.g. the like was taken back) may stop the coordinator in any of these states. */
        public Builder cancellableIn(String... states) {
            cancellable.addAll(List.of(states));
            return this;
        }

        public Flow build() {
            if (steps.isEmpty()) {
                throw new IllegalArgumentException(name + " has no steps");
            }
            for (String state : cancellable) {
                if (steps.stream().noneMatch(s -> s.state().equals(state))) {
                    throw new IllegalArgumentException(name + " declares " + state + " cancellable but has no such step");
                }
            }
            return new Flow(name, steps, cancellable);
        }

        private static String checkName(String value, String what) {
            if (value == null || !NAME.matcher(value).matches()) {
                throw new IllegalArgumentException(what + " must match " + NAME + ", was '" + value + "'");
            }
            return value;
        }
    }
}
