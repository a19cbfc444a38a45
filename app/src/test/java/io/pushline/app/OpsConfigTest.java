package io.pushline.app;

import io.pushline.testkit.RequiredProgram;
import io.pushline.observability.ProcessMetrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.push.GuardedProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushMetrics;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushProvider;
import io.pushline.push.PushRequest;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.WorkerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The operations assets, without a Docker engine or a broker: {@code docker-compose.yml} (validated by docker-compose when
 * installed, and read here: every role, Prometheus scraping each, Grafana provisioned), {@code ops/prometheus} (promtool
 * checks the config and rules and runs the alerts' unit tests, when installed), the Grafana dashboards (well formed, on the
 * provisioned datasource, every query naming metrics Pushline exports) and the alert rules (severity, {@code for},
 * runbook annotations, each tested firing and silent).
 */
class OpsConfigTest {
    private static final Set<String> SEVERITIES = Set.of("critical", "warning");
    private static final Set<String> REQUIRED_ALERTS = Set.of("PushlineLagHigh", "PushlineDeadLettersRate",
            "PushlineCoordinatorsParked", "PushlineProviderErrorRate", "PushlineCircuitOpen", "PushlineTargetDown");
    private static final Set<String> REQUIRED_DASHBOARDS = Set.of("Pushline — lag and throughput",
            "Pushline — push outcomes", "Pushline — coordinators");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How each Pushline meter is registered, which decides its Prometheus sample names. */
    private enum Kind { COUNTER, GAUGE, GAUGE_SECONDS, TIMER, TIMER_HISTOGRAM, SUMMARY }

    /**
     * Pushline's meters by the constant that names them and how the code registers them (read from the registering
     * code). A meter the dashboards or alerts use must be here; its names are then those Micrometer's Prometheus registry
     * gives such a meter.
     */
    private static final Map<String, Kind> PUSHLINE_METERS = Map.ofEntries(
            entry(TopologyMetrics.EVENTS_ROUTED, Kind.COUNTER),
            entry(TopologyMetrics.DEAD_LETTERS, Kind.COUNTER),
            entry(TopologyMetrics.DEVICE_STALE, Kind.COUNTER),
            entry(TopologyMetrics.JOBS_STARTED, Kind.COUNTER),
            entry(TopologyMetrics.JOBS_EXPANDED, Kind.COUNTER),
            entry(TopologyMetrics.DEVICES_EXPANDED, Kind.COUNTER),
            entry(TopologyMetrics.JOBS_CANCELLED, Kind.COUNTER),
            entry(TopologyMetrics.JOBS_REFUSED, Kind.COUNTER),
            entry(TopologyMetrics.BAN_JOBS_STARTED, Kind.COUNTER),
            entry(TopologyMetrics.BAN_JOBS_FINISHED, Kind.COUNTER),
            entry(TopologyMetrics.BAN_JOBS_RUNNING, Kind.GAUGE),
            entry(TopologyMetrics.BANS_REPEATED, Kind.COUNTER),
            entry(TopologyMetrics.REMOVALS_EMITTED, Kind.COUNTER),
            entry(TopologyMetrics.FOLLOW_EDGES_REMOVED, Kind.COUNTER),
            entry(TopologyMetrics.JOB_FOLLOWERS, Kind.GAUGE),
            entry(TopologyMetrics.JOB_FOLLOWERS_DONE, Kind.GAUGE),
            entry(TopologyMetrics.JOB_DEVICES, Kind.GAUGE),
            entry(TopologyMetrics.JOB_ETA, Kind.GAUGE_SECONDS),
            entry(WorkerMetrics.PUSHES, Kind.COUNTER),
            entry(WorkerMetrics.RETRIES, Kind.COUNTER),
            entry(WorkerMetrics.RETRIES_SCHEDULED, Kind.COUNTER),
            entry(WorkerMetrics.RETRIES_WAITING, Kind.GAUGE),
            entry(WorkerMetrics.RETRIES_EXHAUSTED, Kind.COUNTER),
            entry(WorkerMetrics.DEDUPLICATED, Kind.COUNTER),
            entry(WorkerMetrics.DEAD_LETTERS, Kind.COUNTER),
            entry(WorkerMetrics.TOKENS_INVALIDATED, Kind.COUNTER),
            entry(WorkerMetrics.IN_FLIGHT, Kind.GAUGE),
            entry(WorkerMetrics.PAUSED_PARTITIONS, Kind.GAUGE),
            entry(WorkerMetrics.APP_WAIT, Kind.TIMER),
            entry(WorkerMetrics.BACKLOG, Kind.GAUGE),
            entry(WorkerMetrics.BULK_LIMIT, Kind.GAUGE),
            entry(WorkerMetrics.RECEIPTS_HELD, Kind.GAUGE),
            entry(WorkerMetrics.RECEIPTS_RESTORE, Kind.TIMER),
            entry(PushMetrics.OUTCOMES, Kind.COUNTER),
            entry(PushMetrics.REFUSED, Kind.COUNTER),
            entry(PushMetrics.CONFIG_REJECTIONS, Kind.COUNTER),
            entry(PushMetrics.RATE_LIMIT_WAITS, Kind.COUNTER),
            entry(PushMetrics.IN_FLIGHT, Kind.GAUGE),
            entry(PushMetrics.QUEUED, Kind.GAUGE),
            entry(PushMetrics.WEBPUSH_HOST_IN_FLIGHT, Kind.GAUGE),
            entry(PushMetrics.WEBPUSH_HOST_QUEUED, Kind.GAUGE),
            entry(PushMetrics.FCM_BATCH_SIZE, Kind.SUMMARY),
            entry(CoordinatorMetrics.STARTED, Kind.COUNTER),
            entry(CoordinatorMetrics.TRANSITIONS, Kind.COUNTER),
            entry(CoordinatorMetrics.SKIPPED, Kind.COUNTER),
            entry(CoordinatorMetrics.PARKED, Kind.GAUGE),
            entry(CoordinatorMetrics.COMMANDS, Kind.COUNTER),
            entry(CoordinatorMetrics.ACTIVE, Kind.GAUGE),
            entry(CoordinatorMetrics.STEP, Kind.TIMER),
            entry(CoordinatorMetrics.DURATION, Kind.TIMER_HISTOGRAM),
            entry(ProcessMetrics.LAG_RECORDS, Kind.GAUGE),
            entry(ProcessMetrics.LAG_SECONDS, Kind.GAUGE_SECONDS),
            entry(ProcessMetrics.EXPANSION_BACKLOG, Kind.GAUGE),
            entry(ProcessMetrics.EXPANSION_HELD, Kind.GAUGE),
            entry(ProcessMetrics.EXPANSION_BACKLOG_BOUND, Kind.GAUGE),
            entry(TopologyMetrics.APP_PUSHES, Kind.COUNTER));

    /** The JVM's GC pause timer is registered at the first GC notification, so a fresh registry may not show it yet. */
    private static final Set<String> LIBRARY_METERS_ON_FIRST_USE =
            Set.of("jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_sum", "jvm_gc_pause_seconds_max");

    // ------------------------------------------------------------------------------------------------ docker-compose

    @Test
    void composeFileIsValidForDockerCompose() throws Exception {
        List<String> compose = composeCommand();
        RequiredProgram.require(!compose.isEmpty(), "neither docker-compose nor the docker compose plugin is installed "
                + "(apt-get install docker-compose): docker-compose.yml is not validated against the compose schema");
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-f", OpsAssets.composeFile().toString(), "config", "-q"));
        Result result = run(OpsAssets.repoRoot(), command);
        assertThat(result.exit()).as("%s says:%n%s", String.join(" ", command), result.output()).isZero();
    }

    @Test
    void composeRunsEveryRoleOnKafkaWithMetricsOnPort9400() {
        Map<String, Map<String, Object>> services = services();
        assertThat(services).containsKeys("kafka", "prometheus", "grafana");
        for (String role : OpsAssets.ROLE_SERVICES) {
            assertThat(services).as("role service %s", role).containsKey(role);
            Map<String, Object> service = services.get(role);
            assertThat(service.get("build")).as("%s is built from the Dockerfile", role).isNotNull();
            List<String> command = strings(service.get("command"));
            int at = command.indexOf("--role");
            assertThat(at).as("%s's command %s names its role", role, command).isNotNegative();
            assertThat(command.get(at + 1)).as("%s's --role", role).isEqualTo(role);
            Map<String, String> env = environment(service);
            assertThat(env).as("%s's environment", role)
                    .containsEntry("PUSHLINE_HTTP_ADDRESS", "0.0.0.0:" + OpsAssets.METRICS_PORT)
                    .containsEntry("PUSHLINE_BOOTSTRAP_SERVERS", "kafka:9092");
        }
        Set<String> built = new TreeSet<>();
        services.forEach((name, service) -> {
            if (service.get("build") != null) {
                built.add(name);
            }
        });
        assertThat(built).as("services built from the Dockerfile (each must be a scraped role)")
                .containsExactlyInAnyOrderElementsOf(OpsAssets.ROLE_SERVICES);
        assertThat(environment(services.get("workers"))).as("the workers use the in-process mock providers locally")
                .containsEntry("PUSHLINE_MOCK_PROVIDERS", "true");
    }

    @Test
    void composePublishesPortsOnLoopbackOnly() {
        services().forEach((name, service) -> {
            for (String port : strings(service.get("ports"))) {
                assertThat(port).as("%s publishes %s", name, port).startsWith("127.0.0.1:");
            }
        });
        assertThat(strings(services().get("prometheus").get("ports"))).contains("127.0.0.1:9090:9090");
        assertThat(strings(services().get("grafana").get("ports"))).contains("127.0.0.1:3000:3000");
    }

    @Test
    void prometheusScrapesEveryRoleServiceWithItsRoleLabelAndLoadsTheAlerts() {
        Map<String, Object> prometheus = services().get("prometheus");
        assertThat(String.valueOf(prometheus.get("image"))).startsWith("prom/prometheus");
        List<String> command = strings(prometheus.get("command"));
        String configFlag = command.stream().filter(a -> a.startsWith("--config.file=")).findFirst()
                .orElseThrow(() -> new AssertionError("prometheus' command has no --config.file: " + command));
        Path config = hostPath(prometheus, configFlag.substring("--config.file=".length()))
                .orElseThrow(() -> new AssertionError(configFlag + " is not in a volume of the prometheus service"));
        assertThat(config).as("the config Prometheus reads in the container").isEqualTo(OpsAssets.prometheusConfig());
        assertThat(volumes(prometheus)).as("prometheus' volumes").anySatisfy(v -> assertThat(v).endsWith(":ro")
                .startsWith("./ops/prometheus:"));

        Map<String, Object> doc = OpsAssets.yaml(OpsAssets.prometheusConfig());
        List<String> ruleFiles = strings(doc.get("rule_files"));
        assertThat(ruleFiles).as("rule_files").contains("alerts.yml");
        for (String ruleFile : ruleFiles) {
            assertThat(OpsAssets.prometheusConfig().resolveSibling(ruleFile)).as("rule file %s", ruleFile).isRegularFile();
        }
        String globalInterval = String.valueOf(map(doc.get("global")).getOrDefault("scrape_interval", "1m"));
        Map<String, String> roleByTarget = new HashMap<>();
        Map<String, Integer> timesScraped = new HashMap<>();
        for (Object job : list(doc.get("scrape_configs"))) {
            Map<String, Object> scrape = map(job);
            String path = String.valueOf(scrape.getOrDefault("metrics_path", "/metrics"));
            String interval = String.valueOf(scrape.getOrDefault("scrape_interval", globalInterval));
            for (Object staticConfig : list(scrape.get("static_configs"))) {
                Map<String, Object> sc = map(staticConfig);
                Map<String, Object> labels = map(sc.get("labels"));
                for (String target : strings(sc.get("targets"))) {
                    timesScraped.merge(target, 1, Integer::sum);
                    if (labels.get("role") != null) {
                        roleByTarget.put(target, String.valueOf(labels.get("role")));
                        assertThat(path).as("metrics_path of %s", target).isEqualTo("/metrics");
                        assertThat(interval).as("scrape interval of %s", target).isEqualTo("5s");
                    }
                }
            }
        }
        for (String role : OpsAssets.ROLE_SERVICES) {
            String target = role + ":" + OpsAssets.METRICS_PORT;
            assertThat(roleByTarget).as("prometheus.yml scrapes %s with label role=%s", target, role)
                    .containsEntry(target, role);
            assertThat(timesScraped.get(target)).as("times %s is scraped", target).isEqualTo(1);
        }
    }

    @Test
    void grafanaMountsTheProvisioningWithTheDatasourceAndTheDashboards() {
        Map<String, Object> grafana = services().get("grafana");
        assertThat(String.valueOf(grafana.get("image"))).startsWith("grafana/grafana");
        Path provisioning = hostPath(grafana, "/etc/grafana/provisioning")
                .orElseThrow(() -> new AssertionError("grafana does not mount /etc/grafana/provisioning: " + volumes(grafana)));
        assertThat(provisioning).isEqualTo(OpsAssets.grafanaProvisioningDir());
        Map<String, String> env = environment(grafana);
        assertThat(env).containsEntry("GF_AUTH_ANONYMOUS_ENABLED", "true").containsEntry("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer");

        Map<String, Object> datasource = map(list(OpsAssets.yaml(provisioning.resolve("datasources").resolve("prometheus.yml"))
                .get("datasources")).get(0));
        assertThat(datasource).containsEntry("uid", OpsAssets.DATASOURCE_UID).containsEntry("type", "prometheus")
                .containsEntry("url", "http://prometheus:9090");

        Map<String, Object> provider = map(list(OpsAssets.yaml(provisioning.resolve("dashboards").resolve("pushline.yml"))
                .get("providers")).get(0));
        String dashboardsPath = String.valueOf(map(provider.get("options")).get("path"));
        Path dashboards = hostPath(grafana, dashboardsPath)
                .orElseThrow(() -> new AssertionError("the dashboard provider reads " + dashboardsPath
                        + ", which no volume of grafana mounts: " + volumes(grafana)));
        assertThat(dashboards).isEqualTo(OpsAssets.dashboardsDir());
        String home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        if (home != null) {
            assertThat(hostPath(grafana, home)).as("the home dashboard %s", home).hasValueSatisfying(p -> assertThat(p).isRegularFile());
        }
    }

    // ------------------------------------------------------------------------------------------------------ promtool

    @Test
    void promtoolAcceptsTheConfigAndTheRules() throws Exception {
        Path promtool = promtool();
        expectSuccess(List.of(promtool.toString(), "check", "config", OpsAssets.prometheusConfig().toString()));
        expectSuccess(List.of(promtool.toString(), "check", "rules", OpsAssets.alertRulesFile().toString()));
    }

    @Test
    void promtoolUnitTestsOfTheAlertsPass() throws Exception {
        expectSuccess(List.of(promtool().toString(), "test", "rules", OpsAssets.alertTestsFile().toString()));
    }

    /** Every dashboard query, as a recording rule, through promtool's PromQL parser. */
    @Test
    void promtoolParsesEveryDashboardQuery(@TempDir Path dir) throws Exception {
        Path promtool = promtool();
        ObjectNode doc = JSON.createObjectNode();
        ArrayNode rules = doc.putArray("groups").addObject().put("name", "dashboards").putArray("rules");
        List<String> exprs = OpsAssets.dashboardExprs();
        for (int i = 0; i < exprs.size(); i++) {
            rules.addObject().put("record", "dashboard:query:" + i).put("expr", exprs.get(i));
        }
        Path file = dir.resolve("dashboard-queries.yml");   // JSON is YAML
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        expectSuccess(List.of(promtool.toString(), "check", "rules", file.toString()));
    }

    // ---------------------------------------------------------------------------------------------------- dashboards

    @Test
    void dashboardsAreWellFormedAndUseTheProvisionedDatasource() {
        Map<Path, JsonNode> boards = OpsAssets.dashboards();
        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        for (Map.Entry<Path, JsonNode> e : boards.entrySet()) {
            String file = e.getKey().getFileName().toString();
            JsonNode board = e.getValue();
            String uid = board.path("uid").asText("");
            assertThat(uid).as("%s: uid", file).isNotBlank().hasSizeLessThanOrEqualTo(40);
            assertThat(uids.add(uid)).as("%s: uid %s is unique", file, uid).isTrue();
            assertThat(board.path("title").asText("")).as("%s: title", file).isNotBlank();
            titles.add(board.path("title").asText());
            assertThat(board.path("schemaVersion").asInt()).as("%s: schemaVersion", file).isBetween(36, 41);
            assertThat(board.has("id") && !board.get("id").isNull()).as("%s: no fixed numeric id (provisioning assigns it)", file).isFalse();
            List<JsonNode> panels = OpsAssets.panels(board);
            assertThat(panels).as("%s: panels", file).isNotEmpty();
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : panels) {
                String title = file + ": panel \"" + panel.path("title").asText() + "\"";
                assertThat(panel.path("title").asText("")).as("%s: a panel's title", file).isNotBlank();
                assertThat(ids.add(panel.path("id").asInt())).as("%s: id %s is unique", title, panel.path("id")).isTrue();
                assertThat(panel.path("datasource").path("uid").asText()).as("%s: datasource uid", title)
                        .isEqualTo(OpsAssets.DATASOURCE_UID);
                JsonNode grid = panel.path("gridPos");
                assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("%s: fits the 24-column grid", title)
                        .isBetween(1, 24);
                assertThat(panel.path("targets").size()).as("%s: targets", title).isPositive();
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asText("");
                    assertThat(expr).as("%s: target %s has an expr", title, target.path("refId").asText()).isNotBlank();
                    if (target.has("datasource")) {
                        assertThat(target.path("datasource").path("uid").asText()).as("%s: target datasource uid", title)
                                .isEqualTo(OpsAssets.DATASOURCE_UID);
                    }
                }
            }
        }
        assertThat(titles).containsAll(REQUIRED_DASHBOARDS);
    }

    @Test
    void everyExpressionNamesAMetricPushlineExports() throws Exception {
        Set<String> known = knownMetricNames();
        List<String> exprs = new ArrayList<>(OpsAssets.dashboardExprs());
        exprs.addAll(OpsAssets.alertExprs());
        for (String expr : exprs) {
            assertThat(!OpsAssets.metricNames(expr).isEmpty() || OpsAssets.usesUp(expr))
                    .as("names a metric: %s", expr).isTrue();
        }
        Set<String> unknown = new TreeSet<>(OpsAssets.referencedMetricNames());
        unknown.removeAll(known);
        assertThat(unknown).as("metric names in the dashboards or alerts that Pushline does not export (a typo, a renamed "
                + "meter, or a new meter missing from PUSHLINE_METERS)").isEmpty();
    }

    @Test
    void namesAbsentFromAHealthyRunAreReferencedOnes() {
        assertThat(OpsAssets.referencedMetricNames()).containsAll(OpsAssets.absentFromAHealthyRun().keySet());
    }

    @Test
    void referencedMetricNamesAreExactSampleNames() {
        assertThat(OpsAssets.metricNames("sum by (lane) (rate(pushline_worker_pushes_total{topic=\"pushline_not_a_name\"}[1m]))"
                + " / on() group_left max(resilience4j_circuitbreaker_calls_seconds_count) + up{job='pushline'}"))
                .containsExactlyInAnyOrder("pushline_worker_pushes_total", "resilience4j_circuitbreaker_calls_seconds_count");
        assertThat(OpsAssets.referencedMetricNames()).contains("pushline_consumer_lag_seconds",
                "pushline_coordinators_step_seconds_count", "pushline_coordinators_step_seconds_sum",
                "pushline_coordinators_step_seconds_max", "pushline_coordinators_active", "resilience4j_circuitbreaker_state")
                .doesNotContain("up");
    }

    // -------------------------------------------------------------------------------------------------------- alerts

    @Test
    void everyAlertHasSeverityForAndRunbookAnnotations() {
        List<Map<String, Object>> rules = OpsAssets.alertRules();
        assertThat(rules).isNotEmpty();
        for (Map<String, Object> rule : rules) {
            Object alert = rule.get("alert");
            assertThat(alert).as("a rule without `alert` (recording rules belong elsewhere): %s", rule).isNotNull();
            assertThat(String.valueOf(rule.get("expr"))).as("%s: expr", alert).isNotBlank();
            assertThat(rule.get("for")).as("%s: for", alert).isNotNull();
            assertThat(String.valueOf(rule.get("for"))).as("%s: for", alert).matches("\\d+[smhdwy]");
            assertThat(map(rule.get("labels")).get("severity")).as("%s: labels.severity", alert).isIn(SEVERITIES.toArray());
            Map<String, Object> annotations = map(rule.get("annotations"));
            assertThat(String.valueOf(annotations.getOrDefault("summary", ""))).as("%s: summary", alert).isNotBlank();
            assertThat(String.valueOf(annotations.getOrDefault("description", ""))).as("%s: description", alert)
                    .hasSizeGreaterThan(80);
        }
    }

    @Test
    void theAlertsSresNeedExist() {
        List<Map<String, Object>> rules = OpsAssets.alertRules();
        Set<String> names = new TreeSet<>();
        Set<String> lagLanes = new TreeSet<>();
        for (Map<String, Object> rule : rules) {
            names.add(String.valueOf(rule.get("alert")));
            if ("PushlineLagHigh".equals(rule.get("alert"))) {
                lagLanes.add(String.valueOf(map(rule.get("labels")).get("lane")));
            }
        }
        assertThat(names).containsAll(REQUIRED_ALERTS);
        assertThat(lagLanes).as("PushlineLagHigh per lane").containsExactlyInAnyOrder("high", "bulk", "events");
    }

    /** Each alerting rule has a promtool test in which it fires (its labels included) and one in which its alert is silent. */
    @Test
    void everyAlertRuleIsTestedFiringAndSilent() {
        Map<String, Object> tests = OpsAssets.yaml(OpsAssets.alertTestsFile());
        assertThat(strings(tests.get("rule_files"))).as("alerts-test.yml tests alerts.yml").contains("alerts.yml");
        List<Map<String, Object>> ruleTests = new ArrayList<>();
        for (Object test : list(tests.get("tests"))) {
            list(map(test).get("alert_rule_test")).forEach(t -> ruleTests.add(map(t)));
        }
        for (Map<String, Object> rule : OpsAssets.alertRules()) {
            String alert = String.valueOf(rule.get("alert"));
            Map<String, Object> labels = map(rule.get("labels"));
            boolean fires = false;
            boolean silent = false;
            for (Map<String, Object> t : ruleTests) {
                if (!alert.equals(t.get("alertname"))) {
                    continue;
                }
                List<Object> expected = list(t.get("exp_alerts"));
                silent |= expected.isEmpty();
                for (Object exp : expected) {
                    Map<String, Object> expLabels = map(map(exp).get("exp_labels"));
                    fires |= labels.entrySet().stream().allMatch(l -> Objects.equals(String.valueOf(l.getValue()),
                            String.valueOf(expLabels.get(l.getKey()))));
                }
            }
            assertThat(fires).as("alerts-test.yml has a test in which %s %s fires", alert, labels).isTrue();
            assertThat(silent).as("alerts-test.yml has a test in which %s stays silent", alert).isTrue();
        }
    }

    // ------------------------------------------------------------------------------------------------------- helpers

    /**
     * The sample names Pushline exports: its meters ({@link #PUSHLINE_METERS}) registered as the code registers them in
     * a Prometheus registry, the JVM and process meters of {@link ProcessMetrics#newRegistry()} and {@link ProcessMetrics#bindGc}, and resilience4j's meters of
     * a {@link GuardedProvider}, all read back from a scrape.
     */
    private static Set<String> knownMetricNames() {
        Set<String> names = new TreeSet<>(LIBRARY_METERS_ON_FIRST_USE);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PUSHLINE_METERS.forEach((name, kind) -> {
            switch (kind) {
                case COUNTER -> Counter.builder(name).register(registry).increment();
                case GAUGE -> Gauge.builder(name, () -> 1).register(registry);
                case GAUGE_SECONDS -> Gauge.builder(name, () -> 1).baseUnit("seconds").register(registry);
                case TIMER -> Timer.builder(name).register(registry).record(Duration.ofMillis(5));
                case TIMER_HISTOGRAM -> Timer.builder(name).serviceLevelObjectives(Duration.ofMillis(50)).register(registry)
                        .record(Duration.ofMillis(5));
                case SUMMARY -> DistributionSummary.builder(name).register(registry).record(5);
            }
        });
        names.addAll(sampleNames(registry.scrape()));
        PrometheusMeterRegistry app = ProcessMetrics.newRegistry();
        try (io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gc = ProcessMetrics.bindGc(app);
             GuardedProvider guarded = GuardedProvider.builder(new UnusedProvider()).name("apns-test").meterRegistry(app).build()) {
            names.addAll(sampleNames(app.scrape()));
        }
        app.close();
        return names;
    }

    private static Set<String> sampleNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = line.length();
            for (char stop : new char[] {'{', ' '}) {
                int at = line.indexOf(stop);
                if (at >= 0) {
                    end = Math.min(end, at);
                }
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    /** A provider only for registering the guard's meters: nothing is sent through it. */
    private static final class UnusedProvider implements PushProvider {
        @Override
        public Platform platform() {
            return Platform.APNS;
        }

        @Override
        public CompletableFuture<PushOutcome> send(PushRequest request) {
            throw new UnsupportedOperationException("not for sending");
        }

        @Override
        public void close() {
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() {
        Map<String, Map<String, Object>> services = new LinkedHashMap<>();
        map(OpsAssets.yaml(OpsAssets.composeFile()).get("services")).forEach((name, s) -> services.put(name, map(s)));
        return services;
    }

    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        Object raw = service.get("environment");
        if (raw instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
        } else {
            for (String kv : strings(raw)) {
                int eq = kv.indexOf('=');
                env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? null : kv.substring(eq + 1));
            }
        }
        return env;
    }

    private static List<String> volumes(Map<String, Object> service) {
        return strings(service.get("volumes"));
    }

    /** Where a container path of a service lives on the host: under a bind mount ({@code ./host:/container[:mode]}). */
    private static Optional<Path> hostPath(Map<String, Object> service, String containerPath) {
        for (String volume : volumes(service)) {
            String[] parts = volume.split(":");
            if (parts.length < 2 || !parts[0].startsWith(".")) {
                continue;   // a named volume
            }
            String target = parts[1];
            if (containerPath.equals(target) || containerPath.startsWith(target + "/")) {
                Path host = OpsAssets.composeFile().resolveSibling(parts[0]).normalize();
                String rest = containerPath.substring(target.length());
                return Optional.of(rest.isEmpty() ? host : host.resolve(rest.substring(1)));
            }
        }
        return Optional.empty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    private static List<String> strings(Object o) {
        if (o instanceof String s) {
            return List.of(s);
        }
        return list(o).stream().map(String::valueOf).toList();
    }

    private static Path promtool() {
        Optional<Path> promtool = onPath("promtool");
        RequiredProgram.require(promtool.isPresent(), "promtool is not installed (apt-get install prometheus): the Prometheus config, the alert rules, "
                + "their unit tests and the dashboards' PromQL are not checked by promtool");
        return promtool.get();
    }

    /** The compose command: {@code docker-compose}, else {@code docker compose} if the plugin answers; none if neither. */
    private static List<String> composeCommand() throws Exception {
        if (onPath("docker-compose").isPresent()) {
            return List.of(onPath("docker-compose").get().toString());
        }
        Optional<Path> docker = onPath("docker");
        if (docker.isPresent() && run(OpsAssets.repoRoot(), List.of(docker.get().toString(), "compose", "version")).exit() == 0) {
            return List.of(docker.get().toString(), "compose");
        }
        return List.of();
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static void expectSuccess(List<String> command) throws Exception {
        Result result = run(OpsAssets.repoRoot(), command);
        assertThat(result.exit()).as("%s says:%n%s", String.join(" ", command), result.output()).isZero();
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("pushline-ops", ".out");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within 2 minutes:\n" + Files.readString(output));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
