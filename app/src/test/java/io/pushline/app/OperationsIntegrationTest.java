package io.pushline.app;

import io.pushline.localstack.SocialGraph;
import io.pushline.testkit.RequiredProgram;
import io.pushline.testkit.Waits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Operations of a running demo, end to end: {@code pushline demo --keep-running} in a child JVM (a real broker, every
 * role, mock providers), then its {@code /metrics} (the pipeline's counters move; every metric the Grafana dashboards and
 * alert rules query is exported) and its live dashboard, loaded in real headless Chromium while the pushes are delivered
 * (skipped when Chromium is not installed). Its output is saved to {@code target/operations-it/demo.log}, and the page's screenshot to
 * {@code target/dashboard.png}; with {@code -Dpushline.updateScreenshot=true} also to {@code docs/dashboard.png}.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsIntegrationTest {
    private static final Pattern DASHBOARD_LINE = Pattern.compile("(?m)^  dashboard: (http://\\S+/)$");
    private static final String VERDICT_OK = "ALL-PUSHES-DELIVERED-ONCE";
    private static final String VERDICT_FAILED = "DELIVERY-FAILED";
    /** Generous: on two cores the demo starts beside the app's fault lanes and the load tests (over 90 s once). */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration BROWSER_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CHROMIUM_RUN_TIMEOUT = Duration.ofSeconds(45);
    private static final Path OUT = Path.of("target", "operations-it");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final int USERS = 800;
    private static final int DEVICES = 2000;
    private static final long SEED = 42;

    private static Process demo;
    private static Path log;
    /** The demo's stderr: its logs, as JSON lines (PUSHLINE_LOG_FORMAT=json). */
    private static Path logs;
    private static Path summary;
    private static URI base;
    /** The first scrape, taken as soon as the dashboard was up, and whether the demo had finished by then. */
    private static Map<String, Double> firstScrape;
    private static boolean firstScrapeBeforeVerdict;

    @BeforeAll
    static void startDemo(@TempDir Path dataDir) throws Exception {
        Files.createDirectories(OUT);
        log = OUT.resolve("demo.log");
        logs = OUT.resolve("demo-logs.jsonl");
        summary = OUT.resolve("summary.json");
        Files.deleteIfExists(summary);
        // The app's own logback.xml (not this module's logback-test.xml, which is on the same class path), as in production.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "-Dlogback.configurationFile=logback.xml"));
        // The build gives every JVM its flags in JAVA_TOOL_OPTIONS, and a JVM started with it prints "Picked up
        // JAVA_TOOL_OPTIONS" on stderr, which here is the JSON log stream under test: the flags go on the command line.
        String toolOptions = System.getenv("JAVA_TOOL_OPTIONS");
        if (toolOptions != null && !toolOptions.isBlank()) {
            command.addAll(List.of(toolOptions.trim().split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), PushlineCommand.class.getName(),
                "demo", "--users", Integer.toString(USERS), "--devices", Integer.toString(DEVICES), "--posts", "2", "--likes", "50",
                "--seed", Long.toString(SEED), "--partitions", "3", "--kafka-port", "0", "--http-address", "127.0.0.1:0",
                "--data-dir", dataDir.toString(), "--timeout", "150s", "--summary-json", summary.toString(), "--keep-running"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(log.toFile()).redirectError(logs.toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().put("PUSHLINE_LOG_FORMAT", "json");
        builder.environment().put("PUSHLINE_LOG_LEVEL", "INFO");
        demo = builder.start();
        Matcher url = awaitInLog(DASHBOARD_LINE, START_TIMEOUT, "the line \"  dashboard: http://HOST:PORT/\"");
        base = URI.create(url.group(1));
        firstScrape = scrape();
        firstScrapeBeforeVerdict = !logText().contains(VERDICT_OK);
    }

    @AfterAll
    static void stopDemo() throws Exception {
        if (demo == null) {
            return;
        }
        List<ProcessHandle> children = demo.descendants().toList();
        demo.destroy();   // its shutdown hook stops the roles and the broker's JVM
        if (!demo.waitFor(30, TimeUnit.SECONDS)) {
            demo.destroyForcibly();
            demo.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
    }

    // ---------------------------------------------------------------- a. the pipeline's counters move

    @Test
    @Order(2)
    void metricsMoveWhileTheDemoRuns() throws Exception {
        String verdict = awaitInLog(Pattern.compile("(?m)^(" + VERDICT_OK + "|" + VERDICT_FAILED + ")$"), RUN_TIMEOUT,
                "the demo's verdict").group(1);
        assertThat(verdict).as("the demo's verdict (its output is in " + log.toAbsolutePath() + ")").isEqualTo(VERDICT_OK);
        // The demo's own summary: every expected push delivered once, the malformed events dead-lettered.
        JsonNode json = JSON.readTree(summary.toFile());
        assertThat(json.get("pushesExpected").asLong()).isPositive();
        assertThat(json.get("pushesDelivered").asLong()).isEqualTo(json.get("pushesExpected").asLong());
        assertThat(json.get("lost").asLong()).isZero();
        assertThat(json.get("duplicates").asLong()).isZero();
        assertThat(json.get("unexpected").asLong()).isZero();
        assertThat(json.get("deadLettered").asLong()).isEqualTo(json.get("malformedPublished").asLong());
        assertThat(json.get("apnsAccepted").asLong()).isPositive();
        assertThat(json.get("fcmAccepted").asLong()).isPositive();
        assertThat(json.get("webpushAccepted").asLong()).isPositive();
        // Users in quiet hours have their timeline pushes held (expected later), users who muted them get none.
        assertThat(json.get("pushesHeld").asLong()).isPositive();
        assertThat(json.get("pushesMuted").asLong()).isPositive();
        // Two apps' timeline posts share the bulk lane; each app's pushes are counted as its own.
        assertThat(json.get("pushesByApp").get("demo.news").asLong()).isPositive();
        assertThat(json.get("pushesByApp").get("demo.social").asLong()).isPositive();
        assertThat(scrapeText().lines().filter(l -> l.startsWith("pushline_expansion_app_pushes_total{") && l.contains("app=\"demo.news\"")))
                .as("per-app pushes in /metrics").isNotEmpty();
        // The third provider is in /metrics beside the other two, so the Grafana panels by platform show it.
        assertThat(scrapeText().lines().filter(l -> l.startsWith("pushline_push_outcomes_total{") && l.contains("platform=\"webpush\"")
                && l.contains("outcome=\"delivered\"")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum())
                .as("web pushes delivered in /metrics").isPositive();

        // The dashboard's sampler sees what /metrics exports: wait until its newest total equals the scrape's.
        AtomicReference<Map<String, Double>> last = new AtomicReference<>();
        AtomicReference<JsonNode> newest = new AtomicReference<>();
        awaitCondition(() -> {
            last.set(scrape());
            newest.set(newestSample());
            return delivered(newest.get()) == last.get().getOrDefault(DELIVERED, 0.0);
        }, Duration.ofSeconds(20), () -> "the dashboard's delivered total (" + delivered(newest.get()) + ") to reach /metrics' "
                + last.get().get(DELIVERED));
        Map<String, Double> second = last.get();
        long newestT = newest.get().get("t").asLong();

        for (String name : List.of("pushline_router_events_total", "pushline_expansion_devices_total", DELIVERED)) {
            double before = firstScrape.getOrDefault(name, 0.0);
            double after = second.getOrDefault(name, 0.0);
            assertThat(after).as(name + " after the demo").isPositive().isGreaterThanOrEqualTo(before);
            if (firstScrapeBeforeVerdict && name.equals(DELIVERED)) {
                assertThat(after).as(name + " moved between a scrape during the run and one after it").isGreaterThan(before);
            }
        }

        // The sampled history shows the work as rates, not only as totals.
        JsonNode samples = dashboard(null).get("samples");
        assertThat(maxOver(samples, s -> s.get("rates").get("eventsIn").asDouble())).as("events in per second").isPositive();
        assertThat(maxOver(samples, s -> s.get("rates").get("devicesExpanded").asDouble())).as("devices expanded per second").isPositive();
        assertThat(maxOver(samples, s -> s.get("rates").get("pushesByOutcome").get("delivered").asDouble()))
                .as("pushes delivered per second").isPositive();
        assertThat(newest.get().get("totals").get("deadLetters").asDouble()).as("the demo's malformed events, dead-lettered").isPositive();

        // Consumer lag is read every few seconds: its gauges appear, one per group, topic and partition.
        awaitCondition(() -> scrapeText().lines().anyMatch(l -> l.startsWith("pushline_consumer_lag_records{")),
                Duration.ofSeconds(20), () -> "pushline_consumer_lag_records gauges in /metrics");
        awaitCondition(() -> newestSample() != null && !newestSample().get("lag").isEmpty(), Duration.ofSeconds(10), () -> "lag in the dashboard's samples");
        // ?since= gives only the samples after it: wait for one (the sampler takes one a second), then ask.
        awaitCondition(() -> newestSample().get("t").asLong() > newestT, Duration.ofSeconds(10), () -> "a sample after " + newestT);
        JsonNode since = dashboard(newestT);
        assertThat(since.get("samples")).as("samples taken after %d", newestT).isNotEmpty().allSatisfy(s -> assertThat(s.get("t").asLong()).isGreaterThan(newestT));
    }

    private static double delivered(JsonNode sample) {
        return sample == null ? Double.NaN : sample.get("totals").get("pushesByOutcome").get("delivered").asDouble();
    }

    private static final String DELIVERED = "pushline_worker_pushes_total{outcome=\"delivered\"}";

    private static double maxOver(JsonNode samples, java.util.function.ToDoubleFunction<JsonNode> value) {
        double max = 0;
        for (JsonNode s : samples) {
            max = Math.max(max, value.applyAsDouble(s));
        }
        return max;
    }

    // ---------------------------------------------------------------- b. what the dashboards query is exported

    @Test
    @Order(3)
    void everyMetricTheGrafanaDashboardsAndAlertsQueryIsExported() {
        Set<String> wanted = new TreeSet<>(OpsAssets.referencedMetricNames());
        assertThat(wanted).as("metric names referenced by ops/grafana and ops/prometheus").isNotEmpty();
        wanted.removeAll(OpsAssets.absentFromAHealthyRun().keySet());
        Set<String> missing = new TreeSet<>();
        try {
            awaitCondition(() -> {
                Set<String> exported = sampleNames(scrapeText());
                missing.clear();
                wanted.stream().filter(n -> !exported.contains(n)).forEach(missing::add);
                return missing.isEmpty();
            }, Duration.ofSeconds(20), () -> "");
        } catch (IllegalStateException timedOut) {
            fail("the Grafana dashboards or alert rules query " + missing.size() + " metric(s) the demo's /metrics does not "
                    + "export: " + missing);
        }
    }

    /** The sample names of a Prometheus text exposition ({@code name{labels} value} or {@code name value}). */
    private static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        exposition.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> {
            int end = 0;
            while (end < l.length() && l.charAt(end) != '{' && l.charAt(end) != ' ') {
                end++;
            }
            names.add(l.substring(0, end));
        });
        return names;
    }

    // ---------------------------------------------------------------- c. structured logs

    /**
     * The demo's logs are JSON lines (PUSHLINE_LOG_FORMAT=json, the app's logback.xml); the dead letters of its
     * malformed events carry their event ids; no device token of the demo's graph appears in its output.
     */
    @Test
    @Order(4)
    void logsAreJsonLinesWithEventIdsAndNoDeviceToken() throws Exception {
        awaitInLog(Pattern.compile("(?m)^" + VERDICT_OK + "$"), RUN_TIMEOUT, "the demo's verdict");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(logs, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                lines.add(JSON.readTree(line));
            } catch (IOException notJson) {
                fail("a log line that is not JSON in " + logs.toAbsolutePath() + ": " + line);
            }
        }
        assertThat(lines).as("log lines at INFO").isNotEmpty();
        assertThat(lines).allSatisfy(l -> assertThat(l.has("level") && l.has("loggerName") && l.has("formattedMessage"))
                .as("level, logger and message in %s", l).isTrue());
        Pattern uuid = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        List<String> deadLetterIds = lines.stream()
                .filter(l -> l.get("loggerName").asText().endsWith("RouterProcessor") && l.get("formattedMessage").asText().startsWith("dead-lettered"))
                .map(l -> l.path("kvpList").findValue("event_id")).map(id -> id == null ? null : id.asText()).toList();
        assertThat(deadLetterIds).as("the five malformed events' dead letters (one has no headers, so no id)").hasSize(5);
        assertThat(deadLetterIds.stream().filter(id -> id != null && uuid.matcher(id).matches())).hasSize(4);

        String everything = Files.readString(logs, StandardCharsets.UTF_8) + logText();
        List<String> leaked = SocialGraph.generate(USERS, DEVICES, 2, SEED).devices.stream().map(SocialGraph.Device::token)
                .filter(java.util.Objects::nonNull)
                .filter(everything::contains).limit(5).toList();
        assertThat(leaked).as("device tokens in the demo's output or logs").isEmpty();
        // Web devices' tokens are derived from their subscriptions' endpoints (capability URLs): neither is shown.
        assertThat(Pattern.compile("wp-[A-Za-z0-9_-]{43}").matcher(everything).find()).as("a web push token in the logs").isFalse();
        assertThat(Pattern.compile("/push/[0-9a-f]{8}-[0-9a-f]{4}-").matcher(everything).find()).as("a web push endpoint in the logs").isFalse();
    }

    // ---------------------------------------------------------------- d. the page in a real browser

    /** First, so that the page (and its screenshot) shows the pushes while they are being delivered. */
    @Test
    @Order(1)
    void theDashboardShowsTheRunInHeadlessChromium() throws Exception {
        Path chromium = chromium();
        RequiredProgram.require(chromium != null, "Chromium not installed (apt-get install chromium); .ci/run installs it");
        awaitCondition(() -> delivered(newestSample()) > 0, RUN_TIMEOUT, () -> "delivered pushes in the dashboard's samples");
        Path page = OUT.resolve("dashboard-dom.html");
        Path console = OUT.resolve("chromium-console.log");
        URI url = base.resolve("/dashboard");

        // The screenshot first, while the pushes are being delivered; what the page shows is checked on its DOM below.
        Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        runChromium(chromium, List.of("--virtual-time-budget=4000", "--hide-scrollbars", "--screenshot=" + screenshot,
                "--window-size=1400,1720", url.toString()), OUT.resolve("chromium-screenshot.out"), OUT.resolve("chromium-screenshot.log"));
        assertThat(screenshot).exists();
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png.length).as("screenshot size in bytes").isGreaterThan(30_000);
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).as("PNG signature").isEqualTo("PNG");

        Map<String, String> state;
        Instant deadline = Instant.now().plus(BROWSER_TIMEOUT);
        while (true) {
            runChromium(chromium, List.of("--virtual-time-budget=4000", "--dump-dom", url.toString()), page, console);
            String dom = Files.readString(page);
            state = bodyData(dom);
            if (Long.parseLong(state.getOrDefault("data-pushes-total", "0")) > 0 && "live".equals(state.get("data-state"))) {
                assertThat(dom).contains("Pushes delivered").doesNotContain("connection lost");
                break;
            }
            if (Instant.now().isAfter(deadline)) {
                fail("the dashboard never showed delivered pushes within " + BROWSER_TIMEOUT + "; its body's data: " + state
                        + "; its DOM is in " + page.toAbsolutePath() + ", the browser's console in " + console.toAbsolutePath());
            }
        }
        assertThat(Long.parseLong(state.get("data-updated"))).as("updates applied").isPositive();
        assertThat(Long.parseLong(state.get("data-samples"))).as("samples held").isPositive();
        assertThat(Long.parseLong(state.get("data-devices-total"))).as("devices expanded").isPositive();
        assertThat(Double.parseDouble(state.get("data-pushes-max-rate"))).as("highest delivery rate").isPositive();
        assertThat(Long.parseLong(state.get("data-lanes"))).as("lag lanes").isPositive();
        assertThat(Long.parseLong(state.get("data-apps"))).as("apps on the bulk lane (the demo's two)").isEqualTo(2);
        assertThat(Long.parseLong(state.get("data-errors"))).as("failed polls").isZero();
        List<String> problems = Stream.concat(Files.readAllLines(console).stream(),
                        Files.readAllLines(OUT.resolve("chromium-screenshot.log")).stream())
                .filter(l -> l.contains(":CONSOLE")).filter(l -> l.contains("Uncaught") || l.contains("Refused to") || l.contains("Failed to load"))
                .toList();
        assertThat(problems).as("script errors or blocked loads in the browser's console").isEmpty();

        if (Boolean.getBoolean("pushline.updateScreenshot")) {
            Path docs = repoRoot().resolve("docs").resolve("dashboard.png");
            Files.createDirectories(docs.getParent());
            Files.copy(screenshot, docs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code chromium}: /usr/bin/chromium, else the first on the PATH; null if there is none. */
    private static Path chromium() {
        Path debian = Path.of("/usr/bin/chromium");
        if (Files.isExecutable(debian)) {
            return debian;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty()).map(d -> Path.of(d, "chromium"))
                .filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** Runs headless Chromium with a fresh profile, bounded in time; its stdout goes to {@code out}, stderr to {@code console}. */
    private static void runChromium(Path chromium, List<String> args, Path out, Path console) throws Exception {
        Path profile = Files.createTempDirectory("pushline-chromium-");
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
        command.addAll(args);
        Process browser = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(console.toFile()).start();
        try {
            if (!browser.waitFor(CHROMIUM_RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                fail("Chromium did not finish within " + CHROMIUM_RUN_TIMEOUT + ": " + String.join(" ", command));
            }
            assertThat(browser.exitValue()).as("Chromium's exit code (its stderr is in " + console.toAbsolutePath() + ")").isZero();
        } finally {
            browser.descendants().forEach(ProcessHandle::destroyForcibly);
            browser.destroyForcibly();
            deleteTree(profile);
        }
    }

    /** The {@code data-*} attributes of the DOM's body. */
    private static Map<String, String> bodyData(String dom) {
        Matcher body = Pattern.compile("<body([^>]*)>").matcher(dom);
        Map<String, String> data = new HashMap<>();
        if (body.find()) {
            Matcher attr = Pattern.compile("(data-[a-z-]+)=\"([^\"]*)\"").matcher(body.group(1));
            while (attr.find()) {
                data.put(attr.group(1), attr.group(2));
            }
        }
        return data;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary profile is harmless
        }
    }

    /** The directory holding {@code mvnw}, walking up from the working directory (Maven runs these tests in {@code app/}). */
    private static Path repoRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("app"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a directory with mvnw and app/) above " + Path.of("").toAbsolutePath());
    }

    // ---------------------------------------------------------------- the child and its endpoints

    private static String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Waits for {@code pattern} in the demo's output; fails at once, with the output, if the demo exited. */
    private static Matcher awaitInLog(Pattern pattern, Duration timeout, String what) {
        Matcher[] found = new Matcher[1];
        awaitCondition(() -> {
            String text;
            try {
                text = logText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Matcher m = pattern.matcher(text);
            if (m.find()) {
                found[0] = m;
                return true;
            }
            return false;
        }, timeout, () -> what + " in the demo's output");
        return found[0];
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what) {
        Waits.until(() -> {
            if (!demo.isAlive()) {
                throw new IllegalStateException("the demo exited with " + demo.exitValue() + "; its output:\n" + tail());
            }
            return condition.getAsBoolean();
        }, timeout, () -> what.get() + "; the demo's output so far:\n" + tail());
    }

    private static String tail() {
        try {
            String text = logText();
            return text.substring(Math.max(0, text.length() - 6000));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private static String get(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String scrapeText() {
        return get("/metrics");
    }

    /**
     * The scrape's sums by sample name, over all labels, plus {@link #DELIVERED}: the worker pushes with
     * {@code outcome="delivered"}, whatever their other labels.
     */
    private static Map<String, Double> scrape() {
        Map<String, Double> sums = new HashMap<>();
        Predicate<String> delivered = l -> l.startsWith("pushline_worker_pushes_total{") && l.contains("outcome=\"delivered\"");
        for (String line : scrapeText().lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            String name = line.substring(0, end);
            int space = line.lastIndexOf(' ');
            double value;
            try {
                value = Double.parseDouble(line.substring(space + 1));
            } catch (NumberFormatException infinity) {   // +Inf and -Inf are Prometheus's, not Java's
                continue;
            }
            if (!Double.isFinite(value)) {
                continue;
            }
            sums.merge(name, value, Double::sum);
            if (delivered.test(line)) {
                sums.merge(DELIVERED, value, Double::sum);
            }
        }
        return sums;
    }

    private static JsonNode dashboard(Long since) {
        try {
            return JSON.readTree(get("/api/dashboard" + (since == null ? "" : "?since=" + since)));
        } catch (IOException e) {
            throw new IllegalStateException("/api/dashboard is not JSON: " + e, e);
        }
    }

    /** The dashboard's newest sample, null before the first. */
    private static JsonNode newestSample() {
        JsonNode samples = dashboard(null).get("samples");
        return samples.isEmpty() ? null : samples.get(samples.size() - 1);
    }
}
