package io.pushline.loadtests;

import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.LatencyMs;
import io.pushline.loadtests.report.Recording;
import io.pushline.loadtests.report.ReportWriter;
import io.pushline.loadtests.report.SummaryTable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every scenario command does with its figures and its report: rounds them the same way, writes the report and
 * prints its summary table and where it is. Stateless.
 */
final class Reports {
    private Reports() {
    }

    /** One decimal, for rates, milliseconds and megabytes in a report. */
    static double round(double v) {
        return Math.round(v * 10.0) / 10.0;
    }

    /** Three decimals, for ratios and seconds in a report. */
    static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** Percentiles as a figure: p50, p99, p999 and max in ms, or "not measured". */
    static Object latencyFigure(LatencyMs latency) {
        if (latency == null) {
            return "not measured";
        }
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("p50", latency.p50());
        figure.put("p99", latency.p99());
        figure.put("p999", latency.p999());
        figure.put("max", latency.max());
        return figure;
    }

    /** Writes the report into {@code --report DIR}, prints its summary table, then where it is. */
    static void finish(BenchOptions options, BenchReport report, Recording recording) throws IOException {
        writeAndShow(options.report, report, recording);
        printWhere(options.report);
    }

    /** Writes DIR/report.json and DIR/report.html and prints the summary table after a blank line. */
    static void writeAndShow(Path dir, BenchReport report, Recording recording) throws IOException {
        ReportWriter.write(dir, report, recording);
        System.out.println();
        System.out.println(SummaryTable.render(report));
    }

    /** The last line of a run's output: where its report is. */
    static void printWhere(Path dir) {
        System.out.println("  report: " + dir.resolve("report.json") + " and " + dir.resolve("report.html"));
    }
}
