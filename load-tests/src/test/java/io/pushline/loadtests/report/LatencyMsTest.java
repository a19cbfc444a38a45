package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyMsTest {

    @Test
    void percentilesOfAUniformSpreadOfMicrosecondsInMilliseconds() {
        Histogram micros = new Histogram(3);
        for (long us = 1; us <= 10_000; us++) { // 1 µs .. 10 ms
            micros.recordValue(us);
        }

        LatencyMs latency = LatencyMs.of(micros);

        // HdrHistogram with three significant digits: each value within 0.1% of the exact one.
        assertThat(latency.p50()).isCloseTo(5.000, withinPercentage(0.1));
        assertThat(latency.p99()).isCloseTo(9.900, withinPercentage(0.1));
        assertThat(latency.p999()).isCloseTo(9.990, withinPercentage(0.1));
        assertThat(latency.max()).isCloseTo(10.000, withinPercentage(0.1));
    }

    @Test
    void tailPercentilesSeeTheRareSlowPushes() {
        Histogram micros = new Histogram(3);
        micros.recordValueWithCount(2_000, 989);  // 2 ms
        micros.recordValueWithCount(40_000, 10);  // 40 ms: 1%
        micros.recordValue(1_500_000);             // 1.5 s: 0.1%

        LatencyMs latency = LatencyMs.of(micros);

        assertThat(latency.p50()).isEqualTo(2.000);
        assertThat(latency.p99()).isCloseTo(40.0, withinPercentage(0.1));
        assertThat(latency.p999()).isCloseTo(40.0, withinPercentage(0.1));
        assertThat(latency.max()).isCloseTo(1500.0, withinPercentage(0.1));
    }

    @Test
    void microsecondResolutionIsThreeDecimalsOfAMillisecond() {
        Histogram micros = new Histogram(3);
        micros.recordValue(1_234);

        LatencyMs latency = LatencyMs.of(micros);

        assertThat(latency).isEqualTo(new LatencyMs(1.234, 1.234, 1.234, 1.234));
        assertThat(Double.toString(latency.p50())).isEqualTo("1.234");
    }

    @Test
    void anEmptyHistogramHasNoPercentiles() {
        assertThat(LatencyMs.of(new Histogram(3))).isNull();
        assertThat(LatencyMs.of(new Recording().latencyMicros())).isNull();
    }

    @Test
    void readsTheRecordingsHistogram() {
        Recording recording = new Recording();
        for (int i = 0; i < 100; i++) {
            recording.recordLatencyMicros(1_000 + i * 10L); // 1.000 .. 1.990 ms
        }

        LatencyMs latency = LatencyMs.of(recording.latencyMicros());

        assertThat(latency.p50()).isCloseTo(1.490, within(0.002));
        assertThat(latency.max()).isCloseTo(1.990, within(0.002));
    }
}
