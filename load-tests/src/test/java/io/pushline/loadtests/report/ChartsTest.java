package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChartsTest {

    @Test
    void percentileAxisLabelsReadAsPercentiles() {
        assertThat(Charts.percentileLabel(0)).isEqualTo("0%");
        assertThat(Charts.percentileLabel(1)).isEqualTo("90%");
        assertThat(Charts.percentileLabel(2)).isEqualTo("99%");
        assertThat(Charts.percentileLabel(3)).isEqualTo("99.9%");
        assertThat(Charts.percentileLabel(5.0000000001)).isEqualTo("99.999%");
        assertThat(Charts.percentileLabel(0.5)).isEmpty();
        assertThat(Charts.percentileLabel(-1)).isEmpty();
    }

    @Test
    void ninesMapPercentilesToTheAxis() {
        assertThat(Charts.nines(0.0)).isZero();
        assertThat(Charts.nines(0.9)).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(Charts.nines(0.999)).isCloseTo(3.0, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void flatAndSingleValueSeriesStillRender() {
        List<Recording.Sample> flat = List.of(
                new Recording.Sample(0, 0, Map.of("bulk", 0L), 10, 10),
                new Recording.Sample(1, 0, Map.of("bulk", 0L), 10, 10));
        Recording one = new Recording();
        one.recordLatencyMicros(700);

        assertThat(Charts.throughput(flat, 0, new Baseline("zero", 0))).isPresent();
        assertThat(Charts.lag(flat)).isPresent();
        assertThat(Charts.heap(flat.subList(0, 1))).isPresent();
        assertThat(Charts.latency(one.latencyMicros())).isPresent();
    }

    @Test
    void nothingToPlotIsEmpty() {
        assertThat(Charts.throughput(List.of(new Recording.Sample(0, 0, Map.of(), 1, 1)), 1, new Baseline("b", 1)))
                .isEmpty();
        assertThat(Charts.lag(List.of(new Recording.Sample(0, 0, Map.of(), 1, 1)))).isEmpty();
        assertThat(Charts.heap(List.of())).isEmpty();
        assertThat(Charts.latency(new Recording().latencyMicros())).isEmpty();
    }
}
