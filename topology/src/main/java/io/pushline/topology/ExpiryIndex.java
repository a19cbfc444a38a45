package io.pushline.topology;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.ObjLongConsumer;

/**
 * A time-ordered index over the entries of another store, so that entries past their retention are found from the
 * oldest end, a bounded page at a time, and the store they live in is never scanned for them. Keys are
 * {@code time|key}, the time (epoch ms) zero-padded to 19 digits so that key order is time order; values are empty.
 *
 * <p>The owner adds an entry when it stores something that must go after a retention, and forgets the entry
 * {@link #expire} hands it once due, after checking that the entry still describes what it stored (an entry may have
 * been stored again since, or removed by other means: the index is not kept exact on every change, which would cost a
 * read per write, only never short of an entry that may expire).
 *
 * <p>Entries stored before the index existed (by an earlier version) have no index entry. A one-time sweep, run in
 * pages like the rest ({@link #sweep}), indexes them; its cursor and its end are kept in this store under keys that
 * start with {@code ~}, which sorts after every digit, so they fall in no time range.
 *
 * <p>Not thread-safe: its task's stream thread only, like the processor that owns it.
 */
final class ExpiryIndex {
    private static final String SWEEP_CURSOR = "~sweep-cursor";
    private static final String SWEPT = "~swept";
    /** Sorts after {@code time|} of any key with that time, and before the {@code ~} keys. */
    private static final String AFTER_TIME = "}";
    private static final int DIGITS = 19;
    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, byte[]> index;

    ExpiryIndex(KeyValueStore<String, byte[]> index) {
        this.index = Objects.requireNonNull(index, "index");
    }

    /** Indexes {@code key} at {@code at} (epoch ms; clamped at 0). Adding the same pair again changes nothing. */
    void add(String key, long at) {
        index.put(timeKey(at) + '|' + key, PRESENT);
    }

    /** The oldest time indexed, or {@link Long#MAX_VALUE} if none: one seek. */
    long oldest() {
        try (KeyValueIterator<String, byte[]> first = index.range(timeKey(0), timeKey(Long.MAX_VALUE) + AFTER_TIME)) {
            return first.hasNext() ? timeOf(first.next().key) : Long.MAX_VALUE;
        }
    }

    /**
     * Removes up to {@code max} entries at or before {@code cutoff} from the index, oldest first, handing each key and
     * time to {@code due}; returns how many. Fewer than {@code max} means none at or before {@code cutoff} is left.
     */
    int expire(long cutoff, int max, ObjLongConsumer<String> due) {
        if (cutoff < 0) {
            return 0;
        }
        int expired = 0;
        try (KeyValueIterator<String, byte[]> entries = index.range(timeKey(0), timeKey(cutoff) + AFTER_TIME)) {
            while (expired < max && entries.hasNext()) {
                String entry = entries.next().key;
                index.delete(entry);
                due.accept(entry.substring(DIGITS + 1), timeOf(entry));
                expired++;
            }
        }
        return expired;
    }

    /** Whether the one-time sweep of entries stored before the index is done (or was never needed). */
    boolean swept() {
        return index.get(SWEPT) != null;
    }

    /**
     * One page of the one-time sweep over {@code store}, the store this index is for: up to {@code max} of its entries
     * after the sweep's cursor, each handed to {@code visit}, which {@link #add adds} what needs an expiry. An entry
     * that was indexed already may get a second index entry, which its owner's check makes harmless. The cursor moves
     * with the page. Returns true once the sweep is done: {@code store} was passed to its end.
     */
    boolean sweep(KeyValueStore<String, byte[]> store, int max, BiConsumer<String, byte[]> visit) {
        if (swept()) {
            return true;
        }
        byte[] cursorBytes = index.get(SWEEP_CURSOR);
        String cursor = cursorBytes == null ? null : new String(cursorBytes, StandardCharsets.UTF_8);
        int seen = 0;
        String last = cursor;
        boolean done = true;
        try (KeyValueIterator<String, byte[]> entries = cursor == null ? store.all() : store.range(cursor, null)) {
            while (entries.hasNext()) {
                KeyValue<String, byte[]> entry = entries.next();
                if (entry.key.equals(cursor)) {
                    continue;   // range() includes the cursor, which the previous page did
                }
                if (seen >= max) {
                    done = false;
                    break;
                }
                visit.accept(entry.key, entry.value);
                last = entry.key;
                seen++;
            }
        }
        if (done) {
            index.delete(SWEEP_CURSOR);
            index.put(SWEPT, PRESENT);
        } else {
            index.put(SWEEP_CURSOR, last.getBytes(StandardCharsets.UTF_8));
        }
        return done;
    }

    /**
     * Marks the sweep done if {@code store} is empty and no sweep has begun: a new deployment, or an index created with
     * its store, has nothing to sweep.
     */
    void skipSweepIfEmpty(KeyValueStore<String, byte[]> store) {
        if (swept() || index.get(SWEEP_CURSOR) != null) {
            return;
        }
        try (KeyValueIterator<String, byte[]> any = store.all()) {
            if (!any.hasNext()) {
                index.put(SWEPT, PRESENT);
            }
        }
    }

    /** {@code at} zero-padded to 19 digits (every non-negative long), negative times as 0. */
    static String timeKey(long at) {
        String digits = Long.toString(Math.max(0, at));
        return "0".repeat(DIGITS - digits.length()) + digits;
    }

    private static long timeOf(String entry) {
        return Long.parseLong(entry.substring(0, DIGITS));
    }
}
