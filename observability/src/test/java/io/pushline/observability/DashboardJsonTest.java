package io.pushline.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the dashboard's JSON writes numbers and strings, and the shape of a sample (field names and order) on a view built
 * by hand. The byte-for-byte comparison with the former writer is {@link DashboardJsonGoldenTest}.
 */
class DashboardJsonTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void numbersAreRoundedToThousandthsWholeOnesWithoutAFractionAndNonFiniteOnesNull() {
        assertThat(DashboardJson.write(Double.NaN)).isEqualTo("null");
        assertThat(DashboardJson.write(Double.POSITIVE_INFINITY)).isEqualTo("null");
        assertThat(DashboardJson.write(Double.NEGATIVE_INFINITY)).isEqualTo("null");
        assertThat(DashboardJson.write(3.0)).isEqualTo("3");
        assertThat(DashboardJson.write(-1.0)).isEqualTo("-1");
        assertThat(DashboardJson.write(2.0 / 3)).isEqualTo("0.667");
        assertThat(DashboardJson.write(0.0005)).isEqualTo("0.001");
        assertThat(DashboardJson.write(0.0004)).isEqualTo("0");
        assertThat(DashboardJson.write(-0.0004)).as("never -0").isEqualTo("0");
        assertThat(DashboardJson.write(2.9999)).isEqualTo("3");
        assertThat(DashboardJson.write(12_345_678.25)).as("Java's notation past 1e7").isEqualTo("1.234567825E7");
        assertThat(DashboardJson.write(1e15)).as("unrounded from 1e15 on").isEqualTo("1.0E15");
        assertThat(DashboardJson.write(1e20)).isEqualTo("1.0E20");
        assertThat(DashboardJson.write(1234.5678)).isEqualTo("1234.568");
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("b", 1.5);
        values.put("a", null);
        values.put("c", Double.NaN);
        assertThat(DashboardJson.write(values)).as("map values too, in the map's order").isEqualTo("{\"b\":1.5,\"a\":null,\"c\":null}");
    }

    @Test
    void stringsCannotEndAScriptAndEveryControlCharacterIsEscapedTheSameWay() throws Exception {
        assertThat(DashboardJson.write("a\"b\\c</script>\n\t\u0001\u2028\u2029é/"))
                .isEqualTo("\"a\\\"b\\\\c\\u003c/script>\\u000a\\u0009\\u0001\\u2028\\u2029é/\"");
        assertThat(json.readTree(DashboardJson.write(DashboardJsonGoldenTest.AWKWARD)).asText())
                .isEqualTo(DashboardJsonGoldenTest.AWKWARD);
        assertThat(DashboardJson.write(Map.of("</script>", 1.0))).isEqualTo("{\"\\u003c/script>\":1}");
    }

    @Test
    void aSampleHasTheFieldsThePageReadsInItsOrder() throws Exception {
        DashboardView.Counts counts = new DashboardView.Counts(1, Map.of("MALFORMED_JSON", 2.0), 3, 4, 5,
                Map.of("delivered", 6.0), Map.of("bulk", 6.0), 7, 8, Map.of("like", 9.0), 10);
        DashboardView.Sample sample = new DashboardView.Sample(T0, 1.0, counts, counts,
                List.of(new DashboardView.Lag("g", "t", 1, 2.0, null)), List.of(new DashboardView.WorkerLane("bulk", 1.0, 2.0, 3.0)),
                List.of(new DashboardView.Circuit("apns", "open", 50.0)), List.of(new DashboardView.Provider("apns", 1.0, 0.0)),
                new DashboardView.Gate(64.0, 0.0, null), List.of(new DashboardView.Job("e", "a", 2, 1, null, 3, 4, 5.0)),
                new DashboardView.Coordinators(List.of(new DashboardView.CoordinatorState("like", "RUNNING", 1.0)), 0.0),
                List.of(new DashboardView.App("news.example", 12.5, 0.75, 100, 0.2)));

        JsonNode page = json.readTree(DashboardJson.page(T0.plusSeconds(1), 600, List.of(sample)));
        assertThat(names(page)).containsExactly("now", "intervalMs", "capacity", "samples");
        assertThat(page.get("now").asLong()).isEqualTo(T0.plusSeconds(1).toEpochMilli());
        assertThat(page.get("intervalMs").asLong()).isEqualTo(1000);
        assertThat(page.get("capacity").asInt()).isEqualTo(600);
        JsonNode s = page.get("samples").get(0);
        assertThat(names(s)).containsExactly("t", "interval", "rates", "totals", "lag", "workers", "circuits", "providers",
                "gate", "jobs", "coordinators", "apps");
        assertThat(s.get("t").asLong()).isEqualTo(T0.toEpochMilli());
        assertThat(names(s.get("rates"))).containsExactly("eventsIn", "deadLetters", "deadLettersByReason", "jobsStarted",
                "jobsFinished", "devicesExpanded", "pushes", "pushesByOutcome", "pushesByLane", "retries", "deduplicated",
                "coordinatorsStarted", "coordinatorsStartedByFlow", "coordinatorTransitions");
        assertThat(s.get("rates").get("deadLetters").asInt()).isEqualTo(2);
        assertThat(s.get("rates").get("pushes").asInt()).isEqualTo(6);
        assertThat(s.get("rates").get("coordinatorsStarted").asInt()).isEqualTo(9);
        assertThat(names(s.get("lag").get(0))).containsExactly("group", "topic", "partitions", "records", "seconds");
        assertThat(s.get("lag").get(0).get("seconds").isNull()).isTrue();
        assertThat(names(s.get("workers").get(0))).containsExactly("lane", "inFlight", "pausedPartitions", "retriesWaiting");
        assertThat(names(s.get("circuits").get(0))).containsExactly("name", "state", "failureRate");
        assertThat(names(s.get("providers").get(0))).containsExactly("platform", "inFlight", "queued");
        assertThat(names(s.get("gate"))).containsExactly("bulkLimit", "expansionHeld", "expansionBacklog");
        assertThat(names(s.get("jobs").get(0))).containsExactly("eventId", "author", "partitions", "partitionsRunning",
                "followers", "followersDone", "devices", "etaSeconds");
        assertThat(names(s.get("coordinators"))).containsExactly("states", "parked");
        assertThat(names(s.get("coordinators").get("states").get(0))).containsExactly("flow", "state", "count");
        assertThat(names(s.get("apps").get(0))).containsExactly("app", "pushesPerSec", "share", "pushes", "waitSeconds");
    }

    @Test
    void theOpsServersSmallBodies() {
        assertThat(DashboardJson.write(OpsServer.Health.UP)).isEqualTo("{\"status\":\"UP\"}");
        assertThat(DashboardJson.write(new OpsServer.Health("DOWN", "the topology is <b>REBALANCING</b>")))
                .isEqualTo("{\"status\":\"DOWN\",\"reason\":\"the topology is \\u003cb>REBALANCING\\u003c/b>\"}");
        assertThat(DashboardJson.write(new OpsServer.BadRequest("no"))).isEqualTo("{\"error\":\"no\"}");
    }

    private static List<String> names(JsonNode node) {
        assertThat(node).isNotNull();
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
