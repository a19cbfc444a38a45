package io.pushline.workers;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The lifecycle of a {@link PushWorker}, as a transition table; any move not in it is a bug and fails loudly.
 *
 * <pre>
 *   NEW ──start()──▶ STARTING ──▶ RUNNING ──close()──▶ DRAINING ──▶ CLOSED
 *    │                  │            │                                 ▲
 *    │                  └─ failed ─▶ NEW (what it opened is closed)    │
 *    │                               └─ poll loop ended by itself ─▶ STOPPED ──close()──┘
 *    └────────────────────────────close()──────────────────────────────┘
 * </pre>
 *
 * <ul>
 *   <li>{@code NEW}: constructed; nothing opened. {@code start()} may be called, or {@code close()} (which then has
 *       nothing to release).</li>
 *   <li>{@code STARTING}: {@code start()} is opening the retry topics, key sets, receipts store and consumer. A start
 *       that fails closes what it opened and goes back to {@code NEW}.</li>
 *   <li>{@code RUNNING}: the poll thread consumes.</li>
 *   <li>{@code STOPPED}: the poll loop ended by itself (its receipts store failed, it was interrupted, an unexpected
 *       error); it has drained and committed what it could. {@code close()} still releases the rest.</li>
 *   <li>{@code DRAINING}: {@code close()} stopped the poll loop, which drains in-flight pushes and commits.</li>
 *   <li>{@code CLOSED}: everything released. Final.</li>
 * </ul>
 */
enum WorkerState {
    NEW, STARTING, RUNNING, STOPPED, DRAINING, CLOSED;

    /** The legal moves. */
    private static final Map<WorkerState, Set<WorkerState>> NEXT = Map.of(
            NEW, EnumSet.of(STARTING, CLOSED),
            STARTING, EnumSet.of(RUNNING, NEW),
            RUNNING, EnumSet.of(DRAINING, STOPPED),
            STOPPED, EnumSet.of(CLOSED),
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
