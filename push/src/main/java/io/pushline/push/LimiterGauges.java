package io.pushline.push;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * Gauges that show the sum over every live {@link InFlightLimiter} registered under the same name and tags, in one
 * registry. A process has a provider per platform for each lane (and per app with per-app credentials), each with its
 * own limiter: a gauge bound to one limiter, as Micrometer keeps the first registration of an id, showed the first
 * provider's pushes only and hid the others'. A closed provider's limiter is removed ({@link #remove}).
 *
 * <p>Thread-safe.
 */
final class LimiterGauges {
    /** Per registry (weakly: a registry dropped by its owner goes), per gauge id, the limiters it sums. */
    private static final Map<MeterRegistry, Map<String, Set<InFlightLimiter>>> LIVE = new WeakHashMap<>();

    private LimiterGauges() {
    }

    /** Adds {@code limiter} to the gauge {@code name}{@code tags} (registered on first use), read by {@code read}. */
    static void add(MeterRegistry registry, String name, Tags tags, InFlightLimiter limiter, ToIntFunction<InFlightLimiter> read) {
        if (registry == null) {
            return;
        }
        Set<InFlightLimiter> limiters;
        synchronized (LIVE) {
            limiters = LIVE.computeIfAbsent(registry, r -> new ConcurrentHashMap<>())
                    .computeIfAbsent(name + tags, id -> {
                        Set<InFlightLimiter> set = ConcurrentHashMap.newKeySet();
                        Gauge.builder(name, set, s -> s.stream().mapToInt(read).sum()).tags(tags).strongReference(true)
                                .register(registry);
                        return set;
                    });
        }
        limiters.add(limiter);
    }

    /** Removes {@code limiter} from the gauge {@code name}{@code tags}; the gauge stays, showing the others. */
    static void remove(MeterRegistry registry, String name, Tags tags, InFlightLimiter limiter) {
        if (registry == null) {
            return;
        }
        synchronized (LIVE) {
            Map<String, Set<InFlightLimiter>> byId = LIVE.get(registry);
            Set<InFlightLimiter> limiters = byId == null ? null : byId.get(name + tags);
            if (limiters != null) {
                limiters.remove(limiter);
            }
        }
    }
}
