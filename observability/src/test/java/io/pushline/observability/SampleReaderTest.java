package io.pushline.observability;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.CircuitBreakerMetricNames;
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

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The dashboard's view, read from a simple registry with known meters at instants the test gives: rates, absent meters,
 * gauges, NaN, fanout jobs. No timer, no clock, no sleep.
 */
class SampleReaderTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final SampleReader reader = new SampleReader(registry);

    @Test
    void eachAppsPushesPerSecondShareAndQueueWaitSinceThePreviousReading() {
        DashboardView.Sample empty = reader.read(T0);
        assertThat(empty.apps()).isEmpty();
        registry.counter(TopologyMetrics.APP_PUSHES, TopologyMetrics.TAG_APP, "big").increment(100);
        registry.timer(WorkerMetrics.APP_WAIT, "lane", "bulk", "app", "big").record(java.time.Duration.ofMillis(500));
        reader.read(T0.plusSeconds(1));

        registry.counter(TopologyMetrics.APP_PUSHES, TopologyMetrics.TAG_APP, "big").increment(300);
        registry.counter(TopologyMetrics.APP_PUSHES, TopologyMetrics.TAG_APP, "small").increment(100);
        registry.timer(WorkerMetrics.APP_WAIT, "lane", "bulk", "app", "big").record(java.time.Duration.ofMillis(1_000));
        registry.timer(WorkerMetrics.APP_WAIT, "lane", "bulk", "app", "big").record(java.time.Duration.ofMillis(3_000));
        registry.timer(WorkerMetrics.APP_WAIT, "lane", "high", "app", "small").record(java.time.Duration.ofMillis(9_000));
        DashboardView.Sample sample = reader.read(T0.plusSeconds(3));
        assertThat(sample.apps()).containsExactly(
                new DashboardView.App("big", 150.0, 0.75, 400.0, 2.0),
                new DashboardView.App("small", 50.0, 0.25, 100.0, null));   // the high lane's wait is not the bulk lane's
    }

    @Test
    void ratesArePerSecondSinceThePreviousReadingSummedOverTags() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED, "type", "like-created").increment(5);
        registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "platform", "apns", "outcome", "delivered").increment(10);
        DashboardView.Sample first = reader.read(T0);
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
        DashboardView.Sample second = reader.read(T0.plusSeconds(2));

        DashboardView.Counts r = second.rates();
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
    void aRateIsPerSecondOverAnIntervalShorterThanASecond() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(10);
        reader.read(T0);
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        DashboardView.Sample quarter = reader.read(T0.plusMillis(250));
        assertThat(quarter.intervalSeconds()).isEqualTo(0.25);
        assertThat(quarter.rates().eventsIn()).isEqualTo(20.0);
        assertThat(quarter.totals().eventsIn()).isEqualTo(15.0);
    }

    @Test
    void theOutcomesAreInTheirOrderThenAnyOtherAlphabetically() {
        for (String outcome : List.of("zombie", "failed", "delivered", "alien")) {
            registry.counter(WorkerMetrics.PUSHES, "lane", "bulk", "outcome", outcome).increment();
        }
        assertThat(reader.read(T0).totals().pushesByOutcome().keySet())
                .containsExactly("delivered", "rejected", "expired", "failed", "alien", "zombie");
    }

    @Test
    void absentMetersCountAsZeroAndGaugesAsAbsent() {
        reader.read(T0);
        DashboardView.Sample sample = reader.read(T0.plusSeconds(1));
        assertThat(sample.intervalSeconds()).isEqualTo(1.0);
        assertThat(sample.rates().eventsIn()).isZero();
        assertThat(sample.totals().pushesByOutcome()).containsOnlyKeys(SampleReader.OUTCOMES)
                .allSatisfy((outcome, n) -> assertThat(n).isZero());
        assertThat(sample.totals().deadLettersByReason()).isEmpty();
        assertThat(sample.lag()).isEmpty();
        assertThat(sample.workers()).isEmpty();
        assertThat(sample.circuits()).isEmpty();
        assertThat(sample.providers()).isEmpty();
        assertThat(sample.jobs()).isEmpty();
        assertThat(sample.coordinators()).isEqualTo(new DashboardView.Coordinators(List.of(), null));
        assertThat(sample.gate()).isEqualTo(new DashboardView.Gate(null, null, null));
    }

    @Test
    void functionCountersAreCountedAndACounterThatWentDownIsNotANegativeRate() {
        AtomicReference<Double> count = new AtomicReference<>(100.0);
        FunctionCounter.builder(TopologyMetrics.DEVICES_EXPANDED, count, AtomicReference::get).register(registry);
        reader.read(T0);
        count.set(150.0);
        assertThat(reader.read(T0.plusSeconds(1)).rates().devicesExpanded()).isEqualTo(50.0);
        count.set(10.0);
        assertThat(reader.read(T0.plusSeconds(2)).rates().devicesExpanded()).isZero();
        count.set(Double.NaN);
        DashboardView.Sample nan = reader.read(T0.plusSeconds(3));
        assertThat(nan.totals().devicesExpanded()).isZero();
        assertThat(nan.rates().devicesExpanded()).isZero();
    }

    @Test
    void aGaugeUnderACountersNameCountsAsNothing() {
        Gauge.builder(TopologyMetrics.EVENTS_ROUTED, () -> 42).register(registry);
        assertThat(reader.read(T0).totals().eventsIn()).isZero();
    }

    @Test
    void aReadingNotAfterThePreviousHasNoRates() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        reader.read(T0);
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        DashboardView.Sample same = reader.read(T0);
        assertThat(same.intervalSeconds()).isNull();
        assertThat(same.rates().eventsIn()).isZero();
        DashboardView.Sample earlier = reader.read(T0.minusSeconds(1));
        assertThat(earlier.intervalSeconds()).isNull();
        assertThat(earlier.totals().eventsIn()).isEqualTo(10.0);
    }

    @Test
    void lagIsSummedOverPartitionsInRecordsAndTheWorstInSeconds() {
        lag("pushline-workers-bulk", "pushline.push.bulk", 0, 100, 2.5);
        lag("pushline-workers-bulk", "pushline.push.bulk", 1, 50, 7.0);
        lag("pushline-workers-bulk", "pushline.push.bulk", 2, Double.NaN, Double.NaN);
        lag("pushline-workers-high", "pushline.push.high", 0, 0, 0);
        lag("pushline-coordinators", "pushline.events", 0, Double.NaN, Double.NaN);
        assertThat(reader.read(T0).lag()).containsExactly(
                new DashboardView.Lag("pushline-coordinators", "pushline.events", 1, null, null),
                new DashboardView.Lag("pushline-workers-bulk", "pushline.push.bulk", 3, 150.0, 7.0),
                new DashboardView.Lag("pushline-workers-high", "pushline.push.high", 1, 0.0, 0.0));
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
        Gauge.builder(WorkerMetrics.RETRIES_WAITING, () -> 5).register(registry);
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
        Gauge.builder(PushMetrics.QUEUED, () -> 1).tag(PushMetrics.TAG_PLATFORM, "fcm").register(registry);
        Gauge.builder(ProcessMetrics.EXPANSION_HELD, () -> 1).register(registry);

        DashboardView.Sample sample = reader.read(T0);
        assertThat(sample.workers()).containsExactly(new DashboardView.WorkerLane("bulk", 12.0, 2.0, null),
                new DashboardView.WorkerLane("high", 1.0, null, null),
                new DashboardView.WorkerLane(MeterValues.NONE, null, null, 5.0));
        assertThat(sample.circuits()).extracting(DashboardView.Circuit::name, DashboardView.Circuit::state,
                DashboardView.Circuit::failureRate).containsExactly(tuple("apns", "open", -1.0), tuple("fcm", "closed", -1.0));
        assertThat(sample.providers()).containsExactly(new DashboardView.Provider("apns", 7.0, 2.0),
                new DashboardView.Provider("fcm", null, 1.0));
        assertThat(sample.coordinators().states()).containsExactly(new DashboardView.CoordinatorState("follow", "RUNNING", 2.0),
                new DashboardView.CoordinatorState("like", "RUNNING", 3.0), new DashboardView.CoordinatorState("like", "WAITING", 1.0));
        assertThat(sample.coordinators().parked()).isZero();
        assertThat(sample.gate()).isEqualTo(new DashboardView.Gate(64.0, 1.0, null));
    }

    @Test
    void aCircuitWithNoStateAtOneHasNoState() {
        Gauge.builder(CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_STATE, () -> 0).tags("name", "apns", "state", "closed")
                .register(registry);
        Gauge.builder(CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_STATE, () -> 0).tags("name", "apns", "state", "open")
                .register(registry);
        assertThat(reader.read(T0).circuits()).containsExactly(new DashboardView.Circuit("apns", null, null));
    }

    @Test
    void fanoutJobsAreSummedOverPartitionsAndAFinishedPartitionCountsAsDone() {
        List<Gauge> p0 = job("event-1", "author-1", 0, 1000, 500, 600, 10);
        List<Gauge> p1 = job("event-1", "author-1", 1, 800, 700, 900, 4);
        job("event-2", "author-2", 0, Double.NaN, 0, 0, Double.NaN);
        assertThat(reader.read(T0).jobs()).containsExactly(
                new DashboardView.Job("event-1", "author-1", 2, 2, 1800.0, 1200, 1500, 10.0),
                new DashboardView.Job("event-2", "author-2", 1, 1, null, 0, 0, null));

        p1.forEach(registry::remove);   // partition 1 finished: done counts all its followers, and it no longer sets the ETA
        assertThat(reader.read(T0.plusSeconds(1)).jobs().get(0))
                .isEqualTo(new DashboardView.Job("event-1", "author-1", 2, 1, 1800.0, 1300, 1500, 10.0));
        p0.forEach(registry::remove);
        assertThat(reader.read(T0.plusSeconds(2)).jobs()).extracting(DashboardView.Job::eventId).containsExactly("event-2");

        job("event-1", "author-1", 0, 10, 0, 0, 1);   // the same id again: a new job, nothing remembered of the old one
        assertThat(reader.read(T0.plusSeconds(3)).jobs().get(0))
                .isEqualTo(new DashboardView.Job("event-1", "author-1", 1, 1, 10.0, 0, 0, 1.0));
    }

    @Test
    void aFinishedPartitionWhoseFollowersWereUnknownKeepsItsLastDoneAndTheJobItsUnknownFollowers() {
        job("event-1", "author-1", 0, 100, 10, 20, 5);
        List<Gauge> p1 = job("event-1", "author-1", 1, Double.NaN, 30, 40, 9);
        assertThat(reader.read(T0).jobs()).containsExactly(new DashboardView.Job("event-1", "author-1", 2, 2, null, 40, 60, 9.0));
        p1.forEach(registry::remove);
        assertThat(reader.read(T0.plusSeconds(1)).jobs())
                .containsExactly(new DashboardView.Job("event-1", "author-1", 2, 1, null, 40, 60, 5.0));
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
