package io.pushline.loadtests.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes the two files every benchmark run leaves: {@code report.json} (the {@link BenchReport}, machine-readable)
 * and {@code report.html} (the same figures with plots of the {@link Recording}, self-contained: it loads nothing
 * from anywhere, so it can be archived and opened offline).
 *
 * <p>Charts are rendered headless; no display is needed. Stateless and thread-safe.
 */
public final class ReportWriter {
    /** The JSON file's name inside the report directory. */
    static final String JSON_FILE = "report.json";
    /** The HTML file's name inside the report directory. */
    static final String HTML_FILE = "report.html";

    private ReportWriter() {
    }

    /**
     * Writes {@code dir/report.json} (pretty-printed, fields in {@link BenchReport}'s order, numbers as numbers,
     * non-finite numbers as {@code null}) and {@code dir/report.html}, creating {@code dir} if needed and replacing
     * earlier files.
     *
     * @throws IOException if {@code dir} cannot be created or a file cannot be written
     */
    public static void write(Path dir, BenchReport report, Recording recording) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(recording, "recording");
        Files.createDirectories(dir);
        Files.write(dir.resolve(JSON_FILE), ReportJson.toBytes(report));
        Files.writeString(dir.resolve(HTML_FILE), HtmlReport.render(report, recording), StandardCharsets.UTF_8);
    }
}
