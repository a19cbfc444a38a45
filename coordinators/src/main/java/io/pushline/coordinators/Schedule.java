package io.pushline.coordinators;

import io.pushline.contracts.Wakeup;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * What one coordinators task must do at a time, in its schedule store (changelogged), ordered by time: keys are
 * {@code <epoch millis, 13 digits>|<id>}, the id a coordinator's (a retry, a step timeout, a finished journal's clean-up,
 * a parked coordinator's retention), an expiry's ({@link Facts#EXPIRY}), a like digest's due time
 * ({@link Facts#DIGEST_DUE}) or the due time of pushes held for quiet hours ({@link DeliveryPolicy#HELD_DUE}). A one-shot {@link Wakeup} is armed for the
 * earliest entry only: nothing ticks while nothing is due, and nothing is ever found by scanning the other stores.
 *
 * <p>An entry may be stale when it comes due (its coordinator moved on): whoever runs it checks, and schedules again
 * if need be. Putting the same entry twice is harmless (same key). Not thread-safe: one per task, on its stream thread.
 */
final class Schedule {
    /** After every schedule key: '~' sorts after the digits. */
    private static final String END = "~";
    private static final byte[] EMPTY = new byte[0];

    private final KeyValueStore<String, byte[]> store;
    private Wakeup wakeup;

    Schedule(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** The wake-up that runs what is due; set once, before anything is scheduled. */
    void wakeWith(Wakeup wakeup) {
        this.wakeup = wakeup;
    }

    static String key(Instant at, String id) {
        return String.format("%013d|%s", Math.max(0, at.toEpochMilli()), id);
    }

    /** Schedules {@code id} at {@code at}. */
    void at(Instant at, String id) {
        store.put(key(at, id), EMPTY);
        wakeup.at(at.toEpochMilli());
    }

    /**
     * Schedules clean-up (a finished journal, a window, a decision, a parked coordinator's retention) at {@code at}
     * rounded up to the whole second: it may be late by a second, and clean-ups due within one second share one wake-up,
     * so a burst of likes does not become a burst of wake-ups (each a transaction) twenty minutes later.
     */
    void housekeepingAt(Instant at, String id) {
        Instant second = at.truncatedTo(ChronoUnit.SECONDS);
        at(second.equals(at) ? at : second.plusSeconds(1), id);
    }

    /** Takes (deletes and returns) the ids due at {@code now}, at most {@code max} of them, earliest first. */
    List<String> takeDue(Instant now, int max) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.range(key(Instant.EPOCH, ""), key(now, END))) {
            while (it.hasNext() && keys.size() < max) {
                keys.add(it.next().key);
            }
        }
        List<String> ids = new ArrayList<>(keys.size());
        for (String k : keys) {
            store.delete(k);
            ids.add(k.substring(k.indexOf('|') + 1));
        }
        return ids;
    }

    /** Arms the wake-up for the earliest entry, if there is one. */
    void wakeAtFirstDue() {
        try (KeyValueIterator<String, byte[]> it = store.range(key(Instant.EPOCH, ""), END)) {
            if (it.hasNext()) {
                String key = it.next().key;
                wakeup.at(Long.parseLong(key, 0, key.indexOf('|'), 10));
            }
        }
    }
}
