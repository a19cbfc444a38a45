package io.pushline.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads a registry's meters by name, forgiving of what is missing: a counter that does not exist counts as 0, a gauge that
 * does not exist or is NaN is left out of sums and maxima, and a tag a meter lacks reads as {@value #NONE}. Nothing here
 * fails for want of a meter. Stateless apart from the registry; safe from any thread the registry is.
 */
final class MeterValues {
    /** The value of a tag a meter does not have. */
    static final String NONE = "none";

    /** How gauges are combined. */
    enum Aggregate { SUM, MAX }

    private final MeterRegistry registry;

    MeterValues(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The sum of the counters named so over all their tags; 0 if there is none. */
    double count(String name) {
        double sum = 0;
        for (Meter m : registry.find(name).meters()) {
            sum += countOf(m);
        }
        return sum;
    }

    /** The counters named so, summed by the value of {@code tag}, in the order of the tag's values. */
    Map<String, Double> countsBy(String name, String tag) {
        Map<String, Double> by = new TreeMap<>();
        for (Meter m : registry.find(name).meters()) {
            by.merge(tagOf(m, tag), countOf(m), Double::sum);
        }
        return by;
    }

    /** The gauges named so. */
    Collection<Gauge> gauges(String name) {
        return registry.find(name).gauges();
    }

    /** The sum of the gauges named so, skipping NaN; null if there is none or all are NaN. */
    Double sumOfGauges(String name) {
        return aggregate(gauges(name), Aggregate.SUM);
    }

    /** A counter's count; 0 for a NaN one (a function counter whose object is gone) and for a meter of another type. */
    static double countOf(Meter m) {
        double n;
        if (m instanceof Counter c) {
            n = c.count();
        } else if (m instanceof FunctionCounter f) {
            n = f.count();
        } else {
            return 0;
        }
        return Double.isFinite(n) ? n : 0;
    }

    /** The meter's value of {@code tag}, {@value #NONE} if it has none. */
    static String tagOf(Meter m, String tag) {
        String v = m.getId().getTag(tag);
        return v == null ? NONE : v;
    }

    /** The gauges grouped by {@code key}, in the order the keys are first met. */
    static <K> Map<K, List<Gauge>> groupBy(Collection<Gauge> gauges, Function<Gauge, K> key) {
        Map<K, List<Gauge>> by = new LinkedHashMap<>();
        for (Gauge g : gauges) {
            by.computeIfAbsent(key.apply(g), k -> new ArrayList<>()).add(g);
        }
        return by;
    }

    /** The sum or maximum of the gauges' values, skipping NaN; null if there is none or all are NaN. */
    static Double aggregate(Collection<Gauge> gauges, Aggregate how) {
        Double result = null;
        for (Gauge g : gauges) {
            double v = g.value();
            if (Double.isNaN(v)) {
                continue;
            }
            result = result == null ? v : how == Aggregate.SUM ? result + v : Math.max(result, v);
        }
        return result;
    }
}
