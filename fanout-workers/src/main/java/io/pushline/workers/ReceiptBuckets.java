package io.pushline.workers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The push ids with a receipt, in time buckets: a receipt goes to the bucket of its record timestamp ({@code bucket}
 * wide, e.g. an hour), with the receipts partition number it was read from, so that receipts past the retention leave
 * a whole bucket at a time ({@link #expire}), never by a scan, and a lookup probes one table per bucket, however many
 * partition numbers are held. A receipt is held from its timestamp until at most {@code retention + bucket} later: its
 * bucket goes once the bucket's end is older than the retention.
 *
 * <p>Only the receipts of {@linkplain #open open} partition numbers are taken; a number {@linkplain #drop dropped}
 * (no longer owned: a rebalance) is taken out of every bucket, a rebuild of each. Besides the ids, each bucket keeps
 * the ids whose latest receipt says FAILED (rare: pushes given up on), so that a replay from the dead letters can tell
 * them apart; they expire with their bucket.
 *
 * <p>Pure: no Kafka, no clock of its own (every call says what time it is). Thread-safe: each bucket is guarded by its
 * own monitor, held for one operation; the list of buckets changes (a new hour, an expiry, a drop) under this object's
 * monitor and is read without it.
 */
final class ReceiptBuckets {
    private final long retentionMillis;
    private final long bucketMillis;
    private final Set<Integer> open = ConcurrentHashMap.newKeySet();
    /** Oldest first; replaced, never changed in place. */
    private volatile Bucket[] buckets = new Bucket[0];
    /** FAILED marks held, over every bucket: while there are none, no receipt pays for looking at them. */
    private final AtomicLong marks = new AtomicLong();

    private static final class Bucket {
        final long start;
        final ReceiptIds ids = new ReceiptIds();
        Map<String, Integer> failed;   // id → number, made when the first FAILED receipt arrives

        Bucket(long start) {
            this.start = start;
        }
    }

    ReceiptBuckets(long retentionMillis, long bucketMillis) {
        if (retentionMillis < 1 || bucketMillis < 1) {
            throw new IllegalArgumentException("retention and bucket must be positive, were " + retentionMillis + " ms and "
                    + bucketMillis + " ms");
        }
        this.retentionMillis = retentionMillis;
        this.bucketMillis = bucketMillis;
    }

    /** Whether a receipt with this timestamp is past the retention at {@code now}: it is then neither held nor restored. */
    boolean tooOld(long timestamp, long now) {
        return timestamp < now - retentionMillis;
    }

    /** Starts taking receipts of {@code number} (none yet). */
    void open(int number) {
        if (number < 0 || number > ReceiptIds.MAX_NUMBER) {
            throw new IllegalArgumentException("partition number must be 0 to " + ReceiptIds.MAX_NUMBER + ", was " + number);
        }
        open.add(number);
    }

    /** Stops taking {@code number}'s receipts and drops those held. @return how many were dropped */
    synchronized long drop(int number) {
        if (!open.remove(number)) {
            return 0;
        }
        long dropped = 0;
        for (Bucket b : buckets) {
            synchronized (b) {
                dropped += b.ids.removeNumber(number);
                if (b.failed != null) {
                    int before = b.failed.size();
                    b.failed.values().removeIf(n -> n == number);
                    marks.addAndGet(b.failed.size() - before);
                }
            }
        }
        return dropped;
    }

    /** The partition numbers open. */
    Set<Integer> numbers() {
        return Set.copyOf(open);
    }

    /**
     * A receipt of {@code pushId} on partition {@code number}, written at {@code timestamp}; ignored if the number is not
     * open or the receipt is past the retention at {@code now}. A FAILED receipt marks the id as given up on; any other
     * clears that mark (the latest receipt counts).
     *
     * @return whether it is held now
     */
    boolean add(int number, ReceiptIds.Key key, long timestamp, boolean failed, long now) {
        if (tooOld(timestamp, now) || !open.contains(number)) {
            return false;
        }
        Bucket bucket = bucketFor(Math.floorDiv(timestamp, bucketMillis) * bucketMillis);
        synchronized (bucket) {
            if (!open.contains(number)) {
                return false;   // dropped meanwhile (checked again under the bucket's monitor, which a drop takes)
            }
            bucket.ids.add(key, number);
            if (failed) {
                if (bucket.failed == null) {
                    bucket.failed = new HashMap<>();
                }
                if (bucket.failed.put(failedId(key), number) == null) {
                    marks.incrementAndGet();
                }
            }
        }
        if (!failed && marks.get() > 0) {
            clearFailed(key, null);
        }
        return true;
    }

    /** A tombstone: {@code pushId} has no receipt on {@code number} any more. */
    void remove(int number, ReceiptIds.Key key) {
        for (Bucket b : buckets) {
            synchronized (b) {
                b.ids.remove(key, number);
            }
        }
        if (marks.get() > 0) {
            clearFailed(key, number);
        }
    }

    /** Whether a receipt of the id is held, on any number. Newest buckets first: repeats are mostly recent. */
    boolean contains(ReceiptIds.Key key) {
        Bucket[] all = buckets;
        for (int i = all.length - 1; i >= 0; i--) {
            Bucket b = all[i];
            synchronized (b) {
                if (b.ids.contains(key)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the latest receipt of the id, on any held number, says FAILED. */
    boolean onlyFailed(ReceiptIds.Key key) {
        if (marks.get() == 0) {
            return false;
        }
        String id = null;
        for (Bucket b : buckets) {
            synchronized (b) {
                if (b.failed != null && !b.failed.isEmpty()) {
                    id = id == null ? failedId(key) : id;
                    if (b.failed.containsKey(id)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Drops every bucket whose end is past the retention at {@code now} (each of its receipts is older than that).
     * Cheap when nothing is due: one look at the oldest bucket.
     *
     * @return receipts dropped
     */
    long expire(long now) {
        long cutoff = now - retentionMillis;
        Bucket[] all = buckets;
        if (all.length == 0 || all[0].start + bucketMillis > cutoff) {
            return 0;
        }
        synchronized (this) {
            all = buckets;
            int keep = 0;
            long dropped = 0;
            while (keep < all.length && all[keep].start + bucketMillis <= cutoff) {
                synchronized (all[keep]) {
                    dropped += all[keep].ids.size();
                    marks.addAndGet(all[keep].failed == null ? 0 : -all[keep].failed.size());
                }
                keep++;
            }
            buckets = java.util.Arrays.copyOfRange(all, keep, all.length);
            return dropped;
        }
    }

    /** Receipts held, over every number. */
    long size() {
        long size = 0;
        for (Bucket b : buckets) {
            synchronized (b) {
                size += b.ids.size();
            }
        }
        return size;
    }

    /** Receipts held of {@code numbers}. */
    long size(Set<Integer> numbers) {
        long size = 0;
        for (Bucket b : buckets) {
            synchronized (b) {
                for (Integer number : numbers) {
                    size += b.ids.size(number);
                }
            }
        }
        return size;
    }

    /** Heap bytes of the held ids (tables exact, Strings estimated). */
    long bytes() {
        long bytes = 0;
        for (Bucket b : buckets) {
            synchronized (b) {
                bytes += 32 + b.ids.bytes() + (b.failed == null ? 0 : 48 + ReceiptIds.BYTES_PER_OTHER * b.failed.size());
            }
        }
        return bytes;
    }

    /** The bucket starts, oldest first; for tests. */
    List<Long> bucketStarts() {
        List<Long> starts = new ArrayList<>();
        for (Bucket b : buckets) {
            starts.add(b.start);
        }
        return starts;
    }

    @Override
    public String toString() {
        return "ReceiptBuckets[" + size() + " receipts of partitions " + new TreeSet<>(open) + "]";
    }

    /** Clears the id's FAILED marks (of {@code number} only, unless null); no String is made while there are none. */
    private void clearFailed(ReceiptIds.Key key, Integer number) {
        String id = null;
        for (Bucket b : buckets) {
            synchronized (b) {
                if (b.failed != null && !b.failed.isEmpty()) {
                    id = id == null ? failedId(key) : id;
                    if (number == null ? b.failed.remove(id) != null : b.failed.remove(id, number)) {
                        marks.decrementAndGet();
                    }
                }
            }
        }
    }

    /** The FAILED marks are few: a String each, whatever the id's form. */
    private static String failedId(ReceiptIds.Key key) {
        return key.packed() ? new java.util.UUID(key.msb(), key.lsb()).toString() : key.other();
    }

    /**
     * The bucket starting at {@code start}, made if missing, in order. Receipts arrive nearly in time order, so the
     * newest bucket is almost always the one; when a newer one is made, the one before it has stopped growing and is
     * trimmed.
     */
    private Bucket bucketFor(long start) {
        Bucket[] all = buckets;
        for (int i = all.length - 1; i >= 0 && all[i].start >= start; i--) {
            if (all[i].start == start) {
                return all[i];
            }
        }
        synchronized (this) {
            all = buckets;
            int at = all.length;
            while (at > 0 && all[at - 1].start >= start) {
                if (all[at - 1].start == start) {
                    return all[at - 1];
                }
                at--;
            }
            Bucket made = new Bucket(start);
            Bucket[] next = new Bucket[all.length + 1];
            System.arraycopy(all, 0, next, 0, at);
            next[at] = made;
            System.arraycopy(all, at, next, at + 1, all.length - at);
            buckets = next;
            if (at == all.length && at > 0) {
                Bucket previous = all[at - 1];
                synchronized (previous) {
                    previous.ids.trim();
                }
            }
            return made;
        }
    }
}
