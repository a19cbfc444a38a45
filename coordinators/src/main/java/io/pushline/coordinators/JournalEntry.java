package io.pushline.coordinators;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One transition of one coordinator, as journaled. A coordinator's state is the fold of its entries
 * ({@link Coordinator#replay}); nothing else about it is stored.
 *
 * @param seq           1, 2, 3, ... per coordinator
 * @param kind          what happened
 * @param from          the state before ({@code null} for {@link Kind#STARTED})
 * @param to            the state after
 * @param at            when, on the stream's clock
 * @param detail        a failure's cause, a park's reason, an operator's note; or null
 * @param nextAttemptAt for {@link Kind#FAILED}: when the step is tried again; else null
 * @param notes         for {@link Kind#SUCCEEDED}: what the step noted for later flows; else empty
 */
record JournalEntry(int seq, Kind kind, String from, String to, Instant at, String detail, Instant nextAttemptAt,
                           Map<String, String> notes) {
    /** The kinds of transition; the flow's table says which states each may join. */
    public enum Kind {
        STARTED, SUCCEEDED, FAILED, PARKED, RETRIED, DISCARDED, CANCELLED
    }

    public JournalEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
        notes = notes == null ? Map.of() : Map.copyOf(notes);
        if (seq < 1) {
            throw new IllegalArgumentException("seq must be >= 1, was " + seq);
        }
    }
}
