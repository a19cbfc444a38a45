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

    /**
     * What an accepted push looked like on the wire, for tests of the request mapping: the provider's request headers
     * that matter (APNs: {@code apns-*}; FCM: none) and the JSON body (APNs: the payload; FCM: the {@code message}).
     */
    public record WireRequest(String pushId, Map<String, String> headers, String body) {
        public WireRequest {
            Objects.requireNonNull(pushId, "pushId");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }
    }

    /** How many wire requests are kept (the latest), so that a million-push run does not keep a million bodies. */
    public static final int WIRE_REQUESTS_KEPT = 1024;

    private final ConcurrentLinkedQueue<Accepted> accepted = new ConcurrentLinkedQueue<>();
    private final Map<String, WireRequest> wire = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, WireRequest> eldest) {
            return size() > WIRE_REQUESTS_KEPT;
        }
    };
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

    /** Records one accepted push and its wire request (kept among the latest {@value #WIRE_REQUESTS_KEPT}). */
    public void record(String token, String pushId, Instant acceptedAt, Map<String, String> headers, String body) {
        record(token, pushId, acceptedAt);
        WireRequest request = new WireRequest(pushId == null ? "" : pushId, headers, body);
        synchronized (wire) {
            wire.put(request.pushId(), request);
        }
    }

    /** The wire request of the latest accepted push with this id, if it is among the latest kept. */
    public java.util.Optional<WireRequest> wireRequest(String pushId) {
        synchronized (wire) {
            return java.util.Optional.ofNullable(wire.get(pushId));
        }
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
        synchronized (wire) {
            wire.clear();
        }
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
