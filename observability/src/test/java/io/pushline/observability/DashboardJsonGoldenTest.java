package io.pushline.observability;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.push.PushMetrics;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.WorkerMetrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON of {@code GET /api/dashboard}, byte for byte, for a fixed set of meters read three times: every section of a
 * sample, NaN and infinite gauges, whole and fractional numbers, numbers past 1e7 and 1e15 (Java's exponent notation),
 * negative ones, and strings that need escaping. The expected text ({@code dashboard-golden.json}) was written by the
 * hand-written JSON writer this module had before it wrote with Jackson; the page (dashboard.js) reads this shape.
 */
class DashboardJsonGoldenTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    /** Every character the old writer escaped, and some it did not. */
    static final String AWKWARD = "a\"b\\c</script>&'/\n\t\r\b\f\u0001\u001f\u007f\u2028\u2029é\uD83D\uDE00>";

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void theJsonIsTheOneThePageReads() throws IOException {
        AtomicReference<Double> expanded = new AtomicReference<>(100.0);
        AtomicReference<Double> lagSeconds = new AtomicReference<>(2.5);
        FunctionCounter.builder(TopologyMetrics.DEVICES_EXPANDED, expanded, AtomicReference::get).register(registry);
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(5);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "apns", "outcome", "delivered").increment(10);
        registry.counter(CoordinatorMetrics.TRANSITIONS, "flow", "like", "kind", "STARTED").increment(2e15);
        registry.counter(TopologyMetrics.JOBS_STARTED).increment(12_345_678.25);

        lag("pushline-workers-bulk", "pushline.push.bulk", 0, () -> 100, lagSeconds::get);
        lag("pushline-workers-bulk", "pushline.push.bulk", 1, () -> 50.0004, () -> 7.0);
        lag("pushline-workers-bulk", "pushline.push.bulk", 2, () -> Double.NaN, () -> Double.NaN);
        lag("pushline-workers-high", "pushline.push.high", 0, () -> 0, () -> 0.0005);
        lag("pushline-coordinators", "pushline.events", 0, () -> Double.NaN, () -> Double.POSITIVE_INFINITY);
        lag(AWKWARD, AWKWARD, 0, () -> 1e20, () -> -0.0004);

        Gauge.builder(WorkerMetrics.IN_FLIGHT, () -> 12).tag("lane", "bulk").register(registry);
        Gauge.builder(WorkerMetrics.PAUSED_PARTITIONS, () -> 2).tag("lane", "bulk").register(registry);
        Gauge.builder(WorkerMetrics.RETRIES_WAITING, () -> 1.0 / 3).tag("lane", "bulk").register(registry);
        Gauge.builder(WorkerMetrics.IN_FLIGHT, () -> 1).tag("lane", "high").register(registry);
        Gauge.builder(WorkerMetrics.IN_FLIGHT, () -> Double.NEGATIVE_INFINITY).register(registry);

        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        CircuitBreaker apns = breakers.circuitBreaker("apns-bulk");
        breakers.circuitBreaker("fcm-high");
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
        apns.transitionToOpenState();

        Gauge.builder(PushMetrics.IN_FLIGHT, () -> 7).tag(PushMetrics.TAG_PLATFORM, "apns").register(registry);
        Gauge.builder(PushMetrics.QUEUED, () -> 2.75).tag(PushMetrics.TAG_PLATFORM, "apns").register(registry);
        Gauge.builder(PushMetrics.IN_FLIGHT, () -> 3).tag(PushMetrics.TAG_PLATFORM, "fcm").register(registry);
        Gauge.builder(WorkerMetrics.BULK_LIMIT, () -> 64).register(registry);
        Gauge.builder(ProcessMetrics.EXPANSION_HELD, () -> 1).register(registry);
        Gauge.builder(ProcessMetrics.EXPANSION_BACKLOG, () -> 123_456_789.125).register(registry);

        List<Gauge> partition1 = job("event-1", "author-1", 1, 800, 700, 900, 4);
        job("event-1", "author-1", 0, 1000, 500, 600, 10.5);
        job("event-2", "author-2", 0, Double.NaN, 0, 0, Double.NaN);
        job(AWKWARD, AWKWARD, 3, 1e16, 1e15, 999_999_999_999_999.9, Double.POSITIVE_INFINITY);

        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 3).tags("flow", "like", "state", "RUNNING").register(registry);
        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 1).tags("flow", "like", "state", "WAITING").register(registry);
        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 2).tags("flow", "follow", "state", "RUNNING").register(registry);
        Gauge.builder(CoordinatorMetrics.PARKED, () -> 5).register(registry);

        DashboardSampler sampler = new DashboardSampler(registry, 600, Clock.fixed(T0, ZoneOffset.UTC));
        sampler.sample(T0);

        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(3);
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "follow-created").increment(1);
        expanded.set(500.0);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "apns", "outcome", "delivered").increment(300);
        registry.counter(WorkerMetrics.PUSHES, "lane", "high", "platform", "fcm", "outcome", "rejected").increment(4);
        registry.counter(WorkerMetrics.PUSHES, "lane", "high", "platform", "fcm", "outcome", "unregistered").increment(1);
        registry.counter(WorkerMetrics.PUSHES, "lane", AWKWARD, "platform", "fcm", "outcome", AWKWARD).increment(1);
        registry.counter(TopologyMetrics.DEAD_LETTERS, "reason", "MALFORMED_JSON").increment(2);
        registry.counter(WorkerMetrics.DEAD_LETTERS, "lane", "bulk", "reason", "MALFORMED_JSON").increment(2);
        registry.counter(WorkerMetrics.DEAD_LETTERS, "lane", "high", "reason", AWKWARD).increment(1);
        registry.counter(WorkerMetrics.RETRIES, "lane", "bulk", "platform", "apns").increment(6);
        registry.counter(WorkerMetrics.DEDUPLICATED, "lane", "bulk").increment(8);
        registry.counter(TopologyMetrics.JOBS_EXPANDED).increment(2);
        registry.counter(CoordinatorMetrics.STARTED, "flow", "like").increment(4);
        registry.counter(CoordinatorMetrics.STARTED, "flow", AWKWARD).increment(1);
        registry.counter(CoordinatorMetrics.TRANSITIONS, "flow", "like", "kind", "STARTED").increment(10);
        sampler.sample(T0.plusSeconds(3));

        partition1.forEach(registry::remove);   // partition 1 of event-1 finished
        expanded.set(Double.NaN);
        lagSeconds.set(Double.NaN);
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(1);
        sampler.sample(T0.plusMillis(3750));

        String body = DashboardJson.page(T0.plusSeconds(4), 600, sampler.samples());
        assertThat(body).isEqualTo(golden("dashboard-golden.json"));
    }

    @Test
    void noSamplesIsAnEmptyList() {
        assertThat(DashboardJson.page(T0, 3, List.of()))
                .isEqualTo("{\"now\":" + T0.toEpochMilli() + ",\"intervalMs\":1000,\"capacity\":3,\"samples\":[]}");
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = DashboardJsonGoldenTest.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource " + name).isNotNull();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;   // the file ends with a newline, the body not
        }
    }

    private void lag(String group, String topic, int partition, java.util.function.DoubleSupplier records,
                     java.util.function.DoubleSupplier seconds) {
        Tags tags = Tags.of("group", group, "topic", topic, "partition", Integer.toString(partition));
        Gauge.builder(ProcessMetrics.LAG_RECORDS, records::getAsDouble).tags(tags).register(registry);
        Gauge.builder(ProcessMetrics.LAG_SECONDS, seconds::getAsDouble).tags(tags).register(registry);
    }

    private List<Gauge> job(String eventId, String author, int partition, double followers, double done, double devices,
                            double eta) {
        Tags tags = Tags.of(TopologyMetrics.TAG_JOB, eventId, TopologyMetrics.TAG_AUTHOR, author,
                TopologyMetrics.TAG_PARTITION, Integer.toString(partition));
        return List.of(
                Gauge.builder(TopologyMetrics.JOB_FOLLOWERS, () -> followers).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_FOLLOWERS_DONE, () -> done).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_DEVICES, () -> devices).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_ETA, () -> eta).tags(tags).baseUnit("seconds").register(registry));
    }
}
