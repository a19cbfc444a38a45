/**
 * What a benchmark run leaves behind: {@code report.json} and a self-contained {@code report.html}
 * ({@link io.pushline.loadtests.report.ReportWriter}), a one-screen text summary
 * ({@link io.pushline.loadtests.report.SummaryTable}) and a progress line while it runs
 * ({@link io.pushline.loadtests.report.ProgressBar}).
 *
 * <p>Every figure comes with a {@link io.pushline.loadtests.report.Baseline} measured in the same run, and
 * {@link io.pushline.loadtests.report.BenchReport#ratio()} relates the two, so a report read on another machine
 * still says how close the pipeline came to what the hardware could do.
 */
package io.pushline.loadtests.report;
