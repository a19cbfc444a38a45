package io.pushline.loadtests.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a run samples over time, for the plots of {@code report.html}: completed work, consumer lag per lane and
 * heap, and the end-to-end latency of every push.
 *
 * <p>Thread-safe. {@link #recordLatencyMicros} is wait-free and may be called from any number of threads (the
 * providers' I/O threads); {@link #sample} is meant for one sampler thread; the readers may run at any time and
 * see a consistent snapshot.
 */
public final class Recording {
    /** Three significant digits: 0.1% precision, which is finer than any difference a run can show. */
    private static final int SIGNIFICANT_DIGITS = 3;

    private final Recorder latencyRecorder = new Recorder(SIGNIFICANT_DIGITS);
    private final Object latencyReadLock = new Object();
    private final Histogram latencyTotal = new Histogram(SIGNIFICANT_DIGITS);
    private Histogram latencyRecycle;

    private final List<Sample> samples = new ArrayList<>();
    private double peakHeapAfterGcMb;

    /**
     * One point in time of a run.
     *
     * @param seconds since the measurement started
     * @param completed cumulative completed count (pushes or records)
     * @param lagByLane consumer lag in records per lane name ({@code high}, {@code bulk}, {@code topology}), in
     *     the order sampled; unmodifiable
     * @param heapUsedMb heap in use at the time, in MiB
     * @param heapAfterGcMb heap in use after the last collection, in MiB
     */
    public record Sample(double seconds, long completed, Map<String, Long> lagByLane, double heapUsedMb,
                         double heapAfterGcMb) {

        /** Copies {@code lagByLane}, keeping its order; rejects null lanes and lags. */
        public Sample {
            Objects.requireNonNull(lagByLane, "Sample.lagByLane");
            Map<String, Long> copy = new LinkedHashMap<>();
            lagByLane.forEach((lane, lag) -> copy.put(
                    Objects.requireNonNull(lane, "Sample.lagByLane has a null lane"),
                    Objects.requireNonNull(lag, () -> "Sample.lagByLane has a null lag for lane " + lane)));
            lagByLane = Collections.unmodifiableMap(copy);
        }
    }

    /** An empty recording. */
    public Recording() {
    }

    /**
     * Adds one sample.
     *
     * @param seconds since the measurement started
     * @param completed cumulative completed count (pushes or records)
     * @param lagByLane consumer lag in records per lane name ({@code high}, {@code bulk}, {@code topology}); copied
     * @param heapUsedMb heap in use now, in MiB
     * @param heapAfterGcMb heap in use after the last collection, in MiB
     */
    public void sample(double seconds, long completed, Map<String, Long> lagByLane, double heapUsedMb,
                       double heapAfterGcMb) {
        Sample sample = new Sample(seconds, completed, lagByLane, heapUsedMb, heapAfterGcMb);
        synchronized (samples) {
            samples.add(sample);
            peakHeapAfterGcMb = Math.max(peakHeapAfterGcMb, heapAfterGcMb);
        }
    }

    /**
     * Records the end-to-end latency of one push. Wait-free.
     *
     * @throws IllegalArgumentException if {@code micros} is negative (a clock mix-up in the caller)
     */
    public void recordLatencyMicros(long micros) {
        if (micros < 0) {
            throw new IllegalArgumentException("micros must be >= 0 but was " + micros);
        }
        latencyRecorder.recordValue(micros);
    }

    /** A copy of every latency recorded so far, in microseconds; empty if none was. */
    public Histogram latencyMicros() {
        synchronized (latencyReadLock) {
            latencyRecycle = latencyRecorder.getIntervalHistogram(latencyRecycle);
            latencyTotal.add(latencyRecycle);
            return latencyTotal.copy();
        }
    }

    /** The highest heap after a collection over all samples, in MiB; 0 before the first sample. */
    public double peakHeapAfterGcMb() {
        synchronized (samples) {
            return peakHeapAfterGcMb;
        }
    }

    /** A copy of the samples, in the order they were taken. */
    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }
}
