package io.pushline.loadtests.report;

import java.util.ArrayList;
import java.util.List;

/** The text summary printed at the end of a run: one aligned line per key figure, baseline and ratio included. */
public final class SummaryTable {
    private SummaryTable() {
    }

    /**
     * Renders {@code report} as lines of {@code name  value}, names left-aligned to one column, ending with a
     * line separator. For example:
     *
     * <pre>
     * scenario    fanout
     * throughput  45,678 /s
     * baseline    kafka-produce-consume 120,345 /s
     * ratio       0.380 (38.0% of baseline)
     * latency ms  p50 1.234  p99 5.678  p99.9 9.012  max 12.345
     * lost        0
     * duplicates  2
     * peak heap   512.3 MB after GC
     * elapsed     12.3 s
     * machine     8 cores, Java 17.0.15 (Eclipse Adoptium), Linux 6.1.0 amd64, max heap 4,096 MB
     * </pre>
     */
    public static String render(BenchReport report) {
        List<String[]> rows = new ArrayList<>();
        rows.add(row("scenario", report.scenario()));
        rows.add(row("throughput", Formats.rate(report.throughputPerSec()) + " /s"));
        rows.add(row("baseline", report.baseline().name() + " " + Formats.rate(report.baseline().throughputPerSec())
                + " /s"));
        String percent = Formats.percentOf(report.ratio());
        rows.add(row("ratio", Formats.ratio(report.ratio()) + (percent.isEmpty() ? "" : " (" + percent + " of baseline)")));
        LatencyMs latency = report.latencyMs();
        rows.add(row("latency ms", latency == null ? "not measured"
                : "p50 " + Formats.ms(latency.p50()) + "  p99 " + Formats.ms(latency.p99())
                        + "  p99.9 " + Formats.ms(latency.p999()) + "  max " + Formats.ms(latency.max())));
        rows.add(row("lost", Formats.count(report.lost())));
        rows.add(row("duplicates", Formats.count(report.duplicates())));
        rows.add(row("peak heap", Formats.mb(report.peakHeapMb()) + " MB after GC"));
        rows.add(row("elapsed", Formats.duration(report.elapsedMs())));
        rows.add(row("machine", Formats.machine(report.machine())));

        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0) + 2;
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            out.append(r[0]).append(" ".repeat(width - r[0].length())).append(r[1]).append(System.lineSeparator());
        }
        return out.toString();
    }

    private static String[] row(String name, String value) {
        return new String[] {name, value};
    }
}
