package io.pushline.observability;

import io.pushline.testkit.Waits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's samples, driven by hand on a simple registry: rates, absent meters, gauges, the ring bound, NaN. */
class DashboardSamplerTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final DashboardSampler sampler = new DashboardSampler(registry, 600, Clock.fixed(T0, ZoneOffset.UTC));
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void ratesArePerSecondSinceThePreviousSampleSummedOverTags() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(5);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "apns", "outcome", "delivered").increment(10);
        DashboardSampler.Sample first = sampler.sample(T0);
        assertThat(first.intervalSeconds()).isNull();
        assertThat(first.rates().eventsIn()).isZero();
        assertThat(first.totals().eventsIn()).isEqualTo(5);

        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(3);
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "follow-created").increment(1);
        registry.counter(TopologyMetrics.DEVICES_EXPANDED).increment(400);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "apns", "outcome", "delivered").increment(300);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "fcm", "outcome", "delivered").increment(100);
        registry.counter(WorkerMetrics.PUSHES, "lane", "high", "platform", "fcm", "outcome", "rejected").increment(4);
        registry.counter(WorkerMetrics.PUSHES, "lane", "high", "platform", "fcm", "outcome", "unregistered").increment(2);
        registry.counter(TopologyMetrics.DEAD_LETTERS, "reason", "MALFORMED_JSON").increment(2);
        registry.counter(WorkerMetrics.DEAD_LETTERS, "lane", "bulk", "reason", "MALFORMED_JSON").increment(2);
        registry.counter(WorkerMetrics.DEAD_LETTERS, "lane", "high", "reason", "RETRIES_EXHAUSTED").increment(1);
        registry.counter(WorkerMetrics.RETRIES, "lane", "bulk", "platform", "apns").increment(6);
        registry.counter(WorkerMetrics.DEDUPLICATED, "lane", "bulk").increment(8);
        registry.counter(TopologyMetrics.JOBS_STARTED).increment(6);
        registry.counter(TopologyMetrics.JOBS_EXPANDED).increment(2);
        registry.counter(CoordinatorMetrics.STARTED, "flow", "like").increment(4);
        registry.counter(CoordinatorMetrics.STARTED, "flow", "follow").increment(2);
        registry.counter(CoordinatorMetrics.TRANSITIONS, "flow", "like", "kind", "STARTED").increment(10);
        DashboardSampler.Sample second = sampler.sample(T0.plusSeconds(2));

        DashboardSampler.Counts r = second.rates();
        assertThat(second.intervalSeconds()).isEqualTo(2.0);
        assertThat(r.eventsIn()).isEqualTo(2.0);
        assertThat(r.devicesExpanded()).isEqualTo(200.0);
        assertThat(r.pushesByOutcome()).containsEntry("delivered", 200.0).containsEntry("rejected", 2.0)
                .containsEntry("expired", 0.0).containsEntry("failed", 0.0).containsEntry("unregistered", 1.0);
        assertThat(r.pushes()).isEqualTo(203.0);
        assertThat(r.pushesByLane()).containsEntry("bulk", 200.0).containsEntry("high", 3.0);
        assertThat(r.deadLettersByReason()).containsEntry("MALFORMED_JSON", 2.0).containsEntry("RETRIES_EXHAUSTED", 0.5);
        assertThat(r.deadLetters()).isEqualTo(2.5);
        assertThat(r.retries()).isEqualTo(3.0);
        assertThat(r.deduplicated()).isEqualTo(4.0);
        assertThat(r.jobsStarted()).isEqualTo(3.0);
        assertThat(r.jobsFinished()).isEqualTo(1.0);
        assertThat(r.coordinatorsByFlow()).containsEntry("like", 2.0).containsEntry("follow", 1.0);
        assertThat(r.coordinatorsStarted()).isEqualTo(3.0);
        assertThat(r.coordinatorTransitions()).isEqualTo(5.0);
        assertThat(second.totals().pushesByOutcome()).containsEntry("delivered", 410.0);
        assertThat(second.totals().eventsIn()).isEqualTo(9.0);
    }

    @Test
    void absentMetersCountAsZeroAndGaugesAsAbsent() throws Exception {
        sampler.sample(T0);
        DashboardSampler.Sample sample = sampler.sample(T0.plusSeconds(1));
        assertThat(sample.rates().eventsIn()).isZero();
        assertThat(sample.totals().pushesByOutcome()).containsOnlyKeys(DashboardSampler.OUTCOMES)
                .allSatisfy((outcome, n) -> assertThat(n).isZero());
        assertThat(sample.lag()).isEmpty();
        assertThat(sample.workers()).isEmpty();
        assertThat(sample.circuits()).isEmpty();
        assertThat(sample.providers()).isEmpty();
        assertThat(sample.jobs()).isEmpty();
        assertThat(sample.coordinators()).isEmpty();
        assertThat(sample.coordinatorsParked()).isNull();
        assertThat(sample.gate()).isEqualTo(new DashboardSampler.Gate(null, null, null));

        JsonNode body = json.readTree(DashboardSampler.json(T0.plusSeconds(1), 600, sampler.samples()));
        assertThat(body.get("now").asLong()).isEqualTo(T0.plusSeconds(1).toEpochMilli());
        assertThat(body.get("samples")).hasSize(2);
        JsonNode s = body.get("samples").get(1);
        assertThat(s.get("t").asLong()).isEqualTo(T0.plusSeconds(1).toEpochMilli());
        assertThat(s.get("interval").asDouble()).isEqualTo(1.0);
        assertThat(s.get("rates").get("pushesByOutcome").get("delivered").asDouble()).isZero();
        assertThat(s.get("coordinators").get("parked").isNull()).isTrue();
        assertThat(body.get("samples").get(0).get("interval").isNull()).isTrue();
    }

    @Test
    void functionCountersAreCountedAndACounterThatWentDownIsNotANegativeRate() {
        AtomicReference<Double> count = new AtomicReference<>(100.0);
        FunctionCounter.builder(TopologyMetrics.DEVICES_EXPANDED, count, AtomicReference::get).register(registry);
        sampler.sample(T0);
        count.set(150.0);
        assertThat(sampler.sample(T0.plusSeconds(1)).rates().devicesExpanded()).isEqualTo(50.0);
        count.set(10.0);
        assertThat(sampler.sample(T0.plusSeconds(2)).rates().devicesExpanded()).isZero();
        count.set(Double.NaN);
        DashboardSampler.Sample nan = sampler.sample(T0.plusSeconds(3));
        assertThat(nan.totals().devicesExpanded()).isZero();
        assertThat(nan.rates().devicesExpanded()).isZero();
    }

    @Test
    void aSampleNotAfterThePreviousHasNoRates() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        sampler.sample(T0);
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        DashboardSampler.Sample same = sampler.sample(T0);
        assertThat(same.intervalSeconds()).isNull();
        assertThat(same.rates().eventsIn()).isZero();
    }

    @Test
    void lagIsSummedOverPartitionsInRecordsAndTheWorstInSeconds() throws Exception {
        lag("pushline-workers-bulk", "pushline.push.bulk", 0, 100, 2.5);
        lag("pushline-workers-bulk", "pushline.push.bulk", 1, 50, 7.0);
        lag("pushline-workers-bulk", "pushline.push.bulk", 2, Double.NaN, Double.NaN);
        lag("pushline-workers-high", "pushline.push.high", 0, 0, 0);
        DashboardSampler.Sample sample = sampler.sample(T0);
        assertThat(sample.lag()).containsExactly(
                new DashboardSampler.Lag("pushline-workers-bulk", "pushline.push.bulk", 3, 150.0, 7.0),
                new DashboardSampler.Lag("pushline-workers-high", "pushline.push.high", 1, 0.0, 0.0));

        lag("pushline-coordinators", "pushline.events", 0, Double.NaN, Double.NaN);
        JsonNode lag = json.readTree(DashboardSampler.json(T0, 600, List.of(sampler.sample(T0.plusSeconds(1))))).get("samples").get(0).get("lag");
        assertThat(lag).hasSize(3);
        assertThat(lag.get(0).get("group").asText()).isEqualTo("pushline-coordinators");
        assertThat(lag.get(0).get("records").isNull()).as("NaN is null in JSON").isTrue();
        assertThat(lag.get(0).get("seconds").isNull()).isTrue();
        assertThat(lag.get(1).get("records").asDouble()).isEqualTo(150.0);
    }

    private void lag(String group, String topic, int partition, double records, double seconds) {
        Tags tags = Tags.of("group", group, "topic", topic, "partition", Integer.toString(partition));
        Gauge.builder(ProcessMetrics.LAG_RECORDS, () -> records).tags(tags).register(registry);
        Gauge.builder(ProcessMetrics.LAG_SECONDS, () -> seconds).tags(tags).register(registry);
    }

    @Test
    void backPressureCircuitsAndCoordinatorStates() {
        Gauge.builder(WorkerMetrics.IN_FLIGHT, () -> 12).tag("lane", "bulk").register(registry);
        Gauge.builder(WorkerMetrics.PAUSED_PARTITIONS, () -> 2).tag("lane", "bulk").register(registry);
        Gauge.builder(WorkerMetrics.IN_FLIGHT, () -> 1).tag("lane", "high").register(registry);
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        CircuitBreaker apns = breakers.circuitBreaker("apns");
        breakers.circuitBreaker("fcm");
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
        apns.transitionToOpenState();
        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 3).tags("flow", "like", "state", "RUNNING").register(registry);
        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 1).tags("flow", "like", "state", "WAITING").register(registry);
        Gauge.builder(CoordinatorMetrics.ACTIVE, () -> 2).tags("flow", "follow", "state", "RUNNING").register(registry);
        new CoordinatorMetrics(registry);
        Gauge.builder(WorkerMetrics.BULK_LIMIT, () -> 64).register(registry);
        Gauge.builder(PushMetrics.IN_FLIGHT, () -> 7).tag(PushMetrics.TAG_PLATFORM, "apns").register(registry);
        Gauge.builder(PushMetrics.QUEUED, () -> 2).tag(PushMetrics.TAG_PLATFORM, "apns").register(registry);
        Gauge.builder(ProcessMetrics.EXPANSION_HELD, () -> 1).register(registry);

        DashboardSampler.Sample sample = sampler.sample(T0);
        assertThat(sample.workers()).containsExactly(new DashboardSampler.WorkerLane("bulk", 12.0, 2.0, null),
                new DashboardSampler.WorkerLane("high", 1.0, null, null));
        assertThat(sample.circuits()).extracting(DashboardSampler.Circuit::name, DashboardSampler.Circuit::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("apns", "open"), org.assertj.core.groups.Tuple.tuple("fcm", "closed"));
        assertThat(sample.providers()).containsExactly(new DashboardSampler.Provider("apns", 7.0, 2.0));
        assertThat(sample.coordinators()).containsExactly(new DashboardSampler.CoordinatorState("follow", "RUNNING", 2.0),
                new DashboardSampler.CoordinatorState("like", "RUNNING", 3.0), new DashboardSampler.CoordinatorState("like", "WAITING", 1.0));
        assertThat(sample.coordinatorsParked()).isZero();
        assertThat(sample.gate()).isEqualTo(new DashboardSampler.Gate(64.0, 1.0, null));
    }

    @Test
    void fanoutJobsAreSummedOverPartitionsAndAFinishedPartitionCountsAsDone() {
        JobGauge p0 = job("event-1", "author-1", 0, 1000, 500, 600, 10);
        JobGauge p1 = job("event-1", "author-1", 1, 800, 700, 900, 4);
        job("event-2", "author-2", 0, Double.NaN, 0, 0, Double.NaN);
        List<DashboardSampler.Job> jobs = sampler.sample(T0).jobs();
        assertThat(jobs).containsExactly(
                new DashboardSampler.Job("event-1", "author-1", 2, 2, 1800.0, 1200, 1500, 10.0),
                new DashboardSampler.Job("event-2", "author-2", 1, 1, null, 0, 0, null));

        p1.remove();   // partition 1 finished: done counts all its followers, and it no longer sets the ETA
        assertThat(sampler.sample(T0.plusSeconds(1)).jobs().get(0))
                .isEqualTo(new DashboardSampler.Job("event-1", "author-1", 2, 1, 1800.0, 1300, 1500, 10.0));
        p0.remove();
        assertThat(sampler.sample(T0.plusSeconds(2)).jobs()).extracting(DashboardSampler.Job::eventId).containsExactly("event-2");
    }

    private record JobGauge(MeterRegistry registry, List<Gauge> gauges) {
        void remove() {
            gauges.forEach(registry::remove);
        }
    }

    private JobGauge job(String eventId, String author, int partition, double followers, double done, double devices, double eta) {
        Tags tags = Tags.of(TopologyMetrics.TAG_JOB, eventId, TopologyMetrics.TAG_AUTHOR, author,
                TopologyMetrics.TAG_PARTITION, Integer.toString(partition));
        return new JobGauge(registry, List.of(
                Gauge.builder(TopologyMetrics.JOB_FOLLOWERS, () -> followers).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_FOLLOWERS_DONE, () -> done).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_DEVICES, () -> devices).tags(tags).register(registry),
                Gauge.builder(TopologyMetrics.JOB_ETA, () -> eta).tags(tags).baseUnit("seconds").register(registry)));
    }

    @Test
    void theRingBufferKeepsTheNewestAndSinceFilters() {
        DashboardSampler small = new DashboardSampler(registry, 3, Clock.fixed(T0, ZoneOffset.UTC));
        for (int i = 0; i < 5; i++) {
            small.sample(T0.plusSeconds(i));
        }
        assertThat(small.samples()).extracting(DashboardSampler.Sample::at)
                .containsExactly(T0.plusSeconds(2), T0.plusSeconds(3), T0.plusSeconds(4));
        assertThat(small.samplesAfter(T0.plusSeconds(3).toEpochMilli())).extracting(DashboardSampler.Sample::at)
                .containsExactly(T0.plusSeconds(4));
        assertThat(small.samplesAfter(T0.plusSeconds(4).toEpochMilli())).isEmpty();
        assertThat(small.samplesAfter(0)).hasSize(3);
        assertThatThrownBy(() -> new DashboardSampler(registry, 0, Clock.systemUTC())).hasMessageContaining("capacity");
    }

    @Test
    void jsonNumbersAndStringsAreSafe() throws Exception {
        assertThat(DashboardSampler.number(new StringBuilder(), Double.NaN)).hasToString("null");
        assertThat(DashboardSampler.number(new StringBuilder(), Double.POSITIVE_INFINITY)).hasToString("null");
        assertThat(DashboardSampler.number(new StringBuilder(), 3.0)).hasToString("3");
        assertThat(DashboardSampler.number(new StringBuilder(), 2.0 / 3)).hasToString("0.667");
        assertThat(DashboardSampler.number(new StringBuilder(), 1e20)).hasToString("1.0E20");
        String weird = "a\"b\\c</script>\n\u2028";
        Gauge.builder(TopologyMetrics.JOB_DEVICES, () -> 1).tags(TopologyMetrics.TAG_JOB, weird, TopologyMetrics.TAG_AUTHOR, weird,
                TopologyMetrics.TAG_PARTITION, "0").register(registry);
        String body = DashboardSampler.json(T0, 600, List.of(sampler.sample(T0)));
        assertThat(body).doesNotContain("</script>").doesNotContain("\n");
        JsonNode job = json.readTree(body).get("samples").get(0).get("jobs").get(0);
        assertThat(job.get("eventId").asText()).isEqualTo(weird);
        assertThat(job.get("devices").asDouble()).isEqualTo(1.0, within(0.0));
    }

    @Test
    void startedItSamplesOnItsOwnUntilClosed() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment();
        DashboardSampler running = new DashboardSampler(registry, 600, Clock.systemUTC());
        running.start();
        try {
            Waits.until(() -> running.samples().size() >= 2, java.time.Duration.ofSeconds(10),
                    () -> "two samples taken by the sampler's thread (have " + running.samples().size() + ")");
            assertThatThrownBy(running::start).isInstanceOf(IllegalStateException.class);
        } finally {
            running.close();
        }
        List<DashboardSampler.Sample> taken = running.samples();
        assertThat(taken.get(taken.size() - 1).totals().eventsIn()).isEqualTo(1.0);
        assertThat(taken.get(1).at()).isAfter(taken.get(0).at());
    }
}
