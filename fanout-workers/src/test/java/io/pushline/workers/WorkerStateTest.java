package io.pushline.workers;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Lane;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static io.pushline.workers.WorkerState.CLOSED;
import static io.pushline.workers.WorkerState.DRAINING;
import static io.pushline.workers.WorkerState.NEW;
import static io.pushline.workers.WorkerState.RUNNING;
import static io.pushline.workers.WorkerState.STARTING;
import static io.pushline.workers.WorkerState.FAILED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The worker's lifecycle table, and the moves a worker makes without a broker (never started, failed start). */
class WorkerStateTest {
    /** The table, written out independently of the enum's. */
    private static final Map<WorkerState, Set<WorkerState>> LEGAL = Map.of(
            NEW, EnumSet.of(STARTING, CLOSED),
            STARTING, EnumSet.of(RUNNING, NEW),
            RUNNING, EnumSet.of(DRAINING, FAILED),
            FAILED, EnumSet.of(CLOSED),
            DRAINING, EnumSet.of(CLOSED),
            CLOSED, EnumSet.noneOf(WorkerState.class));

    @Test
    void exactlyTheMovesOfTheTableAreLegal() {
        int legal = 0;
        for (WorkerState from : WorkerState.values()) {
            for (WorkerState to : WorkerState.values()) {
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(LEGAL.get(from).contains(to));
                legal += from.canMoveTo(to) ? 1 : 0;
            }
        }
        assertThat(legal).isEqualTo(8);
    }

    @Test
    void anIllegalMoveThrowsAndChangesNothing() {
        AtomicReference<WorkerState> state = new AtomicReference<>(RUNNING);

        assertThatThrownBy(() -> WorkerState.move(state, RUNNING, NEW))
                .isInstanceOf(IllegalStateException.class).hasMessage("push worker: illegal move RUNNING -> NEW");
        assertThatThrownBy(() -> WorkerState.move(state, CLOSED, RUNNING)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> WorkerState.move(state, FAILED, DRAINING)).isInstanceOf(IllegalStateException.class);
        assertThat(state.get()).isEqualTo(RUNNING);
    }

    @Test
    void aLegalMoveFromAStateNoLongerCurrentIsRefusedWithoutEffect() {
        AtomicReference<WorkerState> state = new AtomicReference<>(DRAINING);   // close() came first

        assertThat(WorkerState.move(state, RUNNING, FAILED)).isFalse();   // the poll loop's own end
        assertThat(state.get()).isEqualTo(DRAINING);
        assertThat(WorkerState.move(state, DRAINING, CLOSED)).isTrue();
        assertThat(state.get()).isEqualTo(CLOSED);
    }

    @Test
    void closedIsTheOnlyFinalStateAndEveryStateReachesIt() {
        for (WorkerState from : WorkerState.values()) {
            Set<WorkerState> reached = EnumSet.of(from);
            ArrayDeque<WorkerState> todo = new ArrayDeque<>(reached);
            while (!todo.isEmpty()) {
                WorkerState s = todo.poll();
                for (WorkerState to : WorkerState.values()) {
                    if (s.canMoveTo(to) && reached.add(to)) {
                        todo.add(to);
                    }
                }
            }
            assertThat(reached).as("reachable from " + from).contains(CLOSED);
            boolean isFinal = EnumSet.allOf(WorkerState.class).stream().noneMatch(from::canMoveTo);
            assertThat(isFinal).as(from + " is final").isEqualTo(from == CLOSED);
        }
    }

    // ---- a real worker, without a broker ----

    private static PushWorker worker() {
        return new PushWorker(WorkerConfig.defaults(Lane.BULK), Map.of(), new MockProducer<>(), Map.of(),
                new SimpleMeterRegistry());
    }

    @Test
    void aWorkerNeverStartedClosesAtOnceAndCannotBeStartedAfterwards() {
        PushWorker worker = worker();
        assertThat(worker.state()).isEqualTo(NEW);

        worker.close();
        assertThat(worker.state()).isEqualTo(CLOSED);
        assertThatThrownBy(worker::start).isInstanceOf(IllegalStateException.class).hasMessage("worker closed");
        worker.close();   // a second close is a no-op
        assertThat(worker.state()).isEqualTo(CLOSED);
    }

    @Test
    void aFailedStartLeavesTheWorkerNewSoItCanBeStartedAgainOrClosed() {
        PushWorker worker = worker();   // no bootstrap servers: creating the admin client fails at once, before any I/O

        assertThatThrownBy(worker::start).isInstanceOf(RuntimeException.class).isNotInstanceOf(IllegalStateException.class);
        assertThat(worker.state()).isEqualTo(NEW);
        assertThatThrownBy(worker::start).isInstanceOf(RuntimeException.class).isNotInstanceOf(IllegalStateException.class);
        assertThat(worker.state()).isEqualTo(NEW);

        worker.close();
        assertThat(worker.state()).isEqualTo(CLOSED);
    }
}
