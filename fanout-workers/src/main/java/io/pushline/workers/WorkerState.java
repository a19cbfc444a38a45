package io.pushline.workers;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The lifecycle of a {@link PushWorker}, as a transition table; any move not in it is a bug and fails loudly.
 *
 * <pre>
 *   from      to        by
 *   NEW       STARTING  start()
 *   NEW       CLOSED    close() of a worker never started (nothing to release)
 *   STARTING  RUNNING   start() opened everything; the poll thread runs
 *   STARTING  NEW       start() failed and closed what it had opened; it may be called again
 *   RUNNING   DRAINING  close(): the poll loop stops, drains in-flight pushes and commits
 *   RUNNING   FAILED    the poll loop ended by itself (receipts store failed, interrupted, an unexpected error, or
 *                       transient broker failures for longer than their bound), after draining and committing what
 *                       it could; the worker reports why ({@code PushWorker.failure()})
 *   DRAINING  CLOSED    close() released the rest (key sets, receipts store, callback executor)
 *   FAILED    CLOSED    close() released the rest
 * </pre>
 *
 * <p>{@code CLOSED} is final. {@code close()} never meets {@code STARTING}: it and {@code start()} both hold the
 * worker's monitor.
 */
enum WorkerState {
    NEW, STARTING, RUNNING, FAILED, DRAINING, CLOSED;

    /** The legal moves. */
    private static final Map<WorkerState, Set<WorkerState>> NEXT = Map.of(
            NEW, EnumSet.of(STARTING, CLOSED),
            STARTING, EnumSet.of(RUNNING, NEW),
            RUNNING, EnumSet.of(DRAINING, FAILED),
            FAILED, EnumSet.of(CLOSED),
            DRAINING, EnumSet.of(CLOSED),
            CLOSED, EnumSet.noneOf(WorkerState.class));

    /** Whether {@code this -> next} is in the table. */
    boolean canMoveTo(WorkerState next) {
        return NEXT.get(this).contains(next);
    }

    /**
     * Moves {@code state} from {@code from} to {@code to} in one atomic update.
     *
     * @return false if {@code state} was not {@code from} (someone else moved it first; nothing changed)
     * @throws IllegalStateException if {@code from -> to} is not in the table
     */
    static boolean move(AtomicReference<WorkerState> state, WorkerState from, WorkerState to) {
        if (!from.canMoveTo(to)) {
            throw new IllegalStateException("push worker: illegal move " + from + " -> " + to);
        }
        return state.compareAndSet(from, to);
    }
}
