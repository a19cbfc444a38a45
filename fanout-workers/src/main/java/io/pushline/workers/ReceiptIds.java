package io.pushline.workers;

import java.util.HashSet;
import java.util.Set;

/**
 * A set of push ids held compactly: an id in the canonical form {@link io.pushline.contracts.PushIds} gives it (a UUID,
 * 36 characters, lower-case hex) is held as its two longs in an open-addressing table (linear probing, no boxing, no
 * String per id: 16 bytes a slot, at most 3/4 of the slots used); any other id (a bare key of an older version, a test's
 * {@code push-1}) goes to a plain {@code HashSet<String>}, made only when one appears.
 *
 * <p>Only the canonical form is packed, so that one String maps to one pair and back: {@code UUID.fromString} would
 * also read {@code 1-1-1-1-1} or upper case as the same UUID, and two different keys would suppress each other.
 *
 * <p>Not thread-safe: {@link ReceiptBuckets} guards it.
 */
final class ReceiptIds {
    /** Used slots per slot at most; past it the table doubles. Linear probing stays short below it (a miss: ~8 probes). */
    static final double MAX_LOAD = 0.75;
    private static final int MIN_SLOTS = 16;
    /** Array header and the object itself, for {@link #bytes()}: an estimate for a 64-bit JVM with compressed oops. */
    private static final long ARRAY_HEADER = 16;
    private static final long SELF = 40;
    /** A String of 36 Latin-1 characters in a HashSet: node 32, String 24, byte[] 16+36 rounded, table slot ~5. */
    static final long BYTES_PER_OTHER = 32 + 24 + 56 + 5;

    /** Pairs (msb, lsb); (0, 0) is an empty slot, so the nil UUID is held by {@link #hasNil} instead. */
    private long[] table = new long[2 * MIN_SLOTS];
    private int slots = MIN_SLOTS;
    private int used;
    private boolean hasNil;
    private Set<String> others;

    /**
     * A push id, read once so that it can be looked up in many sets: {@code other} is null when the id is canonical
     * (its two longs are then in {@code msb} and {@code lsb}), else the id itself.
     */
    record Key(long msb, long lsb, String other) {
        static Key of(String pushId) {
            if (!canonical(pushId)) {
                return new Key(0, 0, pushId);
            }
            return new Key(hex(pushId, 0, 8) << 32 | hex(pushId, 9, 13) << 16 | hex(pushId, 14, 18),
                    hex(pushId, 19, 23) << 48 | hex(pushId, 24, 36), null);
        }

        boolean packed() {
            return other == null;
        }
    }

    /** Whether {@code id} is {@code xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} in lower-case hex: what {@code UUID.toString} makes. */
    static boolean canonical(String id) {
        if (id == null || id.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = id.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static long hex(String s, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            value = value << 4 | (c <= '9' ? c - '0' : c - 'a' + 10);
        }
        return value;
    }

    /** @return whether it was new */
    boolean add(Key key) {
        if (!key.packed()) {
            if (others == null) {
                others = new HashSet<>();
            }
            return others.add(key.other());
        }
        long msb = key.msb();
        long lsb = key.lsb();
        if (msb == 0 && lsb == 0) {
            boolean added = !hasNil;
            hasNil = true;
            return added;
        }
        if (used + 1 > slots * MAX_LOAD) {
            rehash(slots * 2);
        }
        int i = home(msb, lsb, slots);
        while (true) {
            long m = table[2 * i];
            long l = table[2 * i + 1];
            if (m == 0 && l == 0) {
                table[2 * i] = msb;
                table[2 * i + 1] = lsb;
                used++;
                return true;
            }
            if (m == msb && l == lsb) {
                return false;
            }
            i = i + 1 == slots ? 0 : i + 1;
        }
    }

    boolean contains(Key key) {
        if (!key.packed()) {
            return others != null && others.contains(key.other());
        }
        long msb = key.msb();
        long lsb = key.lsb();
        if (msb == 0 && lsb == 0) {
            return hasNil;
        }
        return slotOf(msb, lsb) >= 0;
    }

    /** @return whether it was there */
    boolean remove(Key key) {
        if (!key.packed()) {
            return others != null && others.remove(key.other());
        }
        long msb = key.msb();
        long lsb = key.lsb();
        if (msb == 0 && lsb == 0) {
            boolean had = hasNil;
            hasNil = false;
            return had;
        }
        int hole = slotOf(msb, lsb);
        if (hole < 0) {
            return false;
        }
        // Backward-shift deletion: move later members of the probe run into the hole when their home allows it, so that
        // no run is broken and no deleted-marker is needed.
        int j = hole;
        while (true) {
            j = j + 1 == slots ? 0 : j + 1;
            long m = table[2 * j];
            long l = table[2 * j + 1];
            if (m == 0 && l == 0) {
                break;
            }
            int home = home(m, l, slots);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                table[2 * hole] = m;
                table[2 * hole + 1] = l;
                hole = j;
            }
        }
        table[2 * hole] = 0;
        table[2 * hole + 1] = 0;
        used--;
        return true;
    }

    int size() {
        return used + (hasNil ? 1 : 0) + (others == null ? 0 : others.size());
    }

    /** Ids held in the String fallback. */
    int others() {
        return others == null ? 0 : others.size();
    }

    /**
     * Shrinks the table to the fewest slots that hold its ids within {@link #MAX_LOAD}: for a set that has stopped
     * growing (a bucket of an hour gone by), so that it keeps ~21 bytes an id rather than up to twice that.
     */
    void trim() {
        int needed = Math.max(MIN_SLOTS, (int) Math.ceil(used / MAX_LOAD) + 1);
        if (needed < slots) {
            rehash(needed);
        }
    }

    /** Bytes this set occupies on the heap: exact for the table, an estimate for the String fallback. */
    long bytes() {
        return SELF + ARRAY_HEADER + 8L * table.length + (others == null ? 0 : 48 + BYTES_PER_OTHER * others.size());
    }

    /** Slots of the table; for tests. */
    int slots() {
        return slots;
    }

    private int slotOf(long msb, long lsb) {
        int i = home(msb, lsb, slots);
        while (true) {
            long m = table[2 * i];
            long l = table[2 * i + 1];
            if (m == msb && l == lsb) {
                return i;
            }
            if (m == 0 && l == 0) {
                return -1;
            }
            i = i + 1 == slots ? 0 : i + 1;
        }
    }

    private void rehash(int newSlots) {
        long[] old = table;
        table = new long[2 * newSlots];
        slots = newSlots;
        for (int i = 0; i < old.length; i += 2) {
            long m = old[i];
            long l = old[i + 1];
            if (m != 0 || l != 0) {
                int j = home(m, l, newSlots);
                while (table[2 * j] != 0 || table[2 * j + 1] != 0) {
                    j = j + 1 == newSlots ? 0 : j + 1;
                }
                table[2 * j] = m;
                table[2 * j + 1] = l;
            }
        }
    }

    /**
     * The home slot: a mix of both halves, mapped to {@code [0, slots)} by a multiply-shift rather than a modulo, so
     * that the table may have any size (a trimmed one is not a power of two).
     */
    static int home(long msb, long lsb, int slots) {
        long h = msb * 0x9E3779B97F4A7C15L ^ lsb;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) (((h >>> 32) * slots) >>> 32);
    }
}
