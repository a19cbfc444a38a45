package io.pushline.mock;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread-safe record of every push a mock provider accepted.
 *
 * <p>Counts are updated atomically per push; snapshots taken while pushes are being recorded may
 * see a push in one view and not yet in another, but never a partial push in the same view.
 */
public final class PushLedger {

    /** One accepted push: the device token, the push id the client sent, and when it was accepted. */
    public record Accepted(String token, String pushId, Instant acceptedAt) {
        public Accepted {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(pushId, "pushId");
            Objects.requireNonNull(acceptedAt, "acceptedAt");
        }

        @Override
        public String toString() {
            return "Accepted[token=" + maskToken(token) + ", pushId=" + pushId + ", acceptedAt=" + acceptedAt + "]";
        }
    }

    private final ConcurrentLinkedQueue<Accepted> accepted = new ConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<String, Integer> byPushId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> byToken = new ConcurrentHashMap<>();
    private final AtomicLong count = new AtomicLong();

    /** Records one accepted push. A {@code null} push id is recorded as the empty string. */
    public void record(String token, String pushId, Instant acceptedAt) {
        Accepted entry = new Accepted(token, pushId == null ? "" : pushId, acceptedAt);
        accepted.add(entry);
        byPushId.merge(entry.pushId(), 1, Integer::sum);
        byToken.merge(entry.token(), 1, Integer::sum);
        count.incrementAndGet();
    }

    public long acceptedCount() {
        return count.get();
    }

    public long distinctPushIds() {
        return byPushId.size();
    }

    /** Accepted pushes that repeated an already accepted push id: {@code acceptedCount - distinctPushIds}. */
    public long duplicateCount() {
        // Read the distinct count first: a concurrent record can then only make the result larger, never negative.
        long distinct = distinctPushIds();
        return Math.max(0, acceptedCount() - distinct);
    }

    public Map<String, Integer> countsByPushId() {
        return Map.copyOf(new HashMap<>(byPushId));
    }

    public Map<String, Integer> countsByToken() {
        return Map.copyOf(new HashMap<>(byToken));
    }

    public List<Accepted> accepted() {
        return List.copyOf(new ArrayList<>(accepted));
    }

    /** Forgets everything recorded so far. Not atomic with respect to concurrent {@link #record}s. */
    public void clear() {
        accepted.clear();
        byPushId.clear();
        byToken.clear();
        count.set(0);
    }

    @Override
    public String toString() {
        return "PushLedger[accepted=" + acceptedCount() + ", distinctPushIds=" + distinctPushIds() + "]";
    }

    static String maskToken(String token) {
        if (token == null) {
            return "null";
        }
        return token.length() >= 16 ? token.substring(0, 6) + "…" + token.substring(token.length() - 4) : "***";
    }
}
