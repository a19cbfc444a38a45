package io.pushline.loadtests.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one benchmark run, as written to {@code report.json} (in this field order) and shown in
 * {@code report.html} and {@link SummaryTable}. Immutable: the maps are copied, keeping their iteration order.
 *
 * @param scenario the scenario's name, e.g. {@code fanout}
 * @param params the run's parameters (users, devices, partitions, ...), in the order to show them
 * @param throughputPerSec completed units (pushes or records) per second over the measurement
 * @param latencyMs end-to-end latency of one push; null when the scenario measures none
 * @param baseline what the same machine does in the same run without Pushline in the way
 * @param ratio {@code throughputPerSec / baseline.throughputPerSec()}
 * @param lost units that never completed
 * @param duplicates units completed more than once (counted, not inferred)
 * @param peakHeapMb the highest heap in use after a collection, in MiB
 * @param elapsedMs the measurement's duration
 * @param machine where it ran
 * @param figures scenario-specific extra numbers (for instance each physical limit), in the order to show them
 */
public record BenchReport(String scenario, Map<String, Object> params, double throughputPerSec, LatencyMs latencyMs,
                          Baseline baseline, double ratio, long lost, long duplicates, double peakHeapMb,
                          long elapsedMs, Machine machine, Map<String, Object> figures) {

    /** Rejects null components other than {@code latencyMs}, and null keys in the maps. */
    public BenchReport {
        Objects.requireNonNull(scenario, "BenchReport.scenario");
        Objects.requireNonNull(baseline, "BenchReport.baseline");
        Objects.requireNonNull(machine, "BenchReport.machine");
        params = copy(params, "BenchReport.params");
        figures = copy(figures, "BenchReport.figures");
    }

    private static Map<String, Object> copy(Map<String, Object> map, String name) {
        Objects.requireNonNull(map, name);
        for (String key : map.keySet()) {
            Objects.requireNonNull(key, () -> name + " has a null key");
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
