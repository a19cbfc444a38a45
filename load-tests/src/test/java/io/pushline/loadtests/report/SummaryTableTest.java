package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SummaryTableTest {

    @Test
    void rendersTheKeyFiguresAlignedWithBaselineAndRatio() {
        BenchReport report = new BenchReport("fanout", Map.of("users", 10), 45_678.2,
                new LatencyMs(1.234, 5.678, 9.012, 12.345), new Baseline("kafka-produce-consume", 120_345.0),
                45_678.2 / 120_345.0, 0, 2, 512.34, 12_300, SyntheticRun.MACHINE, Map.of());

        String text = SummaryTable.render(report);

        String nl = System.lineSeparator();
        assertThat(text).isEqualTo(String.join(nl,
                "scenario    fanout",
                "throughput  45,678 /s",
                "baseline    kafka-produce-consume 120,345 /s",
                "ratio       0.380 (38.0% of baseline)",
                "latency ms  p50 1.234  p99 5.678  p99.9 9.012  max 12.345",
                "lost        0",
                "duplicates  2",
                "peak heap   512.3 MB after GC",
                "elapsed     12.3 s",
                "machine     8 cores, Java 17.0.15 (Eclipse Adoptium), Linux 6.1.0 amd64, max heap 4,096 MB") + nl);
    }

    @Test
    void saysWhenLatencyWasNotMeasuredAndWhenTheRatioIsUndefined() {
        BenchReport report = new BenchReport("limits", Map.of(), 3.5, null, new Baseline("none", 0),
                Double.NaN, 0, 0, 10, 125_000, SyntheticRun.MACHINE, Map.of());

        String text = SummaryTable.render(report);

        assertThat(text).contains("latency ms  not measured", "ratio       n/a" + System.lineSeparator(),
                "throughput  3.50 /s", "elapsed     2 min 05 s");
    }
}
