package io.pushline.loadtests.report;

import java.util.Objects;

/**
 * What the same machine does in the same run without Pushline in the way (for instance Kafka producing and
 * consuming the same number of records, or the mock providers called directly): the figure a scenario's
 * throughput is divided by.
 *
 * @param name what was measured, e.g. {@code kafka-produce-consume}
 * @param throughputPerSec units per second, in the scenario's unit
 */
public record Baseline(String name, double throughputPerSec) {

    /** Rejects a null name. */
    public Baseline {
        Objects.requireNonNull(name, "Baseline.name");
    }
}
