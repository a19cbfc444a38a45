package io.pushline.loadtests.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The four plots of {@code report.html}, rendered by XChart into PNG bytes. Each returns empty when there is
 * nothing to plot, and the page says so instead.
 */
final class Charts {
    static {
        // Before any AWT class initialises: reports are written on servers and in CI, where there is no display.
        System.setProperty("java.awt.headless", "true");
    }

    /** Pixel size of every chart; the page shows them at this size (or smaller on narrow screens). */
    static final int WIDTH = 1000;
    static final int HEIGHT = 420;

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
    };
    private static final Color BASELINE_COLOR = new Color(0x6e7781);
    private static final BasicStroke SOLID = new BasicStroke(2f);
    private static final BasicStroke THIN = new BasicStroke(1.2f);
    private static final BasicStroke DASHED = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {8f, 5f}, 0f);
    private static final BasicStroke DOTTED = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {2f, 4f}, 0f);

    private Charts() {
    }

    /**
     * Completed units per second between consecutive samples, with the run's average and the baseline as
     * horizontal lines. Empty with fewer than two samples.
     */
    static Optional<byte[]> throughput(List<Recording.Sample> samples, double averagePerSec, Baseline baseline) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (int i = 1; i < samples.size(); i++) {
            Recording.Sample previous = samples.get(i - 1);
            Recording.Sample current = samples.get(i);
            double dt = current.seconds() - previous.seconds();
            if (dt > 0) {
                x.add(current.seconds());
                y.add((current.completed() - previous.completed()) / dt);
            }
        }
        if (x.isEmpty()) {
            return Optional.empty();
        }
        XYChart chart = chart("Throughput over time", "seconds since start", "completed per second");
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        line(chart, "completed/s", x, y, PALETTE[0], SOLID);
        List<Double> span = List.of(x.get(0), x.get(x.size() - 1));
        if (Double.isFinite(averagePerSec)) {
            line(chart, "run average " + Formats.rate(averagePerSec) + "/s", span,
                    List.of(averagePerSec, averagePerSec), PALETTE[0], DOTTED);
        }
        if (Double.isFinite(baseline.throughputPerSec())) {
            line(chart, "baseline " + baseline.name() + " " + Formats.rate(baseline.throughputPerSec()) + "/s", span,
                    List.of(baseline.throughputPerSec(), baseline.throughputPerSec()), BASELINE_COLOR, DASHED);
        }
        chart.getStyler().setYAxisMin(0.0);
        return Optional.of(png(chart));
    }

    /**
     * Latency by percentile, HdrHistogram style: x is {@code log10(1/(1-p))}, the "number of nines" (0 = 0%,
     * 1 = 90%, 2 = 99%, 3 = 99.9%), labelled with the percentile, so the tail gets as much room as the median.
     * (XChart's logarithmic axis ignores custom labels, so the axis is linear over the logarithm.) Empty for an
     * empty histogram.
     */
    static Optional<byte[]> latency(Histogram micros) {
        if (micros.getTotalCount() == 0) {
            return Optional.empty();
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (HistogramIterationValue v : micros.percentiles(5)) {
            double p = v.getPercentileLevelIteratedTo() / 100.0;
            if (p >= 1.0) {
                break;
            }
            x.add(nines(p));
            y.add(v.getValueIteratedTo() / 1000.0);
        }
        // The largest of N values sits at percentile 1 - 1/N.
        double last = x.isEmpty() ? 0.0 : x.get(x.size() - 1);
        double maxX = Math.max(Math.log10(micros.getTotalCount()), last + 0.2);
        x.add(maxX);
        y.add(micros.getMaxValue() / 1000.0);
        if (x.size() == 1) { // one distinct value: draw it as a flat line from 0% to the max
            x.add(0, 0.0);
            y.add(0, y.get(0));
        }
        XYChart chart = chart("End-to-end latency by percentile", "percentile", "milliseconds");
        XYStyler styler = chart.getStyler();
        styler.setXAxisMin(0.0);
        styler.setXAxisMax(Math.max(1.0, maxX));
        styler.setXAxisTickMarkSpacingHint(90);
        styler.setxAxisTickLabelsFormattingFunction(Charts::percentileLabel);
        styler.setYAxisMin(0.0);
        styler.setYAxisDecimalPattern("#,##0.###");
        styler.setLegendVisible(false);
        line(chart, "latency", x, y, PALETTE[0], SOLID);
        return Optional.of(png(chart));
    }

    /** {@code log10(1/(1-p))}: 0 for 0%, 1 for 90%, 2 for 99%, 3 for 99.9%. */
    static double nines(double p) {
        return -Math.log10(1.0 - p);
    }

    /** Consumer lag in records per lane over time, one series per lane. Empty without samples or lanes. */
    static Optional<byte[]> lag(List<Recording.Sample> samples) {
        Map<String, List<Double>> xs = new LinkedHashMap<>();
        Map<String, List<Double>> ys = new LinkedHashMap<>();
        for (Recording.Sample s : samples) {
            s.lagByLane().forEach((lane, lag) -> {
                xs.computeIfAbsent(lane, k -> new ArrayList<>()).add(s.seconds());
                ys.computeIfAbsent(lane, k -> new ArrayList<>()).add((double) lag);
            });
        }
        if (xs.isEmpty()) {
            return Optional.empty();
        }
        XYChart chart = chart("Consumer lag per lane", "seconds since start", "records behind");
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisMin(0.0);
        int i = 0;
        for (String lane : xs.keySet()) {
            line(chart, lane, xs.get(lane), ys.get(lane), PALETTE[i++ % PALETTE.length], SOLID);
        }
        return Optional.of(png(chart));
    }

    /** Heap in use and heap after the last collection over time. Empty without samples. */
    static Optional<byte[]> heap(List<Recording.Sample> samples) {
        if (samples.isEmpty()) {
            return Optional.empty();
        }
        List<Double> x = new ArrayList<>();
        List<Double> used = new ArrayList<>();
        List<Double> afterGc = new ArrayList<>();
        for (Recording.Sample s : samples) {
            x.add(s.seconds());
            used.add(s.heapUsedMb());
            afterGc.add(s.heapAfterGcMb());
        }
        XYChart chart = chart("Heap over time", "seconds since start", "MiB");
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisMin(0.0);
        line(chart, "used", x, used, PALETTE[0], THIN);
        line(chart, "after last GC (live data)", x, afterGc, PALETTE[3], SOLID);
        return Optional.of(png(chart));
    }

    /**
     * A whole number of nines back to its percentile ({@code 0 → 0%}, {@code 1 → 90%}, {@code 3 → 99.9%}); other
     * positions get no label, since {@code 68.377%} helps nobody.
     */
    static String percentileLabel(double nines) {
        long whole = Math.round(nines);
        if (Math.abs(nines - whole) > 1e-6 || whole < 0) {
            return "";
        }
        if (whole == 0) {
            return "0%";
        }
        if (whole == 1) {
            return "90%";
        }
        return "99" + (whole > 2 ? "." + "9".repeat((int) whole - 2) : "") + "%";
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        XYStyler styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotBorderVisible(false);
        styler.setPlotGridLinesColor(new Color(0xe1e4e8));
        styler.setLegendPosition(LegendPosition.OutsideS); // below the plot: never over the data
        styler.setLegendLayout(LegendLayout.Horizontal);
        styler.setLegendBorderColor(new Color(0xd0d7de));
        styler.setLegendBackgroundColor(new Color(255, 255, 255, 220));
        styler.setChartTitleBoxVisible(false);
        styler.setAntiAlias(true);
        styler.setMarkerSize(0);
        return chart;
    }

    private static void line(XYChart chart, String name, List<Double> x, List<Double> y, Color color,
                             BasicStroke stroke) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(color);
        series.setLineStyle(stroke);
    }

    private static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
        } catch (IOException e) {
            // Encoding into memory does not do I/O; a failure here is a bug in the chart, not the disk.
            throw new UncheckedIOException("cannot encode chart '" + chart.getTitle() + "' as PNG", e);
        }
    }
}
