package io.pushline.loadtests.report;

import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * End-to-end latency percentiles in milliseconds, with three decimals (microsecond resolution).
 *
 * @param p50 median
 * @param p99 99th percentile
 * @param p999 99.9th percentile
 * @param max the largest value recorded
 */
public record LatencyMs(double p50, double p99, double p999, double max) {

    /**
     * The percentiles of a histogram of <b>micro</b>seconds. Values are HdrHistogram's: the highest value
     * equivalent to the recorded ones at the histogram's precision.
     *
     * @return the percentiles, or {@code null} if the histogram is empty: a run that measured no latency (the
     *     {@code limits} scenario) has none, and zeros would read as instant delivery
     */
    public static LatencyMs of(Histogram microseconds) {
        Objects.requireNonNull(microseconds, "microseconds");
        if (microseconds.getTotalCount() == 0) {
            return null;
        }
        return new LatencyMs(
                millis(microseconds.getValueAtPercentile(50.0)),
                millis(microseconds.getValueAtPercentile(99.0)),
                millis(microseconds.getValueAtPercentile(99.9)),
                millis(microseconds.getMaxValue()));
    }

    private static double millis(long micros) {
        return micros / 1000.0; // correctly rounded: prints as exactly three decimals
    }
}
