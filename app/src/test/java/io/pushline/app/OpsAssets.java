package io.pushline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The operations assets as tests see them: {@code docker-compose.yml}, {@code ops/prometheus} (scrape config, alert rules
 * and their promtool tests) and {@code ops/grafana} (provisioning and dashboards); where they are, what they contain, and
 * which Prometheus metric names the dashboards and alert rules use.
 *
 * <p>YAML is read with SnakeYAML's safe constructor (it resolves the compose file's anchors and {@code <<} merge keys,
 * which Jackson's YAML parser does not), JSON with Jackson.
 */
final class OpsAssets {
    /** The uid of the provisioned Prometheus datasource every dashboard panel must use. */
    static final String DATASOURCE_UID = "pushline-prometheus";
    /** The compose services that run a Pushline role, each serving {@code /metrics} on {@link #METRICS_PORT}. */
    static final List<String> ROLE_SERVICES = List.of("router", "coordinators", "workers");
    static final int METRICS_PORT = 9400;

    /**
     * Metric names as they appear in expressions: the prefixes of Pushline's meters, of the JVM and process meters bound
     * on every registry ({@code ProcessMetrics}), and of resilience4j's circuit-breaker and rate-limiter meters. Prometheus'
     * own {@code up} is not one of them. Not preceded by a name character, so {@code foo_pushline_x} does not count.
     */
    private static final Pattern METRIC_NAME =
            Pattern.compile("(?<![A-Za-z0-9_:])(?:pushline|jvm|process|system|resilience4j)_[A-Za-z0-9_:]*");
    private static final Pattern UP = Pattern.compile("(?<![A-Za-z0-9_:])up(?![A-Za-z0-9_:])");
    /** PromQL string literals: label values and regexes ({@code "pushline.push.high"}) are not metric names. */
    private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpsAssets() {
    }

    /**
     * The {@code ops/} directory: the first one holding {@code prometheus/prometheus.yml}, walking up from the working
     * directory (Maven runs the app module's tests in {@code app/}, so usually its parent's).
     *
     * @throws IllegalStateException if there is none up to the file system's root
     */
    static Path opsDir() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path ops = dir.resolve("ops");
            if (Files.isRegularFile(ops.resolve("prometheus").resolve("prometheus.yml"))) {
                return ops;
            }
        }
        throw new IllegalStateException("no ops/prometheus/prometheus.yml in " + start + " or any directory above it");
    }

    /** The repository's root: the directory of {@code ops/} and {@code docker-compose.yml}. */
    static Path repoRoot() {
        return opsDir().getParent();
    }

    static Path composeFile() {
        return repoRoot().resolve("docker-compose.yml");
    }

    static Path prometheusConfig() {
        return opsDir().resolve("prometheus").resolve("prometheus.yml");
    }

    static Path alertRulesFile() {
        return opsDir().resolve("prometheus").resolve("alerts.yml");
    }

    static Path alertTestsFile() {
        return opsDir().resolve("prometheus").resolve("alerts-test.yml");
    }

    static Path dashboardsDir() {
        return opsDir().resolve("grafana").resolve("dashboards");
    }

    static Path grafanaProvisioningDir() {
        return opsDir().resolve("grafana").resolve("provisioning");
    }

    /** A YAML document as maps, lists and scalars (anchors and merge keys resolved). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            if (!(doc instanceof Map)) {
                throw new IllegalStateException(file + " is not a YAML mapping");
            }
            return (Map<String, Object>) doc;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Every dashboard ({@code ops/grafana/dashboards/*.json}), by file, in file name order. */
    static Map<Path, JsonNode> dashboards() {
        Map<Path, JsonNode> boards = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dashboardsDir())) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                boards.put(file, JSON.readTree(file.toFile()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboards in " + dashboardsDir(), e);
        }
        return boards;
    }

    /** The panels of a dashboard that show data: every panel but rows, including those nested in (collapsed) rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                panel.path("panels").forEach(panels::add);
            } else {
                panels.add(panel);
            }
        }
        return panels;
    }

    /** The PromQL of every target of every dashboard. */
    static List<String> dashboardExprs() {
        List<String> exprs = new ArrayList<>();
        for (JsonNode board : dashboards().values()) {
            for (JsonNode panel : panels(board)) {
                for (JsonNode target : panel.path("targets")) {
                    exprs.add(target.path("expr").asText(""));
                }
            }
        }
        return exprs;
    }

    /** The alerting rules of {@code alerts.yml}, in file order. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alertRules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Object group : (List<Object>) yaml(alertRulesFile()).getOrDefault("groups", List.of())) {
            for (Object rule : (List<Object>) ((Map<String, Object>) group).getOrDefault("rules", List.of())) {
                rules.add((Map<String, Object>) rule);
            }
        }
        return rules;
    }

    /** The PromQL of every rule in {@code alerts.yml}. */
    static List<String> alertExprs() {
        return alertRules().stream().map(rule -> String.valueOf(rule.get("expr"))).toList();
    }

    /** The metric names one expression uses (string literals left out; {@code up} ignored). */
    static Set<String> metricNames(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC_NAME.matcher(withoutStrings(expr));
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    /** Whether the expression uses Prometheus' own {@code up}. */
    static boolean usesUp(String expr) {
        return UP.matcher(withoutStrings(expr)).find();
    }

    /**
     * Every Prometheus metric name the dashboards' target expressions and the alert rules' expressions use, exactly as a
     * scrape of {@code /metrics} shows it (sample names: {@code _total} for counters, {@code _seconds_count} /
     * {@code _seconds_sum} / {@code _seconds_max} / {@code _seconds_bucket} for timers). Prometheus' {@code up} is left out.
     */
    static Set<String> referencedMetricNames() {
        Set<String> names = new TreeSet<>();
        dashboardExprs().forEach(expr -> names.addAll(metricNames(expr)));
        alertExprs().forEach(expr -> names.addAll(metricNames(expr)));
        return names;
    }

    /**
     * The referenced names a scrape of a healthy run (such as {@code pushline demo}) does not show, with why: their meters
     * are registered on the first event of their kind (a retry record, a dead-lettered push, a misconfiguration
     * rejection, an operator command) or exist only while a fanout job runs. (Push outcomes, retries, token invalidations,
     * dedups and coordinator states are registered at 0 when their component starts.) Every key is one of {@link #referencedMetricNames()} ({@code OpsConfigTest} checks it); a test comparing
     * those with a real scrape should drive these events or leave these names out.
     */
    static Map<String, String> absentFromAHealthyRun() {
        Map<String, String> absent = new LinkedHashMap<>();
        absent.put("pushline_worker_retries_scheduled_total", "registered at the first retry record written, tagged by its delay topic");
        absent.put("pushline_worker_dead_letters_total", "registered at the first dead-lettered push task");
        absent.put("pushline_push_config_rejections_total", "registered at the first misconfiguration rejection");
        absent.put("pushline_coordinators_commands_total", "registered at the first operator command");
        String job = "a gauge per running fanout job and partition, removed when the job ends (a job of one page never has it)";
        absent.put("pushline_expansion_job_followers", job);
        absent.put("pushline_expansion_job_followers_done", job);
        absent.put("pushline_expansion_job_devices", job);
        absent.put("pushline_expansion_job_eta_seconds", job);
        return absent;
    }

    private static String withoutStrings(String expr) {
        return STRING_LITERAL.matcher(expr).replaceAll("\"\"");
    }
}
