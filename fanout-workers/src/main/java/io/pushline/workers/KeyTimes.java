package io.pushline.workers;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keys with the time of their latest record, bounded by time and by a hard cap, for a {@link CompactedKeySet}.
 *
 * <p>Time: {@link #expire} drops the keys whose time is before a cutoff (the lookback), oldest first, in the order
 * their records arrived. A key is never dropped before its time is past the cutoff; one whose record arrived after
 * a younger one (producers' clocks disagree) waits behind it, so it may stay a little longer than its lookback.
 *
 * <p>Cap: {@link #put} refuses a new key when {@code maxEntries} keys are held: it never forgets an older key to make
 * room (an LRU would forget the very tombstone that stops a push to a moved token). The caller then stops reading and
 * fails closed until {@link #expire} makes room.
 *
 * <p>Not thread-safe: {@link CompactedKeySet} guards it.
 */
final class KeyTimes {
    private final int maxEntries;
    /** key -> time of its latest record (epoch millis); insertion order is the order of arrival (a put moves a key last). */
    private final LinkedHashMap<String, Long> times = new LinkedHashMap<>();

    KeyTimes(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /**
     * Holds {@code key} with {@code time}, or the later of it and the time it had.
     *
     * @return false, holding nothing new, if the key is new and {@code maxEntries} keys are held
     */
    boolean put(String key, long time) {
        Long had = times.remove(key);
        if (had == null && times.size() >= maxEntries) {
            return false;
        }
        times.put(key, had == null ? time : Math.max(had, time));
        return true;
    }

    void remove(String key) {
        times.remove(key);
    }

    /** The time of {@code key}'s latest record, or null if it is not held. */
    Long time(String key) {
        return times.get(key);
    }

    boolean contains(String key) {
        return times.containsKey(key);
    }

    /**
     * Drops the keys whose time is before {@code cutoff}, from the oldest arrival on, stopping at the first that is
     * not.
     *
     * @return how many were dropped
     */
    int expire(long cutoff) {
        int dropped = 0;
        for (Iterator<Map.Entry<String, Long>> it = times.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue() >= cutoff) {
                break;
            }
            it.remove();
            dropped++;
        }
        return dropped;
    }

    int size() {
        return times.size();
    }

    boolean full() {
        return times.size() >= maxEntries;
    }

    int maxEntries() {
        return maxEntries;
    }
}
