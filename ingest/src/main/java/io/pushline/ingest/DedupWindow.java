package io.pushline.ingest;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
 * A failed send forgets its key, so that the publisher's retry is produced. Thread-safe; time is the injected
 * nanosecond clock.
 */
final class DedupWindow {
    /** The outcome of {@link #claim}: produce it ({@code first}), or wait for {@code outcome} of an earlier claim. */
    record Claim(boolean first, CompletableFuture<Void> outcome) {
    }

    private record Entry(long at, CompletableFuture<Void> outcome) {
    }

    private final long windowNanos;
    private final int maxEntries;
    private final LongSupplier nanos;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    DedupWindow(Duration window, int maxEntries, LongSupplier nanos) {
        this.windowNanos = window.toNanos();
        this.maxEntries = maxEntries;
        this.nanos = nanos;
    }

    /** Claims {@code source}+{@code id}: the first claim within the window must produce and complete the outcome. */
    Claim claim(String source, String id) {
        String key = source + '\n' + id;
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        if (windowNanos == 0 || maxEntries == 0) {
            return new Claim(true, outcome);
        }
        synchronized (this) {
            long now = nanos.getAsLong();
            expire(now);
            Entry seen = entries.get(key);
            if (seen != null) {
                return new Claim(false, seen.outcome);
            }
            Entry entry = new Entry(now, outcome);
            entries.put(key, entry);
            if (entries.size() > maxEntries) {
                Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
                eldest.next();
                eldest.remove();
            }
            // A failed send is forgotten, so the publisher's retry is produced.
            outcome.whenComplete((ok, failure) -> {
                if (failure != null) {
                    synchronized (this) {
                        entries.remove(key, entry);
                    }
                }
            });
            return new Claim(true, outcome);
        }
    }

    /** Ids remembered now. */
    synchronized int size() {
        expire(nanos.getAsLong());
        return entries.size();
    }

    private void expire(long now) {
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            if (now - it.next().at < windowNanos) {
                return;   // insertion order is time order
            }
            it.remove();
        }
    }
}
