package io.pushline.coordinators;

import io.pushline.coordinators.JournalEntry.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The transition tables of the real flows, and the flow builder's rules. */
class FlowTest {
    private static final List<String> LIKE_STEPS = List.of("SAVING", "UPDATING_TIMELINE", "APPENDING_ACTIVITY", "NOTIFYING", "PUSHING");
    private static final List<String> FOLLOW_STEPS = List.of("APPENDING_ACTIVITY", "NOTIFYING", "PUSHING");
    private static final List<String> UNLIKE_STEPS = List.of("UNSAVING", "UNCOUNTING", "RECORDING_ACTIVITY", "RETRACTING");
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

    private final Flows flows = TestFlows.declarations();
    private final Flow like = flows.get(Flows.LIKE);
    private final Flow follow = flows.get(Flows.FOLLOW);
    private final Flow unlike = flows.get(Flows.UNLIKE);

    // ---- the tables

    @Test
    void theFlowsDeclareTheirStepsInOrder() {
        assertThat(like.steps()).extracting(Flow.StepSpec::state).containsExactlyElementsOf(LIKE_STEPS);
        assertThat(follow.steps()).extracting(Flow.StepSpec::state).containsExactlyElementsOf(FOLLOW_STEPS);
        assertThat(unlike.steps()).extracting(Flow.StepSpec::state).containsExactlyElementsOf(UNLIKE_STEPS);
        assertThat(like.firstState()).isEqualTo("SAVING");
        assertThat(follow.firstState()).isEqualTo("APPENDING_ACTIVITY");
        assertThat(like.step("PUSHING").timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(like.step("NOTIFYING").timeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void likeTransitionTableAsText() {
        assertThat(like.transitionTable()).containsExactly(
                "(new) --STARTED--> SAVING",
                "SAVING --SUCCEEDED--> UPDATING_TIMELINE",
                "SAVING --FAILED (retryable, backoff)--> SAVING",
                "SAVING --PARKED (permanent, too many failures, or timeout PT2M)--> PARKED",
                "SAVING --CANCELLED--> CANCELLED",
                "UPDATING_TIMELINE --SUCCEEDED--> APPENDING_ACTIVITY",
                "UPDATING_TIMELINE --FAILED (retryable, backoff)--> UPDATING_TIMELINE",
                "UPDATING_TIMELINE --PARKED (permanent, too many failures, or timeout PT2M)--> PARKED",
                "UPDATING_TIMELINE --CANCELLED--> CANCELLED",
                "APPENDING_ACTIVITY --SUCCEEDED--> NOTIFYING",
                "APPENDING_ACTIVITY --FAILED (retryable, backoff)--> APPENDING_ACTIVITY",
                "APPENDING_ACTIVITY --PARKED (permanent, too many failures, or timeout PT2M)--> PARKED",
                "APPENDING_ACTIVITY --CANCELLED--> CANCELLED",
                "NOTIFYING --SUCCEEDED--> PUSHING",
                "NOTIFYING --FAILED (retryable, backoff)--> NOTIFYING",
                "NOTIFYING --PARKED (permanent, too many failures, or timeout PT2M)--> PARKED",
                "NOTIFYING --CANCELLED--> CANCELLED",
                "PUSHING --SUCCEEDED--> DONE",
                "PUSHING --FAILED (retryable, backoff)--> PUSHING",
                "PUSHING --PARKED (permanent, too many failures, or timeout PT10M)--> PARKED",
                "PUSHING --CANCELLED--> CANCELLED",
                "PARKED --RETRIED--> the step it was parked in",
                "PARKED --DISCARDED--> DISCARDED");
    }

    @Test
    void followTransitionTableAsText() {
        assertThat(follow.transitionTable()).startsWith("(new) --STARTED--> APPENDING_ACTIVITY",
                        "APPENDING_ACTIVITY --SUCCEEDED--> NOTIFYING")
                .contains("NOTIFYING --SUCCEEDED--> PUSHING", "PUSHING --SUCCEEDED--> DONE", "PUSHING --CANCELLED--> CANCELLED")
                .hasSize(1 + 3 * 4 + 2);
        assertThat(unlike.transitionTable()).noneMatch(row -> row.contains("CANCELLED"));
    }

    /**
     * Every (kind, from, to, parkedFrom) combination over every state name (and null) is checked against a table written
     * out here from the steps' order: the flow accepts exactly the legal ones.
     */
    @Test
    void likeTableAcceptsExactlyTheLegalTransitions() {
        assertTableIsExactly(like, LIKE_STEPS, Set.copyOf(LIKE_STEPS));
    }

    @Test
    void followTableAcceptsExactlyTheLegalTransitions() {
        assertTableIsExactly(follow, FOLLOW_STEPS, Set.copyOf(FOLLOW_STEPS));
    }

    @Test
    void unlikeTableAcceptsExactlyTheLegalTransitions() {
        assertTableIsExactly(unlike, UNLIKE_STEPS, Set.of());
    }

    private static void assertTableIsExactly(Flow flow, List<String> steps, Set<String> cancellable) {
        List<String> states = new ArrayList<>();
        states.add(null);
        states.addAll(steps);
        states.addAll(List.of(Flow.DONE, Flow.PARKED, Flow.CANCELLED, Flow.DISCARDED, "NO_SUCH_STATE"));
        List<String> parkedFroms = new ArrayList<>();
        parkedFroms.add(null);
        parkedFroms.addAll(steps);
        int legal = 0;
        List<String> wrong = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (String from : states) {
                for (String to : states) {
                    for (String parkedFrom : parkedFroms) {
                        boolean expected = legal(kind, from, to, parkedFrom, steps, cancellable);
                        legal += expected ? 1 : 0;
                        String what = kind + " " + from + " -> " + to + " (parked in " + parkedFrom + ")";
                        try {
                            flow.check(kind, from, to, parkedFrom);
                            if (!expected) {
                                wrong.add(what + ": accepted");
                            }
                        } catch (IllegalTransitionException e) {
                            String message = flow.name() + ": " + kind + " from " + from + " to " + to + " is not in the transition table";
                            if (expected) {
                                wrong.add(what + ": refused");
                            } else if (!e.getMessage().startsWith(message)) {
                                wrong.add(what + ": message " + e.getMessage());
                            }
                        } catch (RuntimeException e) {
                            wrong.add(what + ": threw " + e);
                        }
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
        // STARTED 1; per step SUCCEEDED, FAILED and PARKED (any parkedFrom: 3 × n × (n + 1)); RETRIED n; DISCARDED n + 1;
        // CANCELLED from a cancellable step (n + 1 parkedFroms each) or from PARKED in one.
        int n = steps.size();
        int c = cancellable.size();
        assertThat(legal).as("legal combinations").isEqualTo(1 * (n + 1) + 3 * n * (n + 1) + n + (n + 1) + c * (n + 1) + c);
    }

    /** The table, written from the step order: what the design says, independently of {@link Flow#check}. */
    private static boolean legal(Kind kind, String from, String to, String parkedFrom, List<String> steps, Set<String> cancellable) {
        int i = from == null ? -1 : steps.indexOf(from);
        boolean step = i >= 0;
        return switch (kind) {
            case STARTED -> from == null && steps.get(0).equals(to);
            case SUCCEEDED -> step && (i + 1 < steps.size() ? steps.get(i + 1) : Flow.DONE).equals(to);
            case FAILED -> step && from.equals(to);
            case PARKED -> step && Flow.PARKED.equals(to);
            case RETRIED -> Flow.PARKED.equals(from) && parkedFrom != null && parkedFrom.equals(to);
            case DISCARDED -> Flow.PARKED.equals(from) && Flow.DISCARDED.equals(to);
            case CANCELLED -> Flow.CANCELLED.equals(to)
                    && (step && cancellable.contains(from)
                    || Flow.PARKED.equals(from) && parkedFrom != null && cancellable.contains(parkedFrom));
        };
    }

    @Test
    void legalLikeTransitionsPass() {
        assertThatCode(() -> {
            like.check(Kind.STARTED, null, "SAVING", null);
            like.check(Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE", null);
            like.check(Kind.SUCCEEDED, "PUSHING", Flow.DONE, null);
            like.check(Kind.FAILED, "NOTIFYING", "NOTIFYING", null);
            like.check(Kind.PARKED, "NOTIFYING", Flow.PARKED, null);
            like.check(Kind.RETRIED, Flow.PARKED, "NOTIFYING", "NOTIFYING");
            like.check(Kind.DISCARDED, Flow.PARKED, Flow.DISCARDED, "NOTIFYING");
            like.check(Kind.CANCELLED, "PUSHING", Flow.CANCELLED, null);
            like.check(Kind.CANCELLED, Flow.PARKED, Flow.CANCELLED, "PUSHING");
            follow.check(Kind.STARTED, null, "APPENDING_ACTIVITY", null);
            follow.check(Kind.SUCCEEDED, "PUSHING", Flow.DONE, null);
        }).doesNotThrowAnyException();
    }

    @Test
    void skippingAStepIsIllegal() {
        assertThatThrownBy(() -> like.check(Kind.SUCCEEDED, "SAVING", "APPENDING_ACTIVITY", null))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like: SUCCEEDED from SAVING to APPENDING_ACTIVITY is not in the transition table");
        assertThatThrownBy(() -> follow.check(Kind.SUCCEEDED, "APPENDING_ACTIVITY", "PUSHING", null))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("follow: SUCCEEDED from APPENDING_ACTIVITY to PUSHING is not in the transition table");
        assertThatThrownBy(() -> like.check(Kind.SUCCEEDED, "NOTIFYING", Flow.DONE, null))
                .isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> like.check(Kind.STARTED, null, "NOTIFYING", null))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like: STARTED from null to NOTIFYING is not in the transition table");
    }

    @Test
    void leavingDoneIsIllegal() {
        for (Kind kind : Kind.values()) {
            assertThatThrownBy(() -> like.check(kind, Flow.DONE, "SAVING", null)).isInstanceOf(IllegalTransitionException.class);
        }
        Coordinator done = coordinator(like, List.of(
                entry(1, Kind.STARTED, null, "SAVING"),
                entry(2, Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE"),
                entry(3, Kind.SUCCEEDED, "UPDATING_TIMELINE", "APPENDING_ACTIVITY"),
                entry(4, Kind.SUCCEEDED, "APPENDING_ACTIVITY", "NOTIFYING"),
                entry(5, Kind.SUCCEEDED, "NOTIFYING", "PUSHING"),
                entry(6, Kind.SUCCEEDED, "PUSHING", Flow.DONE)));
        assertThat(done.state()).isEqualTo(Flow.DONE);
        assertThat(done.isTerminal()).isTrue();
        assertThatThrownBy(() -> done.apply(like, entry(7, Kind.CANCELLED, Flow.DONE, Flow.CANCELLED)))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator c1 is DONE and cannot move to CANCELLED");
        assertThatThrownBy(() -> done.apply(like, entry(7, Kind.RETRIED, Flow.DONE, "PUSHING")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("is DONE and cannot move to PUSHING");
    }

    @Test
    void retriedMustReturnToTheParkedStep() {
        assertThatThrownBy(() -> like.check(Kind.RETRIED, Flow.PARKED, "SAVING", "NOTIFYING"))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like: RETRIED from PARKED to SAVING is not in the transition table (parked in NOTIFYING)");
        Coordinator parked = coordinator(like, List.of(
                entry(1, Kind.STARTED, null, "SAVING"),
                entry(2, Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE"),
                entry(3, Kind.PARKED, "UPDATING_TIMELINE", Flow.PARKED)));
        assertThat(parked.parkedFrom()).isEqualTo("UPDATING_TIMELINE");
        assertThatThrownBy(() -> parked.apply(like, entry(4, Kind.RETRIED, Flow.PARKED, "PUSHING")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("(parked in UPDATING_TIMELINE)");
        assertThat(parked.apply(like, entry(4, Kind.RETRIED, Flow.PARKED, "UPDATING_TIMELINE")).state())
                .isEqualTo("UPDATING_TIMELINE");
        // Retrying what is not parked is illegal too.
        assertThatThrownBy(() -> like.check(Kind.RETRIED, "NOTIFYING", "NOTIFYING", null))
                .isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void cancelledOnlyFromCancellableStates() {
        // unlike declares no cancellable state: an unlike always runs to the end.
        assertThatThrownBy(() -> unlike.check(Kind.CANCELLED, "UNSAVING", Flow.CANCELLED, null))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("unlike: CANCELLED from UNSAVING to CANCELLED is not in the transition table");
        assertThatThrownBy(() -> unlike.check(Kind.CANCELLED, Flow.PARKED, Flow.CANCELLED, "RETRACTING"))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("(parked in RETRACTING)");
        Flow partly = Flow.named("partly").step("A", ctx -> { }, Duration.ofMinutes(1)).step("B", ctx -> { }, Duration.ofMinutes(1))
                .cancellableIn("A").build();
        assertThatCode(() -> partly.check(Kind.CANCELLED, "A", Flow.CANCELLED, null)).doesNotThrowAnyException();
        assertThatThrownBy(() -> partly.check(Kind.CANCELLED, "B", Flow.CANCELLED, null))
                .isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> partly.check(Kind.CANCELLED, Flow.PARKED, Flow.CANCELLED, "B"))
                .isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> like.check(Kind.CANCELLED, "SAVING", Flow.DONE, null))
                .isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void startedTwiceIsIllegal() {
        Coordinator started = coordinator(like, List.of(entry(1, Kind.STARTED, null, "SAVING")));
        assertThatThrownBy(() -> started.apply(like, entry(2, Kind.STARTED, null, "SAVING")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator c1 is in SAVING, but the entry moves from null");
        assertThatThrownBy(() -> started.apply(like, entry(2, Kind.STARTED, "SAVING", "SAVING")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like: STARTED from SAVING to SAVING is not in the transition table");
    }

    @Test
    void outOfSequenceSeqIsIllegal() {
        Coordinator started = coordinator(like, List.of(entry(1, Kind.STARTED, null, "SAVING")));
        assertThatThrownBy(() -> started.apply(like, entry(3, Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator c1: journal entry 3 after 1");
        assertThatThrownBy(() -> started.apply(like, entry(1, Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator c1: journal entry 1 after 1");
        assertThatThrownBy(() -> new JournalEntry(0, Kind.STARTED, null, "SAVING", T0, null, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEntryOfAnotherFlowIsIllegal() {
        Coordinator started = coordinator(like, List.of(entry(1, Kind.STARTED, null, "SAVING")));
        assertThatThrownBy(() -> started.apply(follow, entry(2, Kind.SUCCEEDED, "SAVING", "UPDATING_TIMELINE")))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator c1 is a like, not a follow");
    }

    @Test
    void nextAndStepLookUps() {
        assertThat(like.next("SAVING")).isEqualTo("UPDATING_TIMELINE");
        assertThat(like.next("PUSHING")).isEqualTo(Flow.DONE);
        assertThatThrownBy(() -> like.next(Flow.DONE)).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> like.step(Flow.PARKED)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like has no step state PARKED");
        assertThat(like.isBefore("SAVING", "NOTIFYING")).isTrue();
        assertThat(like.isBefore("PUSHING", Flow.DONE)).isTrue();
        assertThat(like.isBefore("NOTIFYING", "SAVING")).isFalse();
        assertThat(Flow.isTerminal(Flow.PARKED)).isFalse();
        assertThat(Flow.isTerminal(Flow.DISCARDED)).isTrue();
    }

    // ---- the builder

    @ParameterizedTest
    @ValueSource(strings = {"DONE", "PARKED", "CANCELLED", "DISCARDED"})
    void builderRejectsReservedStateNames(String reserved) {
        assertThatThrownBy(() -> Flow.named("f").step(reserved, ctx -> { }, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(reserved + " is reserved for every flow; name the step's state otherwise");
    }

    @Test
    void builderRejectsDuplicateStates() {
        Flow.Builder b = Flow.named("f").step("A", ctx -> { }, Duration.ofSeconds(1));
        assertThatThrownBy(() -> b.step("A", ctx -> { }, Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("f declares A twice");
    }

    @Test
    void builderRejectsEmptyFlows() {
        assertThatThrownBy(() -> Flow.named("empty").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("empty has no steps");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1A", "A B", "A|B", "A.B", "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJX"})
    void builderRejectsMalformedNames(String name) {
        assertThatThrownBy(() -> Flow.named("f").step(name, ctx -> { }, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("state must match");
        assertThatThrownBy(() -> Flow.named(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("flow name must match");
        assertThatThrownBy(() -> Flow.named(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderRejectsNonPositiveTimeoutsAndUnknownCancellableStates() {
        assertThatThrownBy(() -> Flow.named("f").step("A", ctx -> { }, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout of A must be positive");
        assertThatThrownBy(() -> Flow.named("f").step("A", ctx -> { }, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Flow.named("f").step("A", ctx -> { }, Duration.ofSeconds(1)).cancellableIn("B").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("f declares B cancellable but has no such step");
    }

    @Test
    void retryablePredicateAppliesToLaterStepsAndNeverToPermanentFailures() {
        Flow f = Flow.named("f")
                .step("A", ctx -> { }, Duration.ofSeconds(1))
                .retryable(e -> !(e instanceof IllegalArgumentException))
                .step("B", ctx -> { }, Duration.ofSeconds(1))
                .build();
        assertThat(f.step("A").isRetryable(new IllegalArgumentException())).isTrue();
        assertThat(f.step("B").isRetryable(new IllegalArgumentException())).isFalse();
        assertThat(f.step("B").isRetryable(new IllegalStateException())).isTrue();
        assertThat(f.step("A").isRetryable(new PermanentStepFailure("no"))).isFalse();
        assertThat(f).hasToString("Flow[f: A → B → DONE]");
    }

    // ---- helpers

    private static JournalEntry entry(int seq, Kind kind, String from, String to) {
        return new JournalEntry(seq, kind, from, to, T0.plusSeconds(seq), null, null, Map.of());
    }

    private static Coordinator coordinator(Flow flow, List<JournalEntry> entries) {
        return Coordinator.replay(flow, "c1", "u1", Map.of(), entries);
    }
}
