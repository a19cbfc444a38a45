package io.pushline.workers;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A set of push ids, each with the receipts partition number it was read from, held compactly: an id in the canonical
 * form {@link io.pushline.contracts.PushIds} gives it (a UUID, 36 characters, lower-case hex) is held as its two longs
 * and a {@code char} for the number, in an open-addressing table (linear probing, no boxing, no String per id: 18 bytes
 * a slot, at most 3/4 of the slots used). Any other id (a bare key of an older version, a test's {@code push-1}, the nil
 * UUID, which marks an empty slot) goes to a plain map, made only when one appears.
 *
 * <p>Only the canonical form is packed, so that one String maps to one pair and back: {@code UUID.fromString} would
 * also read {@code 1-1-1-1-1} or upper case as the same UUID, and two different keys would suppress each other.
 *
 * <p>The number is kept so that a partition number no longer owned can be taken out ({@link #removeNumber}, a rebuild:
 * rare, at a rebalance) while lookups ask by id alone, over every number, in one probe run: the home slot depends on
 * the id only, so every entry of an id (an upgrade may leave it on two numbers: the push id's and the user's) sits in
 * the same run.
 *
 * <p>Not thread-safe: {@link ReceiptBuckets} guards it.
 */
final class ReceiptIds {
    /** Used slots per slot at most; past it the table doubles. Linear probing stays short below it (a miss: ~8 probes). */
    static final double MAX_LOAD = 0.75;
    /** Partition numbers a slot can hold: a {@code char}. */
    static final int MAX_NUMBER = Character.MAX_VALUE;
    private static final int MIN_SLOTS = 16;
    /** Array headers and the object itself, for {@link #bytes()}: an estimate for a 64-bit JVM with compressed oops. */
    private static final long OVERHEAD = 48 + 3 * 16;
    /** A String of 36 Latin-1 characters in a HashMap with a boxed number: node 32, String 24, byte[] 56, slot ~5. */
    static final long BYTES_PER_OTHER = 32 + 24 + 56 + 5;

    /** Pairs (msb, lsb); (0, 0) is an empty slot. */
    private long[] table = new long[2 * MIN_SLOTS];
    private char[] numbers = new char[MIN_SLOTS];
    private int slots = MIN_SLOTS;
    private int used;
    private Map<String, Integer> others;   // id → the number of its latest receipt
    private int[] counts = new int[0];     // ids per number, both kinds

    /**
     * A push id, read once so that it can be looked up in many sets: {@code other} is null when the id is canonical
     * (its two longs are then in {@code msb} and {@code lsb}), else the id itself.
     */
    record Key(long msb, long lsb, String other) {
        static Key of(String pushId) {
            if (!canonical(pushId)) {
                return new Key(0, 0, pushId);
            }
            long msb = hex(pushId, 0, 8) << 32 | hex(pushId, 9, 13) << 16 | hex(pushId, 14, 18);
            long lsb = hex(pushId, 19, 23) << 48 | hex(pushId, 24, 36);
            return msb == 0 && lsb == 0 ? new Key(0, 0, pushId) : new Key(msb, lsb, null);
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

    /**
     * Adds the id, read from partition {@code number}.
     *
     * @return whether it was new (for that number)
     * @throws IllegalArgumentException if {@code number} is negative or over {@link #MAX_NUMBER}
     */
    boolean add(Key key, int number) {
        if (number < 0 || number > MAX_NUMBER) {
            throw new IllegalArgumentException("partition number must be 0 to " + MAX_NUMBER + ", was " + number);
        }
        if (!key.packed()) {
            if (others == null) {
                others = new HashMap<>();
            }
            Integer before = others.put(key.other(), number);
            if (before != null && before == number) {
                return false;
            }
            if (before != null) {
                count(before, -1);
            }
            count(number, 1);
            return true;
        }
        if (used + 1 > slots * MAX_LOAD) {
            rehash(slots * 2);
        }
        long msb = key.msb();
        long lsb = key.lsb();
        int i = home(msb, lsb, slots);
        while (true) {
            long m = table[2 * i];
            long l = table[2 * i + 1];
            if (m == 0 && l == 0) {
                table[2 * i] = msb;
                table[2 * i + 1] = lsb;
                numbers[i] = (char) number;
                used++;
                count(number, 1);
                return true;
            }
            if (m == msb && l == lsb && numbers[i] == number) {
                return false;
            }
            i = i + 1 == slots ? 0 : i + 1;
        }
    }

    /** Whether the id is held, for any number. */
    boolean contains(Key key) {
        if (!key.packed()) {
            return others != null && others.containsKey(key.other());
        }
        long msb = key.msb();
        long lsb = key.lsb();
        int i = home(msb, lsb, slots);
        while (true) {
            long m = table[2 * i];
            long l = table[2 * i + 1];
            if (m == msb && l == lsb) {
                return true;
            }
            if (m == 0 && l == 0) {
                return false;
            }
            i = i + 1 == slots ? 0 : i + 1;
        }
    }

    /** Removes the id of partition {@code number} (a tombstone). @return whether it was there */
    boolean remove(Key key, int number) {
        if (!key.packed()) {
            if (others == null || !others.remove(key.other(), number)) {
                return false;
            }
            count(number, -1);
            return true;
        }
        long msb = key.msb();
        long lsb = key.lsb();
        int hole = home(msb, lsb, slots);
        while (true) {
            long m = table[2 * hole];
            long l = table[2 * hole + 1];
            if (m == 0 && l == 0) {
                return false;
            }
            if (m == msb && l == lsb && numbers[hole] == number) {
                break;
            }
            hole = hole + 1 == slots ? 0 : hole + 1;
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
                numbers[hole] = numbers[j];
                hole = j;
            }
        }
        table[2 * hole] = 0;
        table[2 * hole + 1] = 0;
        numbers[hole] = 0;
        used--;
        count(number, -1);
        return true;
    }

    /** Takes out every id of partition {@code number}: a rebuild of the table. @return how many */
    int removeNumber(int number) {
        int removed = size(number);
        if (removed == 0) {
            return 0;
        }
        if (others != null) {
            others.values().removeIf(n -> n == number);
        }
        long[] oldTable = table;
        char[] oldNumbers = numbers;
        table = new long[oldTable.length];
        numbers = new char[oldNumbers.length];
        used = 0;
        for (int s = 0; s < oldNumbers.length; s++) {
            long m = oldTable[2 * s];
            long l = oldTable[2 * s + 1];
            if ((m != 0 || l != 0) && oldNumbers[s] != number) {
                place(m, l, oldNumbers[s]);
                used++;
            }
        }
        counts[number] = 0;
        return removed;
    }

    /** Ids held, over every number. */
    int size() {
        return used + (others == null ? 0 : others.size());
    }

    /** Ids held of partition {@code number}. */
    int size(int number) {
        return number >= 0 && number < counts.length ? counts[number] : 0;
    }

    /** Ids held in the String fallback. */
    int others() {
        return others == null ? 0 : others.size();
    }

    /**
     * Shrinks the table to the fewest slots that hold its ids within {@link #MAX_LOAD}: for a set that has stopped
     * growing (a bucket of an hour gone by), so that it keeps 24 bytes an id rather than up to twice that.
     */
    void trim() {
        int needed = Math.max(MIN_SLOTS, (int) Math.ceil(used / MAX_LOAD) + 1);
        if (needed < slots) {
            rehash(needed);
        }
    }

    /** Bytes this set occupies on the heap: exact for the table, an estimate for the String fallback. */
    long bytes() {
        return OVERHEAD + 8L * table.length + 2L * numbers.length + 4L * counts.length
                + (others == null ? 0 : 48 + BYTES_PER_OTHER * others.size());
    }

    /** Slots of the table; for tests. */
    int slots() {
        return slots;
    }

    private void count(int number, int delta) {
        if (number >= counts.length) {
            counts = Arrays.copyOf(counts, Math.max(number + 1, 2 * counts.length));
        }
        counts[number] += delta;
    }

    private void rehash(int newSlots) {
        long[] oldTable = table;
        char[] oldNumbers = numbers;
        table = new long[2 * newSlots];
        numbers = new char[newSlots];
        slots = newSlots;
        for (int s = 0; s < oldNumbers.length; s++) {
            long m = oldTable[2 * s];
            long l = oldTable[2 * s + 1];
            if (m != 0 || l != 0) {
                place(m, l, oldNumbers[s]);
            }
        }
    }

    /** Puts an entry known to be absent into the first free slot of its run. */
    private void place(long msb, long lsb, char number) {
        int j = home(msb, lsb, slots);
        while (table[2 * j] != 0 || table[2 * j + 1] != 0) {
            j = j + 1 == slots ? 0 : j + 1;
        }
        table[2 * j] = msb;
        table[2 * j + 1] = lsb;
        numbers[j] = number;
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
