package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    private static final Pattern EMBEDDED_PNG = Pattern.compile("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void jsonHasEveryFieldOfTheReportInOrderWithNumbersAsNumbers() throws IOException {
        Recording recording = SyntheticRun.recording();
        BenchReport report = SyntheticRun.report(recording);

        ReportWriter.write(dir, report, recording);

        JsonNode json = JSON.readTree(dir.resolve("report.json").toFile());
        assertThat(names(json)).containsExactly("scenario", "params", "throughputPerSec", "latencyMs", "baseline",
                "ratio", "lost", "duplicates", "peakHeapMb", "elapsedMs", "machine", "figures");
        assertThat(json.get("scenario").asText()).isEqualTo("fanout");
        assertThat(names(json.get("params"))).containsExactly("users", "devices", "partitions", "seed", "providers");
        assertThat(json.get("params").get("users").isIntegralNumber()).isTrue();
        assertThat(json.get("params").get("users").asLong()).isEqualTo(100_000);
        assertThat(json.get("params").get("providers").asText()).isEqualTo("mock <fast> & \"quiet\"");
        assertThat(json.get("throughputPerSec").isNumber()).isTrue();
        assertThat(json.get("throughputPerSec").asDouble()).isEqualTo(90_123.4);
        assertThat(names(json.get("latencyMs"))).containsExactly("p50", "p99", "p999", "max");
        assertThat(json.get("latencyMs").get("p50").asDouble()).isEqualTo(report.latencyMs().p50());
        assertThat(json.get("latencyMs").get("max").asDouble()).isEqualTo(report.latencyMs().max());
        assertThat(names(json.get("baseline"))).containsExactly("name", "throughputPerSec");
        assertThat(json.get("baseline").get("name").asText()).isEqualTo("kafka-produce-consume");
        assertThat(json.get("baseline").get("throughputPerSec").asDouble()).isEqualTo(180_000.0);
        assertThat(json.get("ratio").asDouble()).isEqualTo(report.ratio());
        assertThat(json.get("lost").isIntegralNumber()).isTrue();
        assertThat(json.get("lost").asLong()).isZero();
        assertThat(json.get("duplicates").asLong()).isEqualTo(3);
        assertThat(json.get("peakHeapMb").asDouble()).isEqualTo(report.peakHeapMb()).isPositive();
        assertThat(json.get("elapsedMs").asLong()).isEqualTo(60_000);
        assertThat(names(json.get("machine"))).containsExactly("cores", "jvmVersion", "jvmVendor", "os", "maxHeapMb");
        assertThat(json.get("machine").get("cores").asInt()).isEqualTo(8);
        assertThat(json.get("machine").get("maxHeapMb").asLong()).isEqualTo(4096);
        assertThat(names(json.get("figures"))).containsExactly("expectedPushes", "apnsLimitPerSec", "fcmLimitPerSec",
                "retries");
        assertThat(json.get("figures").get("apnsLimitPerSec").asDouble()).isEqualTo(210_345.6);
        assertThat(Files.readString(dir.resolve("report.json"))).contains("\n  \"scenario\" : \"fanout\"");
    }

    @Test
    void jsonWritesNoLatencyAndNonFiniteNumbersAsNullAndOddValuesAsText() throws IOException {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("window", Duration.ofSeconds(90));
        figures.put("enabled", true);
        figures.put("perLane", Map.of("high", 3L));
        figures.put("nothing", null);
        BenchReport report = new BenchReport("limits", Map.of(), 10.0, null, new Baseline("none", 0.0),
                Double.NaN, 0, 0, 0.0, 5, SyntheticRun.MACHINE, figures);

        ReportWriter.write(dir, report, new Recording());

        JsonNode json = JSON.readTree(dir.resolve("report.json").toFile());
        assertThat(json.get("latencyMs").isNull()).isTrue();
        assertThat(json.get("ratio").isNull()).isTrue();
        assertThat(json.get("figures").get("window").asText()).isEqualTo("PT1M30S");
        assertThat(json.get("figures").get("enabled").isBoolean()).isTrue();
        assertThat(json.get("figures").get("perLane").get("high").asLong()).isEqualTo(3);
        assertThat(json.get("figures").get("nothing").isNull()).isTrue();
    }

    @Test
    void htmlEmbedsFourDecodablePngChartsAndReferencesNothingOutside() throws IOException {
        Recording recording = SyntheticRun.recording();

        ReportWriter.write(dir, SyntheticRun.report(recording), recording);

        String html = Files.readString(dir.resolve("report.html"));
        List<String> images = embeddedPngs(html);
        assertThat(images).hasSize(4);
        for (String base64 : images) {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
            assertThat(image).isNotNull();
            assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
            assertThat(image.getHeight()).isEqualTo(Charts.HEIGHT);
        }
        assertThat(html).doesNotContain("http://", "https://", "<script", "<link", "@import", "url(");
        assertThat(html).contains("Throughput over time", "End-to-end latency", "Consumer lag per lane", "Heap");
    }

    @Test
    void htmlShowsKeyFiguresParamsAndFiguresEscaped() throws IOException {
        Recording recording = SyntheticRun.recording();
        BenchReport synthetic = SyntheticRun.report(recording);
        Map<String, Object> params = new LinkedHashMap<>(synthetic.params());
        params.put("<script>alert('p')</script>", "x");
        BenchReport report = new BenchReport("fan<out>&'\"", params, synthetic.throughputPerSec(),
                synthetic.latencyMs(), new Baseline("<b>kafka</b>", 180_000.0), synthetic.ratio(), 0, 3,
                synthetic.peakHeapMb(), 60_000, SyntheticRun.MACHINE, synthetic.figures());

        ReportWriter.write(dir, report, recording);

        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).doesNotContain("<script>", "<b>kafka", "fan<out>")
                .contains("fan&lt;out&gt;&amp;&#39;&quot;", "&lt;b&gt;kafka&lt;/b&gt;: 180,000 /s",
                        "&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt;")
                .contains("90,123 /s", "0.501", "50.1% of baseline")
                .contains("mock &lt;fast&gt; &amp; &quot;quiet&quot;", "100,000", "210,345.6")
                .contains("<th>duplicates</th><td class=\"num bad\">3</td>", "<th>lost</th><td class=\"num good\">0</td>")
                .contains(Formats.ms(report.latencyMs().p999()));
    }

    @Test
    void emptyLatencyHistogramGivesANoteInsteadOfThatPlot() throws IOException {
        Recording recording = new Recording();
        recording.sample(0.0, 0, Map.of("topology", 10L), 100, 50);
        recording.sample(1.0, 500, Map.of("topology", 0L), 120, 60);
        BenchReport report = new BenchReport("limits", Map.of(), 500, LatencyMs.of(recording.latencyMicros()),
                new Baseline("disk-write", 1000), 0.5, 0, 0, 60, 1000, SyntheticRun.MACHINE, Map.of());

        ReportWriter.write(dir, report, recording);

        String html = Files.readString(dir.resolve("report.html"));
        assertThat(embeddedPngs(html)).hasSize(3);
        assertThat(html).contains("This scenario records no end-to-end latency.", "not measured");
    }

    @Test
    void aRecordingWithoutSamplesStillGivesAPageWithNotes() throws IOException {
        BenchReport report = new BenchReport("idle", Map.of(), 0, null, new Baseline("none", 1), 0, 0, 0, 0, 0,
                SyntheticRun.MACHINE, Map.of());

        ReportWriter.write(dir.resolve("a/b"), report, new Recording());

        String html = Files.readString(dir.resolve("a/b/report.html"));
        assertThat(embeddedPngs(html)).isEmpty();
        assertThat(html).contains("at least two samples; this run has 0", "No consumer lag was sampled",
                "No heap samples");
        assertThat(dir.resolve("a/b/report.json")).exists();
    }

    private static List<String> embeddedPngs(String html) {
        List<String> found = new ArrayList<>();
        Matcher m = EMBEDDED_PNG.matcher(html);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
