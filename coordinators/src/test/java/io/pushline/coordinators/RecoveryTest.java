package io.pushline.coordinators;

import io.pushline.contracts.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery after a restart, at the level where it happens: the journal store's value (the changelog) is all that
 * survives, so a coordinator is encoded mid-flow, decoded by a fresh codec and engine (new flows, as after a restart),
 * and advanced. The facts stores are changelogged too, so they are shared.
 */
class RecoveryTest {
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final SupervisorPolicy POLICY = new SupervisorPolicy(5, Duration.ofMinutes(10), Duration.ofMillis(200), Duration.ofSeconds(30));

    @Test
    void aCoordinatorDecodedAfterAFailureResumesAtTheFailedStepWithoutRepeatingEarlierOutputs() {
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger savingRuns = new AtomicInteger();
        CoordinatorConfig config = CoordinatorConfig.defaults().withSteps((flow, state, step) -> {
            if (state.equals("SAVING")) {
                return ctx -> {
                    savingRuns.incrementAndGet();
                    step.run(ctx);
                };
            }
            return JournalFixtureGenerator.failing(Flows.LIKE, "NOTIFYING", failing, new RuntimeException("inbox down")).wrap(flow, state, step);
        });
        TestFlows before = TestFlows.create(config).device("u1", "token-u1-apns-0001");
        Map<String, String> input = JournalFixtureGenerator.likeInput("evt-r1", T0, "u2", "p1", "u1");
        CoordinatorEngine.Advance first = before.engine(POLICY).start("like:evt-r1", Flows.LIKE, "u1", input, T0);
        assertThat(first.coordinator().state()).isEqualTo("NOTIFYING");
        assertThat(first.outputs()).extracting(Output::topic)
                .containsExactly(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY);
        byte[] stored = before.codec().encode(first.coordinator());

        // "Restart": new flows and engine over the same (restored) facts; only the stored journal carries the coordinator.
        failing.set(false);
        Flows restarted = new Flows(before.facts, config);
        JournalCodec codec = new JournalCodec(restarted::get);
        CoordinatorEngine engine = new CoordinatorEngine(restarted::get, POLICY);
        Coordinator restored = codec.decode(stored);
        assertThat(restored).isEqualTo(first.coordinator());
        assertThat(restored.state()).isEqualTo("NOTIFYING");
        assertThat(restored.completed()).containsExactly("SAVING", "UPDATING_TIMELINE", "APPENDING_ACTIVITY");
        assertThat(restored.nextAttemptAt()).isEqualTo(first.coordinator().nextAttemptAt());
        assertThat(restored.failures()).hasSize(1);

        // Not yet due: nothing.
        assertThat(engine.advance(restored, restored.nextAttemptAt().minusMillis(1)).changed()).isFalse();

        CoordinatorEngine.Advance resumed = engine.advance(restored, restored.nextAttemptAt());
        assertThat(resumed.coordinator().state()).isEqualTo(Flow.DONE);
        assertThat(resumed.appended()).extracting(JournalEntry::kind)
                .containsExactly(JournalEntry.Kind.SUCCEEDED, JournalEntry.Kind.SUCCEEDED);
        assertThat(resumed.appended().get(0).seq()).isEqualTo(first.coordinator().journal().size() + 1);
        // Only the failed step's and the later steps' records; the completed steps' are not emitted again.
        assertThat(resumed.outputs()).extracting(Output::topic).containsExactly(Topics.NOTIFICATIONS, Topics.PUSH_HIGH);
        assertThat(savingRuns).hasValue(1);
        assertThat(resumed.coordinator().notes()).containsEntry(Flows.TEXT, "u2 liked your post").containsEntry(Flows.PUSHES, "1");
        // The like was counted once, before the restart.
        assertThat(before.facts.likeCount("p1")).isEqualTo(1);
    }

    @Test
    void aStepRedoneAfterACrashWritesRecordsWithTheSameIds() {
        // A crash before the transaction commits loses the journal entry of the step that ran: it runs again from the
        // last committed journal, and its records carry the same ids (so consumers and receipts recognise them).
        TestFlows t = TestFlows.create().device("u1", "token-u1-apns-0001");
        CoordinatorEngine engine = t.engine(POLICY);
        Map<String, String> input = JournalFixtureGenerator.likeInput("evt-r2", T0, "u2", "p2", "u1");
        List<Output> once = engine.start("like:evt-r2", Flows.LIKE, "u1", input, T0).outputs();
        TestFlows fresh = TestFlows.create().device("u1", "token-u1-apns-0001");
        List<Output> again = fresh.engine(POLICY).start("like:evt-r2", Flows.LIKE, "u1", input, T0).outputs();
        assertThat(again).extracting(o -> o.event().id()).containsExactlyElementsOf(once.stream().map(o -> o.event().id()).toList());
        assertThat(again).extracting(Output::key).containsExactlyElementsOf(once.stream().map(Output::key).toList());
    }
}
