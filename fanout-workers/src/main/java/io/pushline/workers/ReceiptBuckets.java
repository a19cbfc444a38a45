package io.pushline.workers;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The push ids with a receipt, per receipts partition number and per time bucket: a receipt goes to the bucket of its
 * record timestamp ({@code bucket} wide, e.g. an hour), so that receipts past the retention leave by whole buckets
 * ({@link #expire}), never by a scan, and a partition number no longer owned leaves with all of its buckets
 * ({@link #drop}). A receipt is held from its timestamp until at most {@code retention + bucket} later: its bucket goes
 * once the bucket's end is older than the retention.
 *
 * <p>Besides the ids, each bucket keeps the ids whose latest receipt says FAILED (rare: pushes given up on), so that a
 * replay from the dead letters can tell them apart; they expire with their bucket.
 *
 * <p>Pure: no Kafka, no clock of its own (every call says what time it is). Thread-safe: each partition number is
 * guarded by its own monitor, held for one operation (a lookup, an insertion, an expiry), never across numbers.
 */
final class ReceiptBuckets {
    private final long retentionMillis;
    private final long bucketMillis;
    private final Map<Integer, Partition> partitions = new ConcurrentHashMap<>();

    /** One partition number's buckets, oldest first; guarded by itself. */
    private static final class Partition {
        final List<Bucket> buckets = new ArrayList<>();
    }

    private static final class Bucket {
        final long start;
        final ReceiptIds ids = new ReceiptIds();
        Set<String> failed;   // made when the first FAILED receipt arrives

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

    /** Starts holding receipts of {@code number} (none yet); no-op if held already. */
    void open(int number) {
        partitions.computeIfAbsent(number, n -> new Partition());
    }

    /** Stops holding {@code number}'s receipts. @return how many were dropped */
    long drop(int number) {
        Partition p = partitions.remove(number);
        if (p == null) {
            return 0;
        }
        synchronized (p) {
            return count(p);
        }
    }

    /** The partition numbers held. */
    Set<Integer> numbers() {
        return Set.copyOf(partitions.keySet());
    }

    boolean holds(int number) {
        return partitions.containsKey(number);
    }

    /**
     * A receipt of {@code pushId} on partition {@code number}, written at {@code timestamp}; ignored if the number is not
     * held or the receipt is past the retention at {@code now}. A FAILED receipt marks the id as given up on; any other
     * clears that mark (the latest receipt counts).
     *
     * @return whether it is held now
     */
    boolean add(int number, ReceiptIds.Key key, long timestamp, boolean failed, long now) {
        if (tooOld(timestamp, now)) {
            return false;
        }
        Partition p = partitions.get(number);
        if (p == null) {
            return false;
        }
        synchronized (p) {
            Bucket bucket = bucketFor(p, Math.floorDiv(timestamp, bucketMillis) * bucketMillis);
            bucket.ids.add(key);
            if (!failed && !anyFailed(p)) {
                return true;   // the common case: no mark to set or clear, and no String made for one
            }
            String id = failedId(key);
            for (Bucket b : p.buckets) {
                if (b.failed != null) {
                    b.failed.remove(id);
                }
            }
            if (failed) {
                if (bucket.failed == null) {
                    bucket.failed = new HashSet<>();
                }
                bucket.failed.add(id);
            }
        }
        return true;
    }

    /** A tombstone: {@code pushId} has no receipt on {@code number} any more. */
    void remove(int number, ReceiptIds.Key key) {
        Partition p = partitions.get(number);
        if (p == null) {
            return;
        }
        synchronized (p) {
            String id = anyFailed(p) ? failedId(key) : null;
            for (Bucket b : p.buckets) {
                b.ids.remove(key);
                if (id != null && b.failed != null) {
                    b.failed.remove(id);
                }
            }
        }
    }

    /** Whether any held partition number has a receipt of the id. Newest buckets first: repeats are mostly recent. */
    boolean contains(ReceiptIds.Key key) {
        for (Partition p : partitions.values()) {
            synchronized (p) {
                for (int i = p.buckets.size() - 1; i >= 0; i--) {
                    if (p.buckets.get(i).ids.contains(key)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether the latest receipt of the id, on any held partition number, says FAILED. */
    boolean onlyFailed(ReceiptIds.Key key) {
        String id = failedId(key);
        for (Partition p : partitions.values()) {
            synchronized (p) {
                for (Bucket b : p.buckets) {
                    if (b.failed != null && b.failed.contains(id)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Drops every bucket whose end is past the retention at {@code now} (each of its receipts is older than that).
     * Cheap when nothing is due: one look at each number's oldest bucket.
     *
     * @return receipts dropped
     */
    long expire(long now) {
        long cutoff = now - retentionMillis;
        long dropped = 0;
        for (Partition p : partitions.values()) {
            synchronized (p) {
                while (!p.buckets.isEmpty() && p.buckets.get(0).start + bucketMillis <= cutoff) {
                    dropped += p.buckets.remove(0).ids.size();
                }
            }
        }
        return dropped;
    }

    /** Receipts held, over every number. */
    long size() {
        long size = 0;
        for (Partition p : partitions.values()) {
            synchronized (p) {
                size += count(p);
            }
        }
        return size;
    }

    /** Receipts held of {@code numbers}. */
    long size(Set<Integer> numbers) {
        long size = 0;
        for (Integer number : numbers) {
            Partition p = partitions.get(number);
            if (p != null) {
                synchronized (p) {
                    size += count(p);
                }
            }
        }
        return size;
    }

    /** Heap bytes of the held ids (tables exact, Strings estimated), over every number. */
    long bytes() {
        long bytes = 0;
        for (Partition p : partitions.values()) {
            synchronized (p) {
                for (Bucket b : p.buckets) {
                    bytes += 32 + b.ids.bytes() + (b.failed == null ? 0 : 48 + ReceiptIds.BYTES_PER_OTHER * b.failed.size());
                }
            }
        }
        return bytes;
    }

    /** The bucket starts of {@code number}, oldest first; for tests and logs. */
    List<Long> bucketStarts(int number) {
        Partition p = partitions.get(number);
        if (p == null) {
            return List.of();
        }
        synchronized (p) {
            return p.buckets.stream().map(b -> b.start).toList();
        }
    }

    @Override
    public String toString() {
        return "ReceiptBuckets[" + size() + " receipts of partitions " + new TreeSet<>(partitions.keySet()) + "]";
    }

    private static long count(Partition p) {
        long n = 0;
        for (Bucket b : p.buckets) {
            n += b.ids.size();
        }
        return n;
    }

    private static boolean anyFailed(Partition p) {
        for (Bucket b : p.buckets) {
            if (b.failed != null && !b.failed.isEmpty()) {
                return true;
            }
        }
        return false;
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
    private static Bucket bucketFor(Partition p, long start) {
        List<Bucket> buckets = p.buckets;
        int i = buckets.size() - 1;
        while (i >= 0 && buckets.get(i).start > start) {
            i--;
        }
        if (i >= 0 && buckets.get(i).start == start) {
            return buckets.get(i);
        }
        Bucket made = new Bucket(start);
        buckets.add(i + 1, made);
        if (i + 1 == buckets.size() - 1 && i >= 0) {
            buckets.get(i).ids.trim();
        }
        return made;
    }
}
