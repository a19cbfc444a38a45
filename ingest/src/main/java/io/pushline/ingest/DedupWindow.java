package io.pushline.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The ingest's memory of recent events, keyed by {@code source} + {@code id}: bounded in time (the window) and in size
 * (the oldest are forgotten first). Per process: another ingest process, or this one after a restart, does not know
 * what this one saw; downstream, push ids are derived from {@code ce_id}, so a duplicate that slips through is still
 * pushed once (the workers' receipts), though it is processed again.
 *
 * <p>An entry is claimed before its event is produced and holds the outcome of that send: a second claim of the same
 * key (a concurrent retry, or the same event twice in one batch) waits for the first send instead of producing again.
 * A failed send forgets its key, so that the publisher's retry is produced. A send still in flight is awaited by a
 * later claim even once its entry was forgotten for size or time, so one key is never sent twice at once. Thread-safe;
 * time is the injected nanosecond clock.
 *
 * <p>Compact: an entry is a hash and a time, 24 bytes in three parallel arrays kept as a ring in claim order (which is
 * time order), plus a slot in an open-addressing index (linear probing, deletion by backward shift) of at most twice
 * the ring's size: about 32 to 40 bytes an entry, where a map of strings took about 200. The ring grows by doubling up
 * to {@code maxEntries}, so a quiet ingest holds little. Only sends still awaiting the broker keep an object (their
 * outcome), bounded by the requests in flight. The hash is the first 128 bits of SHA-256 over the key: a publisher
 * cannot make its key collide with another's event and have that one dropped as a duplicate, and a chance collision
 * among 10^8 entries is about 10^-23. A failed send leaves a dead slot in the ring; a full ring with dead slots is
 * compacted (linear in its size) before a live entry is forgotten, so the size bound counts live entries only.
 */
final class DedupWindow {
    /** The outcome of {@link #claim}: produce it ({@code first}), or wait for {@code outcome} of an earlier claim. */
    record Claim(boolean first, CompletableFuture<Void> outcome) {
    }

    /** A key's 128-bit hash, as the in-flight map's key. */
    private record Key(long hi, long lo) {
    }

    /** The outcome a duplicate of an acknowledged event waits for: already complete. Never completed by anyone. */
    private static final CompletableFuture<Void> ACKNOWLEDGED = CompletableFuture.completedFuture(null);
    /** The time of an entry whose send failed: skipped by expiry, never matched. */
    private static final long DEAD = Long.MIN_VALUE;
    private static final int FIRST_CAPACITY = 1024;
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    });

    private final long windowNanos;
    private final int maxEntries;
    private final LongSupplier nanos;
    private final Map<Key, CompletableFuture<Void>> inFlight = new HashMap<>();
    // The ring, in claim order: hash (hi, lo) and claim time of each entry; head is the oldest; used slots may be DEAD.
    private long[] hi = new long[0];
    private long[] lo = new long[0];
    private long[] at = new long[0];
    private int head;
    private int used;
    private int live;
    // The index: ring slot + 1 by hash, 0 for empty; its length is a power of two, at least twice the ring's.
    private int[] index = new int[0];

    DedupWindow(Duration window, int maxEntries, LongSupplier nanos) {
        this.windowNanos = window.toNanos();
        this.maxEntries = maxEntries;
        this.nanos = nanos;
    }

    /** Claims {@code source}+{@code id}: the first claim within the window must produce and complete the outcome. */
    Claim claim(String source, String id) {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        if (windowNanos == 0 || maxEntries == 0) {
            return new Claim(true, outcome);
        }
        Key key = hash(source, id);
        synchronized (this) {
            long now = nanos.getAsLong();
            expire(now);
            CompletableFuture<Void> pending = inFlight.get(key);
            if (pending != null) {
                return new Claim(false, pending);
            }
            if (find(key.hi, key.lo) >= 0) {
                return new Claim(false, ACKNOWLEDGED);
            }
            append(key.hi, key.lo, now);
            inFlight.put(key, outcome);
        }
        outcome.whenComplete((ok, failure) -> settled(key, failure));
        return new Claim(true, outcome);
    }

    /** Ids remembered now. */
    synchronized int size() {
        expire(nanos.getAsLong());
        return live;
    }

    /** The send of {@code key} ended: it is no longer in flight, and a failed one is forgotten, so a retry is produced. */
    private synchronized void settled(Key key, Throwable failure) {
        inFlight.remove(key);
        if (failure != null) {
            int position = find(key.hi, key.lo);
            if (position >= 0) {
                int slot = index[position] - 1;
                removeAt(position);
                at[slot] = DEAD;
                live--;
            }
        }
    }

    private static Key hash(String source, String id) {
        MessageDigest sha = SHA_256.get();
        sha.update(source.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
        byte[] d = sha.digest(id.getBytes(StandardCharsets.UTF_8));
        long h = 0;
        long l = 0;
        for (int i = 0; i < 8; i++) {
            h = h << 8 | (d[i] & 0xff);
            l = l << 8 | (d[i + 8] & 0xff);
        }
        return new Key(h, l);
    }

    private void expire(long now) {
        while (used > 0) {
            long t = at[head];
            if (t != DEAD && now - t < windowNanos) {
                return;   // claim order is time order
            }
            dropHead();
        }
    }

    /** Forgets the oldest entry (alive or dead). */
    private void dropHead() {
        if (at[head] != DEAD) {
            removeAt(find(hi[head], lo[head]));
            live--;
        }
        head = (head + 1) % hi.length;
        used--;
    }

    private void append(long h, long l, long now) {
        if (used == hi.length) {
            if (hi.length < maxEntries) {
                rebuild((int) Math.min(maxEntries, Math.max(FIRST_CAPACITY, 2L * hi.length)));
            } else if (live < used) {
                rebuild(hi.length);   // full of failed sends' slots as well: those go first (rare: only failed sends leave them)
            } else {
                dropHead();   // full: the oldest is forgotten first
            }
        }
        int slot = (head + used) % hi.length;
        hi[slot] = h;
        lo[slot] = l;
        at[slot] = now;
        used++;
        live++;
        int mask = index.length - 1;
        int p = home(h, mask);
        while (index[p] != 0) {
            p = (p + 1) & mask;
        }
        index[p] = slot + 1;
    }

    /** A ring of {@code capacity} with the live entries moved to its front, in order (failed sends' slots dropped), and its index. */
    private void rebuild(int capacity) {
        long[] h = new long[capacity];
        long[] l = new long[capacity];
        long[] t = new long[capacity];
        int kept = 0;
        for (int i = 0; i < used; i++) {
            int from = (head + i) % hi.length;
            if (at[from] != DEAD) {
                h[kept] = hi[from];
                l[kept] = lo[from];
                t[kept] = at[from];
                kept++;
            }
        }
        hi = h;
        lo = l;
        at = t;
        head = 0;
        used = kept;
        index = new int[Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1];
        int mask = index.length - 1;
        for (int i = 0; i < used; i++) {
            int p = home(hi[i], mask);
            while (index[p] != 0) {
                p = (p + 1) & mask;
            }
            index[p] = i + 1;
        }
    }

    /** The index position of the live entry with this hash, or -1. */
    private int find(long h, long l) {
        if (index.length == 0) {
            return -1;
        }
        int mask = index.length - 1;
        for (int p = home(h, mask); index[p] != 0; p = (p + 1) & mask) {
            int slot = index[p] - 1;
            if (hi[slot] == h && lo[slot] == l) {
                return p;
            }
        }
        return -1;
    }

    /** Empties index position {@code p}, shifting back the entries after it that would no longer be found (Knuth's algorithm R). */
    private void removeAt(int p) {
        int mask = index.length - 1;
        int hole = p;
        index[hole] = 0;
        for (int q = (hole + 1) & mask; index[q] != 0; q = (q + 1) & mask) {
            int k = home(hi[index[q] - 1], mask);
            boolean stays = hole <= q ? hole < k && k <= q : hole < k || k <= q;
            if (!stays) {
                index[hole] = index[q];
                index[q] = 0;
                hole = q;
            }
        }
    }

    private static int home(long h, int mask) {
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
