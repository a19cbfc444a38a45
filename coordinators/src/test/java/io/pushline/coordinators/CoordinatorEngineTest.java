package io.pushline.coordinators;

import io.pushline.coordinators.JournalEntry.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine on a hand-made flow A → B → C with scripted steps and a clock that is just the {@link Instant} each call is
 * given.
 */
class CoordinatorEngineTest {
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final SupervisorPolicy POLICY = new SupervisorPolicy(3, Duration.ofMinutes(10), Duration.ofSeconds(1),
            Duration.ofSeconds(8));
    private static final String ID = "test:c1";

    /** A step that emits a record named after its state and attempt, unless its script says to fail this time. */
    private static final class Scripted implements Step {
        final String state;
        final Deque<Exception> failures = new ArrayDeque<>();
        boolean failForever;
        int runs;

        Scripted(String state) {
            this.state = state;
        }

        Scripted failing(Exception... next) {
            failures.addAll(List.of(next));
            return this;
        }

        @Override
        public void run(StepContext ctx) throws Exception {
            runs++;
            // A failing attempt emits and notes too, before it throws: none of that may count.
            ctx.emit(Output.tombstone("topic-" + state, state + "#" + runs));
            ctx.note("note-" + state, "attempt " + runs);
            if (failForever) {
                throw new IllegalStateException("boom in " + state);
            }
            Exception next = failures.poll();
            if (next != null) {
                throw next;
            }
        }
    }

    private final Scripted a = new Scripted("A");
    private final Scripted b = new Scripted("B");
    private final Scripted c = new Scripted("C");
    private final Flow flow = Flow.named("test")
            .step("A", a, Duration.ofMinutes(1))
            .retryable(e -> !(e instanceof IllegalArgumentException))
            .step("B", b, Duration.ofMinutes(1))
            .step("C", c, Duration.ofMinutes(10))
            .cancellableIn("A", "B")
            .build();

    private CoordinatorEngine engine(SupervisorPolicy policy) {
        return new CoordinatorEngine(Map.of("test", flow)::get, policy);
    }

    private final CoordinatorEngine engine = engine(POLICY);

    private CoordinatorEngine.Advance start(Instant now) {
        return engine.start(ID, "test", "u1", Map.of("k", "v"), now);
    }

    private static List<String> keys(CoordinatorEngine.Advance advance) {
        return advance.outputs().stream().map(Output::key).toList();
    }

    private static List<Kind> kinds(CoordinatorEngine.Advance advance) {
        return advance.appended().stream().map(JournalEntry::kind).toList();
    }

    private static JournalEntry last(Coordinator coordinator) {
        return coordinator.journal().get(coordinator.journal().size() - 1);
    }

    @Test
    void happyPathRunsEveryStepInOneCall() {
        CoordinatorEngine.Advance r = start(T0);

        assertThat(r.coordinator().state()).isEqualTo(Flow.DONE);
        assertThat(r.coordinator().isTerminal()).isTrue();
        assertThat(kinds(r)).containsExactly(Kind.STARTED, Kind.SUCCEEDED, Kind.SUCCEEDED, Kind.SUCCEEDED);
        assertThat(r.appended()).extracting(JournalEntry::seq).containsExactly(1, 2, 3, 4);
        assertThat(r.appended()).extracting(JournalEntry::to).containsExactly("A", "B", "C", Flow.DONE);
        assertThat(r.coordinator().journal()).isEqualTo(r.appended());
        assertThat(keys(r)).containsExactly("A#1", "B#1", "C#1");
        assertThat(r.outputs()).extracting(Output::topic).containsExactly("topic-A", "topic-B", "topic-C");
        assertThat(r.wakeAt()).isNull();
        assertThat(r.changed()).isTrue();
        assertThat(r.parked()).isFalse();
        assertThat(r.coordinator().completed()).containsExactly("A", "B", "C");
        assertThat(r.coordinator().notes()).containsExactlyInAnyOrderEntriesOf(
                Map.of("note-A", "attempt 1", "note-B", "attempt 1", "note-C", "attempt 1"));
        assertThat(r.coordinator().input()).containsExactly(Map.entry("k", "v"));
        assertThat(r.coordinator().recipient()).isEqualTo("u1");
        assertThat(List.of(a.runs, b.runs, c.runs)).containsExactly(1, 1, 1);
        // Nothing more to do.
        CoordinatorEngine.Advance again = engine.advance(r.coordinator(), T0.plusSeconds(60));
        assertThat(again.changed()).isFalse();
        assertThat(again.outputs()).isEmpty();
        assertThat(c.runs).isEqualTo(1);
    }

    @Test
    void aRetryableFailureIsJournaledWithItsNextAttemptAndEmitsNothing() {
        b.failing(new IllegalStateException("boom"));
        CoordinatorEngine.Advance r = start(T0);

        Coordinator co = r.coordinator();
        assertThat(co.state()).isEqualTo("B");
        assertThat(kinds(r)).containsExactly(Kind.STARTED, Kind.SUCCEEDED, Kind.FAILED);
        JournalEntry failed = last(co);
        assertThat(failed.from()).isEqualTo("B");
        assertThat(failed.to()).isEqualTo("B");
        assertThat(failed.at()).isEqualTo(T0);
        assertThat(failed.detail()).isEqualTo("IllegalStateException: boom");
        assertThat(failed.notes()).isEmpty();
        Instant expected = POLICY.nextAttempt(ID, 1, T0);
        assertThat(failed.nextAttemptAt()).isEqualTo(expected).isBetween(T0.plusMillis(800), T0.plusMillis(1200));
        assertThat(co.nextAttemptAt()).isEqualTo(expected);
        assertThat(co.failures()).containsExactly(T0);
        assertThat(r.wakeAt()).isEqualTo(expected);
        // Only A's record: B's failed attempt emitted and noted, and none of it counts.
        assertThat(keys(r)).containsExactly("A#1");
        assertThat(co.completed()).containsExactly("A");
        assertThat(co.notes()).containsOnlyKeys("note-A");
        assertThat(c.runs).isZero();
    }

    @Test
    void advanceBeforeTheNextAttemptDoesNothingAndAfterItRetries() {
        b.failing(new IllegalStateException("boom"));
        Coordinator co = start(T0).coordinator();
        Instant next = co.nextAttemptAt();

        CoordinatorEngine.Advance early = engine.advance(co, next.minusMillis(1));
        assertThat(early.changed()).isFalse();
        assertThat(early.outputs()).isEmpty();
        assertThat(early.coordinator()).isSameAs(co);
        assertThat(early.wakeAt()).isEqualTo(next);
        assertThat(b.runs).isEqualTo(1);

        CoordinatorEngine.Advance due = engine.advance(co, next);
        assertThat(b.runs).isEqualTo(2);
        assertThat(kinds(due)).containsExactly(Kind.SUCCEEDED, Kind.SUCCEEDED);
        assertThat(due.coordinator().state()).isEqualTo(Flow.DONE);
        // A is not run again, and its record is not emitted again.
        assertThat(keys(due)).containsExactly("B#2", "C#1");
        assertThat(a.runs).isEqualTo(1);
        assertThat(due.coordinator().nextAttemptAt()).isNull();
        assertThat(due.coordinator().failures()).isEmpty();
        assertThat(due.coordinator().notes()).containsEntry("note-B", "attempt 2");
    }

    @Test
    void maxFailuresWithinTheWindowParkTheCoordinator() {
        b.failForever = true;
        CoordinatorEngine.Advance r = start(T0);
        Coordinator co = r.coordinator();
        assertThat(co.state()).isEqualTo("B");
        Instant first = co.nextAttemptAt();

        r = engine.advance(co, first);
        co = r.coordinator();
        assertThat(kinds(r)).containsExactly(Kind.FAILED);
        assertThat(co.failures()).hasSize(2);
        assertThat(co.nextAttemptAt()).isEqualTo(POLICY.nextAttempt(ID, 2, first));
        assertThat(r.parked()).isFalse();

        r = engine.advance(co, co.nextAttemptAt());
        co = r.coordinator();
        assertThat(kinds(r)).containsExactly(Kind.PARKED);
        assertThat(r.parked()).isTrue();
        assertThat(r.wakeAt()).isNull();
        assertThat(r.outputs()).isEmpty();
        assertThat(co.isParked()).isTrue();
        assertThat(co.isTerminal()).isFalse();
        assertThat(co.parkedFrom()).isEqualTo("B");
        assertThat(co.parkedReason()).isEqualTo("failed 3 times within PT10M: IllegalStateException: boom in B");
        assertThat(last(co).detail()).isEqualTo(co.parkedReason());
        assertThat(co.failures()).hasSize(3);
        assertThat(b.runs).isEqualTo(3);

        // A parked coordinator waits for an operator: advancing does nothing, however late.
        CoordinatorEngine.Advance later = engine.advance(co, T0.plus(Duration.ofDays(1)));
        assertThat(later.changed()).isFalse();
        assertThat(b.runs).isEqualTo(3);
    }

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        Scripted slow = new Scripted("S");
        slow.failForever = true;
        Flow patient = Flow.named("patient").step("S", slow, Duration.ofDays(2)).build();
        CoordinatorEngine e = new CoordinatorEngine(Map.of("patient", patient)::get, POLICY);
        Coordinator co = e.start("p:1", "patient", "u1", Map.of(), T0).coordinator();
        for (int hour = 1; hour <= 6; hour++) {
            co = e.advance(co, T0.plus(Duration.ofHours(hour))).coordinator();
            assertThat(co.state()).as("after %d hours", hour).isEqualTo("S");
        }
        assertThat(co.failures()).hasSize(7);
        assertThat(co.failuresWithin(POLICY.window(), T0.plus(Duration.ofHours(6)))).isEqualTo(1);
        // Backoff keeps growing with the failures of the step (capped), even if they are far apart.
        assertThat(co.nextAttemptAt()).isEqualTo(POLICY.nextAttempt("p:1", 7, T0.plus(Duration.ofHours(6))));
    }

    @Test
    void aPermanentFailureParksAtOnce() {
        b.failing(new PermanentStepFailure("bad data"));
        CoordinatorEngine.Advance r = start(T0);
        assertThat(kinds(r)).containsExactly(Kind.STARTED, Kind.SUCCEEDED, Kind.PARKED);
        assertThat(r.coordinator().parkedReason()).isEqualTo("permanent failure: PermanentStepFailure: bad data");
        assertThat(r.coordinator().parkedFrom()).isEqualTo("B");
        assertThat(r.parked()).isTrue();
        assertThat(keys(r)).containsExactly("A#1");
        assertThat(b.runs).isEqualTo(1);
    }

    @Test
    void aFailureTheFlowDeemsNotRetryableParksAtOnce() {
        b.failing(new IllegalArgumentException("no such post"));
        CoordinatorEngine.Advance r = start(T0);
        assertThat(r.coordinator().isParked()).isTrue();
        assertThat(r.coordinator().parkedReason()).isEqualTo("permanent failure: IllegalArgumentException: no such post");
        // A declared its step before the predicate: there the same failure is retried.
        a.failing(new IllegalArgumentException("transient here"));
        CoordinatorEngine.Advance other = engine.start("test:c2", "test", "u1", Map.of(), T0);
        assertThat(last(other.coordinator()).kind()).isEqualTo(Kind.FAILED);
    }

    @Test
    void aStepThatDoesNotSucceedWithinItsTimeoutIsParked() {
        SupervisorPolicy slowBackoff = new SupervisorPolicy(100, Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(10));
        CoordinatorEngine e = engine(slowBackoff);
        b.failForever = true;
        CoordinatorEngine.Advance r = e.start(ID, "test", "u1", Map.of(), T0);
        Coordinator co = r.coordinator();
        assertThat(co.nextAttemptAt()).isAfter(T0.plus(Duration.ofMinutes(4)));
        // The engine asks to be woken at the step's deadline, before the retry.
        Instant deadline = T0.plus(Duration.ofMinutes(1));
        assertThat(r.wakeAt()).isEqualTo(deadline);

        CoordinatorEngine.Advance before = e.advance(co, deadline.minusMillis(1));
        assertThat(before.changed()).isFalse();
        assertThat(before.wakeAt()).isEqualTo(deadline);

        CoordinatorEngine.Advance timedOut = e.advance(co, deadline);
        assertThat(kinds(timedOut)).containsExactly(Kind.PARKED);
        assertThat(timedOut.coordinator().parkedFrom()).isEqualTo("B");
        assertThat(timedOut.coordinator().parkedReason())
                .isEqualTo("timed out: B did not succeed within PT1M; last failure: IllegalStateException: boom in B");
        assertThat(b.runs).as("a timed-out step is not run again").isEqualTo(1);
    }

    @Test
    void theTimeoutCountsFromWhenTheStepWasEnteredNotFromTheStart() {
        SupervisorPolicy halfMinute = new SupervisorPolicy(100, Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(30));
        CoordinatorEngine e = engine(halfMinute);
        a.failing(new IllegalStateException("slow start"));
        b.failForever = true;
        Coordinator co = e.start(ID, "test", "u1", Map.of(), T0).coordinator();
        assertThat(co.state()).isEqualTo("A");
        // A succeeds 40 s in; B (timeout 1 min) keeps failing: its deadline is 1 min after it was entered, T0 + 100 s.
        co = e.advance(co, T0.plusSeconds(40)).coordinator();
        assertThat(co.state()).isEqualTo("B");
        assertThat(co.stepSince()).isEqualTo(T0.plusSeconds(40));
        assertThat(co.nextAttemptAt()).isBefore(T0.plusSeconds(99));
        CoordinatorEngine.Advance r = e.advance(co, T0.plusSeconds(99));
        assertThat(kinds(r)).containsExactly(Kind.FAILED);
        assertThat(r.wakeAt()).isEqualTo(T0.plusSeconds(100));
        assertThat(e.advance(r.coordinator(), T0.plusSeconds(100).minusMillis(1)).changed()).isFalse();
        assertThat(e.advance(r.coordinator(), T0.plusSeconds(100)).coordinator().parkedReason())
                .startsWith("timed out: B did not succeed within PT1M; last failure: IllegalStateException: boom in B");
    }

    @Test
    void retryOfAParkedCoordinatorResumesAtItsStepWithAFreshBudget() {
        b.failForever = true;
        Coordinator co = start(T0).coordinator();
        co = engine.advance(co, co.nextAttemptAt()).coordinator();
        Instant parkedAt = co.nextAttemptAt();
        co = engine.advance(co, parkedAt).coordinator();
        assertThat(co.isParked()).isTrue();
        assertThat(co.failures()).hasSize(3);

        // Retried while the failure still happens, within the window of the three earlier failures: a fresh budget, so
        // this is failure 1 of 3, not 4.
        Instant t1 = parkedAt.plusSeconds(5);
        CoordinatorEngine.Advance retried = engine.retry(co, "operator: try again", t1);
        assertThat(kinds(retried)).containsExactly(Kind.RETRIED, Kind.FAILED);
        assertThat(retried.appended().get(0).detail()).isEqualTo("operator: try again");
        assertThat(retried.appended().get(0).to()).isEqualTo("B");
        co = retried.coordinator();
        assertThat(co.state()).isEqualTo("B");
        assertThat(co.parkedFrom()).isNull();
        assertThat(co.parkedReason()).isNull();
        assertThat(co.failures()).containsExactly(t1);
        assertThat(co.stepSince()).isEqualTo(t1);
        assertThat(co.nextAttemptAt()).isEqualTo(POLICY.nextAttempt(ID, 1, t1));

        // Fixed: the next attempt completes the flow from B; A's record is never emitted again.
        b.failForever = false;
        CoordinatorEngine.Advance done = engine.advance(co, co.nextAttemptAt());
        assertThat(done.coordinator().state()).isEqualTo(Flow.DONE);
        assertThat(keys(done)).containsExactly("B#5", "C#1");
        assertThat(a.runs).isEqualTo(1);
        assertThat(done.coordinator().completed()).containsExactly("A", "B", "C");
    }

    @Test
    void retryRunsTheParkedStepAtOnceAndRestartsItsTimeout() {
        SupervisorPolicy slowBackoff = new SupervisorPolicy(100, Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(10));
        CoordinatorEngine e = engine(slowBackoff);
        b.failForever = true;
        Coordinator co = e.start(ID, "test", "u1", Map.of(), T0).coordinator();
        co = e.advance(co, T0.plus(Duration.ofMinutes(1))).coordinator();
        assertThat(co.parkedReason()).startsWith("timed out");

        b.failForever = false;
        Instant late = T0.plus(Duration.ofHours(3));
        CoordinatorEngine.Advance r = e.retry(co, "fixed", late);
        assertThat(kinds(r)).containsExactly(Kind.RETRIED, Kind.SUCCEEDED, Kind.SUCCEEDED);
        assertThat(r.coordinator().state()).isEqualTo(Flow.DONE);
        assertThat(keys(r)).containsExactly("B#2", "C#1");
    }

    @Test
    void onlyAParkedCoordinatorCanBeRetriedOrDiscarded() {
        b.failing(new IllegalStateException("boom"));
        Coordinator waiting = start(T0).coordinator();
        assertThatThrownBy(() -> engine.retry(waiting, "x", T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("test: RETRIED from B is not in the transition table (coordinator test:c1 is not parked)");
        assertThatThrownBy(() -> engine.discard(waiting, "x", T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("test: DISCARDED from B to DISCARDED is not in the transition table");
        Coordinator done = start(T0).coordinator();
        assertThatThrownBy(() -> engine.retry(done, "x", T0)).isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void discardEndsAParkedCoordinatorWithoutRunningAnything() {
        b.failing(new PermanentStepFailure("bad"));
        Coordinator parked = start(T0).coordinator();
        CoordinatorEngine.Advance r = engine.discard(parked, "operator: not worth it", T0.plusSeconds(30));
        assertThat(kinds(r)).containsExactly(Kind.DISCARDED);
        assertThat(r.appended().get(0).detail()).isEqualTo("operator: not worth it");
        assertThat(r.coordinator().state()).isEqualTo(Flow.DISCARDED);
        assertThat(r.coordinator().isTerminal()).isTrue();
        assertThat(r.outputs()).isEmpty();
        assertThat(r.wakeAt()).isNull();
        assertThat(engine.advance(r.coordinator(), T0.plusSeconds(60)).changed()).isFalse();
        assertThat(b.runs).isEqualTo(1);
        assertThat(c.runs).isZero();
    }

    @Test
    void cancelStopsACoordinatorInACancellableState() {
        b.failing(new IllegalStateException("boom"));
        Coordinator waiting = start(T0).coordinator();
        CoordinatorEngine.Advance r = engine.cancel(waiting, "like removed", T0.plusMillis(10));
        assertThat(kinds(r)).containsExactly(Kind.CANCELLED);
        assertThat(r.coordinator().state()).isEqualTo(Flow.CANCELLED);
        assertThat(r.appended().get(0).detail()).isEqualTo("like removed");
        assertThat(r.outputs()).isEmpty();
        // The retry that was due never happens.
        assertThat(engine.advance(r.coordinator(), waiting.nextAttemptAt()).changed()).isFalse();
        assertThat(b.runs).isEqualTo(1);
        assertThat(r.coordinator().completed()).containsExactly("A");
    }

    @Test
    void cancelOfAParkedCoordinatorUsesTheStepItWasParkedIn() {
        b.failing(new PermanentStepFailure("bad"));
        Coordinator parked = start(T0).coordinator();
        assertThat(engine.cancel(parked, "gone", T0).coordinator().state()).isEqualTo(Flow.CANCELLED);

        c.failing(new PermanentStepFailure("bad"));
        Coordinator parkedInC = engine.start("test:c3", "test", "u1", Map.of(), T0).coordinator();
        assertThat(parkedInC.parkedFrom()).isEqualTo("C");
        assertThatThrownBy(() -> engine.cancel(parkedInC, "gone", T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("(parked in C)");
    }

    @Test
    void cancelIsRefusedOutsideTheCancellableStates() {
        Coordinator done = start(T0).coordinator();
        assertThatThrownBy(() -> engine.cancel(done, "late", T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("coordinator test:c1 is DONE and cannot move to CANCELLED");
        c.failing(new IllegalStateException("boom"));
        Coordinator inC = engine.start("test:c4", "test", "u1", Map.of(), T0).coordinator();
        assertThat(inC.state()).isEqualTo("C");
        assertThatThrownBy(() -> engine.cancel(inC, "late", T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("test: CANCELLED from C to CANCELLED is not in the transition table");
    }

    @Test
    void anUnknownFlowIsRefused() {
        assertThatThrownBy(() -> engine.start("x:1", "nope", "u1", Map.of(), T0)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("no flow named nope");
    }

    @Test
    void aFailureIsDescribedOnOneBoundedLine() {
        b.failing(new IllegalStateException("line one\nline two\r\n\tline three " + "x".repeat(1000)));
        String detail = last(start(T0).coordinator()).detail();
        assertThat(detail).startsWith("IllegalStateException: line one line two line three x").doesNotContain("\n", "\r", "\t");
        assertThat(detail).hasSize(301).endsWith("…");
        assertThat(CoordinatorEngine.describe(new NullPointerException())).isEqualTo("NullPointerException");
        assertThat(CoordinatorEngine.describe(new RuntimeException("outer", new IllegalStateException("secret cause"))))
                .isEqualTo("RuntimeException: outer");
    }

    @Test
    void errorsThatAreNotExceptionsAreSupervisedToo() {
        Flow f = Flow.named("err").step("E", ctx -> {
            throw new AssertionError("assert in step");
        }, Duration.ofMinutes(1)).build();
        CoordinatorEngine e = new CoordinatorEngine(Map.of("err", f)::get, POLICY);
        CoordinatorEngine.Advance r = e.start("e:1", "err", "u1", Map.of(), T0);
        assertThat(last(r.coordinator()).kind()).isEqualTo(Kind.FAILED);
        assertThat(last(r.coordinator()).detail()).isEqualTo("AssertionError: assert in step");
    }

    @Test
    void stepContextGivesInputsNowAndDeterministicIds() {
        Map<String, String> seen = new HashMap<>();
        Flow f = Flow.named("ctx").step("X", ctx -> {
            seen.put("k", ctx.input("k"));
            seen.put("now", ctx.now().toString());
            seen.put("id1", ctx.deterministicId("d"));
            seen.put("id2", ctx.deterministicId("d"));
            seen.put("other", ctx.deterministicId("e"));
            ctx.input("missing");
        }, Duration.ofMinutes(1)).build();
        CoordinatorEngine e = new CoordinatorEngine(Map.of("ctx", f)::get, POLICY);
        CoordinatorEngine.Advance r = e.start("ctx:1", "ctx", "u1", Map.of("k", "v"), T0);
        assertThat(seen).containsEntry("k", "v").containsEntry("now", T0.toString());
        assertThat(seen.get("id1")).isEqualTo(seen.get("id2")).isNotEqualTo(seen.get("other"));
        assertThat(last(r.coordinator()).detail()).isEqualTo("IllegalStateException: ctx coordinator ctx:1 has no input missing");
    }

    // ---- the policy

    @Test
    void backoffGrowsExponentiallyIsCappedAndJitteredWithinBounds() {
        SupervisorPolicy p = new SupervisorPolicy(5, Duration.ofMinutes(10), Duration.ofMillis(200), Duration.ofSeconds(30));
        long previousBase = 0;
        for (int failure = 1; failure <= 40; failure++) {
            long base = Math.min(30_000, failure >= 31 ? Long.MAX_VALUE : 200L << (failure - 1));
            assertThat(base).isGreaterThanOrEqualTo(previousBase);
            previousBase = base;
            for (String id : List.of("like:a", "like:b", "follow:c", "x")) {
                long delay = Duration.between(T0, p.nextAttempt(id, failure, T0)).toMillis();
                assertThat(delay).as("failure %d of %s", failure, id)
                        .isBetween((long) Math.floor(base * 0.8), (long) Math.ceil(base * 1.2));
                assertThat(delay).isLessThanOrEqualTo(36_000);
            }
        }
        // Strictly growing before the cap, even at the jitter's extremes (0.8 × 2 > 1.2).
        for (int failure = 1; failure < 7; failure++) {
            assertThat(p.nextAttempt("like:a", failure + 1, T0)).isAfter(p.nextAttempt("like:a", failure, T0));
        }
        // Capped: from 30 s on, the base stays at 30 s.
        assertThat(Duration.between(T0, p.nextAttempt("like:a", 100, T0)).toMillis()).isBetween(24_000L, 36_000L);
        assertThat(Duration.between(T0, p.nextAttempt("like:a", Integer.MAX_VALUE, T0)).toMillis()).isBetween(24_000L, 36_000L);
    }

    @Test
    void jitterIsDeterministicPerCoordinatorAndFailureAndSpreadsOut() {
        SupervisorPolicy p = SupervisorPolicy.DEFAULT;
        assertThat(p.nextAttempt("like:1", 3, T0)).isEqualTo(p.nextAttempt("like:1", 3, T0));
        Set<Long> delays = new HashSet<>();
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int i = 0; i < 2_000; i++) {
            long delay = Duration.between(T0, p.nextAttempt("like:" + i, 1, T0)).toMillis();
            delays.add(delay);
            min = Math.min(min, delay / 200.0);
            max = Math.max(max, delay / 200.0);
        }
        assertThat(delays).as("retries of many coordinators do not line up").hasSizeGreaterThan(50);
        assertThat(min).isGreaterThanOrEqualTo(0.8).isLessThan(0.82);
        assertThat(max).isLessThanOrEqualTo(1.2).isGreaterThan(1.18);
    }

    @Test
    void policyRejectsNonsense() {
        assertThatThrownBy(() -> new SupervisorPolicy(0, Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxFailures must be >= 1");
        assertThatThrownBy(() -> new SupervisorPolicy(1, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SupervisorPolicy(1, Duration.ofMinutes(1), Duration.ofSeconds(3), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SupervisorPolicy(1, Duration.ofMinutes(1), Duration.ZERO, Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void maxFailuresOfOneParksAtTheFirstFailure() {
        CoordinatorEngine e = engine(new SupervisorPolicy(1, Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        b.failing(new IllegalStateException("once"));
        CoordinatorEngine.Advance r = e.start(ID, "test", "u1", Map.of(), T0);
        assertThat(r.coordinator().parkedReason()).isEqualTo("failed 1 times within PT10M: IllegalStateException: once");
    }

    // ---- the guard (bans)

    @Test
    void theGuardIsAskedBeforeEveryStepAndCancelsInsteadOfRunningIt() {
        java.util.concurrent.atomic.AtomicReference<String> stop = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> asked = new java.util.ArrayList<>();
        CoordinatorEngine guarded = new CoordinatorEngine(Map.of("test", flow)::get, POLICY, co -> {
            asked.add(co.state());
            return stop.get();
        });
        b.failing(new IllegalStateException("transient"));
        CoordinatorEngine.Advance first = guarded.start(ID, "test", "u1", Map.of("k", "v"), T0);
        assertThat(first.coordinator().state()).as("A done, B failed once and waits").isEqualTo("B");
        assertThat(asked).containsExactly("A", "B");

        stop.set("banned: profile u2 (actor)");
        CoordinatorEngine.Advance r = guarded.advance(first.coordinator(), first.wakeAt());
        assertThat(kinds(r)).containsExactly(Kind.CANCELLED);
        assertThat(r.coordinator().state()).isEqualTo(Flow.CANCELLED);
        assertThat(last(r.coordinator()).from()).isEqualTo("B");
        assertThat(last(r.coordinator()).detail()).isEqualTo("banned: profile u2 (actor)");
        assertThat(r.outputs()).isEmpty();
        assertThat(b.runs).as("B was not run again").isEqualTo(1);
        assertThat(r.wakeAt()).isNull();
    }

    @Test
    void theGuardIsNotAskedWhereTheFlowCannotBeCancelled() {
        List<String> asked = new java.util.ArrayList<>();
        CoordinatorEngine guarded = new CoordinatorEngine(Map.of("test", flow)::get, POLICY, co -> {
            asked.add(co.state());
            return "banned: profile u2 (actor)";
        });
        Coordinator cancelledAtOnce = guarded.start(ID, "test", "u1", Map.of("k", "v"), T0).coordinator();
        assertThat(cancelledAtOnce.state()).as("cancelled in A, before the first step").isEqualTo(Flow.CANCELLED);
        assertThat(a.runs).isZero();

        // C is not cancellable: a coordinator there runs to its end whatever the guard says.
        Coordinator running = engine.start("test:evt-2", "test", "u1", Map.of("k", "v"), T0).coordinator();
        assertThat(running.state()).isEqualTo(Flow.DONE);
        c.failing(new IllegalStateException("transient"));
        Coordinator inC = engine(POLICY).start("test:evt-3", "test", "u1", Map.of("k", "v"), T0).coordinator();
        assertThat(inC.state()).isEqualTo("C");
        asked.clear();
        CoordinatorEngine.Advance r = guarded.advance(inC, inC.nextAttemptAt());
        assertThat(r.coordinator().state()).isEqualTo(Flow.DONE);
        assertThat(asked).isEmpty();
    }
}
