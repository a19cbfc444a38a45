package io.pushline.observability;

import io.github.resilience4j.micrometer.tagged.CircuitBreakerMetricNames;
import io.github.resilience4j.micrometer.tagged.TagNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.push.PushMetrics;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.WorkerMetrics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

import static io.pushline.observability.MeterValues.Aggregate.MAX;
import static io.pushline.observability.MeterValues.Aggregate.SUM;
import static io.pushline.observability.MeterValues.aggregate;
import static io.pushline.observability.MeterValues.groupBy;
import static io.pushline.observability.MeterValues.tagOf;

/**
 * Builds the dashboard's {@link DashboardView.Sample}s from a registry's meters, one reading after another.
 *
 * <p>A sample holds the counters both as totals and as rates per second since the previous reading (summed over their
 * tags unless broken down by one), and the gauges' current values: consumer lag per group and topic (records summed over
 * the partitions, seconds the maximum), the workers' in-flight pushes and paused partitions per lane, the circuit
 * breakers and the pushes in flight at the providers, the gates between the lanes (bulk limit, expansion held), the
 * running fanout jobs ({@link FanoutJobs}) and the coordinators waiting, by flow and state. What is missing is forgiven
 * as {@link MeterValues} says.
 *
 * <p>The names are the modules' constants ({@link TopologyMetrics}, {@link WorkerMetrics}, {@link PushMetrics},
 * {@link CoordinatorMetrics}, {@link ProcessMetrics}, resilience4j's {@link CircuitBreakerMetricNames}).
 *
 * <p>Time is what the caller says it is: {@link #read(Instant)} takes the instant of the reading (the sampler's injected
 * clock), so rates are computed without a timer or a clock of this class's own. Not thread-safe: it keeps the previous
 * totals and the fanout jobs' partitions between readings; one reader at a time (the sampler reads under its lock).
 */
final class SampleReader {
    /** The push outcomes always present in a sample, at 0 if never seen; any other outcome is added as it appears. */
    static final List<String> OUTCOMES = List.of("delivered", "rejected", "expired", "failed");

    private static final String CIRCUIT_STATE = CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_STATE;
    private static final String CIRCUIT_FAILURE_RATE = CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_FAILURE_RATE;
    private static final Comparator<List<String>> BY_FIRST_THEN_SECOND =
            Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1));

    private final MeterValues meters;
    private final MeterRegistry registry;
    /** Per app, at the previous reading: pushes expanded, and the bulk lane's dispatch count and total wait (seconds). */
    private Map<String, double[]> previousApps = Map.of();
    private final FanoutJobs jobs;
    private DashboardView.Counts previousTotals;
    private Instant previousAt;

    SampleReader(MeterRegistry registry) {
        this.meters = new MeterValues(registry);
        this.registry = registry;
        this.jobs = new FanoutJobs(meters);
    }

    /**
     * Reads the meters as of {@code now}. Rates are per second since the previous reading; the first reading, and one not
     * later than the previous, has rates of 0 and no interval. A counter that went down has a rate of 0, not a negative one.
     */
    DashboardView.Sample read(Instant now) {
        DashboardView.Counts totals = readCounters();
        Double interval = null;
        DashboardView.Counts rates;
        if (previousAt != null && now.isAfter(previousAt)) {
            double seconds = Duration.between(previousAt, now).toNanos() / 1e9;
            interval = seconds;
            rates = totals.ratesSince(previousTotals, seconds);
        } else {
            rates = totals.ratesSince(totals, 1);
        }
        DashboardView.Gate gate = new DashboardView.Gate(meters.sumOfGauges(WorkerMetrics.BULK_LIMIT),
                meters.sumOfGauges(ProcessMetrics.EXPANSION_HELD), meters.sumOfGauges(ProcessMetrics.EXPANSION_BACKLOG));
        DashboardView.Sample sample = new DashboardView.Sample(now, interval, rates, totals, readLag(), readWorkers(),
                readCircuits(), readProviders(), gate, jobs.read(),
                new DashboardView.Coordinators(readCoordinators(), meters.sumOfGauges(CoordinatorMetrics.PARKED)),
                readApps(interval));
        previousTotals = totals;
        previousAt = now;
        return sample;
    }

    private DashboardView.Counts readCounters() {
        Map<String, Double> deadLetters = new TreeMap<>(meters.countsBy(TopologyMetrics.DEAD_LETTERS, "reason"));
        meters.countsBy(WorkerMetrics.DEAD_LETTERS, "reason").forEach((reason, n) -> deadLetters.merge(reason, n, Double::sum));
        Map<String, Double> outcomes = new LinkedHashMap<>();
        OUTCOMES.forEach(o -> outcomes.put(o, 0.0));
        meters.countsBy(WorkerMetrics.PUSHES, "outcome").forEach((o, n) -> outcomes.merge(o, n, Double::sum));
        return new DashboardView.Counts(meters.count(TopologyMetrics.EVENTS_ROUTED), deadLetters,
                meters.count(TopologyMetrics.JOBS_STARTED), meters.count(TopologyMetrics.JOBS_EXPANDED),
                meters.count(TopologyMetrics.DEVICES_EXPANDED), outcomes, meters.countsBy(WorkerMetrics.PUSHES, "lane"),
                meters.count(WorkerMetrics.RETRIES), meters.count(WorkerMetrics.DEDUPLICATED),
                meters.countsBy(CoordinatorMetrics.STARTED, "flow"), meters.count(CoordinatorMetrics.TRANSITIONS));
    }

    /** The apps' figures (see {@link DashboardView.App}), rates since the previous reading ({@code seconds}, or none). */
    private List<DashboardView.App> readApps(Double seconds) {
        Map<String, double[]> now = new TreeMap<>();
        meters.countsBy(TopologyMetrics.APP_PUSHES, TopologyMetrics.TAG_APP).forEach((app, n) -> now.put(app, new double[]{n, 0, 0}));
        for (io.micrometer.core.instrument.Timer t : registry.find(WorkerMetrics.APP_WAIT).tag("lane", "bulk").timers()) {
            double[] v = now.computeIfAbsent(t.getId().getTag("app"), a -> new double[3]);
            v[1] += t.count();
            v[2] += t.totalTime(java.util.concurrent.TimeUnit.SECONDS);
        }
        double allNew = 0;
        Map<String, Double> newPushes = new TreeMap<>();
        for (Map.Entry<String, double[]> e : now.entrySet()) {
            double[] before = previousApps.getOrDefault(e.getKey(), new double[3]);
            double n = Math.max(0, e.getValue()[0] - before[0]);
            newPushes.put(e.getKey(), n);
            allNew += n;
        }
        List<DashboardView.App> apps = new ArrayList<>();
        for (Map.Entry<String, double[]> e : now.entrySet()) {
            double[] v = e.getValue();
            double[] before = previousApps.getOrDefault(e.getKey(), new double[3]);
            double n = newPushes.get(e.getKey());
            double dispatched = v[1] - before[1];
            apps.add(new DashboardView.App(e.getKey(), seconds == null ? 0 : n / seconds, allNew > 0 ? n / allNew : null, v[0],
                    dispatched > 0 ? (v[2] - before[2]) / dispatched : null));
        }
        previousApps = now;
        return apps;
    }

    private List<DashboardView.Lag> readLag() {
        Function<Gauge, List<String>> lane = g -> List.of(tagOf(g, "group"), tagOf(g, "topic"));
        Map<List<String>, List<Gauge>> records = groupBy(meters.gauges(ProcessMetrics.LAG_RECORDS), lane);
        Map<List<String>, List<Gauge>> seconds = groupBy(meters.gauges(ProcessMetrics.LAG_SECONDS), lane);
        Set<List<String>> keys = new TreeSet<>(BY_FIRST_THEN_SECOND);
        keys.addAll(records.keySet());
        keys.addAll(seconds.keySet());
        List<DashboardView.Lag> lag = new ArrayList<>();
        for (List<String> key : keys) {
            List<Gauge> r = records.getOrDefault(key, List.of());
            lag.add(new DashboardView.Lag(key.get(0), key.get(1), r.size(), aggregate(r, SUM),
                    aggregate(seconds.getOrDefault(key, List.of()), MAX)));
        }
        return lag;
    }

    private List<DashboardView.WorkerLane> readWorkers() {
        Map<String, List<Gauge>> inFlight = groupBy(meters.gauges(WorkerMetrics.IN_FLIGHT), g -> tagOf(g, "lane"));
        Map<String, List<Gauge>> paused = groupBy(meters.gauges(WorkerMetrics.PAUSED_PARTITIONS), g -> tagOf(g, "lane"));
        Map<String, List<Gauge>> waiting = groupBy(meters.gauges(WorkerMetrics.RETRIES_WAITING), g -> tagOf(g, "lane"));
        Set<String> lanes = new TreeSet<>(inFlight.keySet());
        lanes.addAll(paused.keySet());
        lanes.addAll(waiting.keySet());
        List<DashboardView.WorkerLane> workers = new ArrayList<>();
        for (String lane : lanes) {
            workers.add(new DashboardView.WorkerLane(lane, aggregate(inFlight.getOrDefault(lane, List.of()), SUM),
                    aggregate(paused.getOrDefault(lane, List.of()), SUM), aggregate(waiting.getOrDefault(lane, List.of()), SUM)));
        }
        return workers;
    }

    /**
     * Per circuit breaker (named after the provider and lane, or the platform, as configured): its state (resilience4j's
     * gauge is 1 for the current state and 0 for the others) and its failure rate (-1 until enough calls).
     */
    private List<DashboardView.Circuit> readCircuits() {
        Map<String, String> states = new TreeMap<>();
        for (Gauge g : meters.gauges(CIRCUIT_STATE)) {
            String name = tagOf(g, TagNames.NAME);
            states.putIfAbsent(name, null);
            if (g.value() >= 1) {
                states.put(name, tagOf(g, "state"));
            }
        }
        Map<String, List<Gauge>> failureRates = groupBy(meters.gauges(CIRCUIT_FAILURE_RATE), g -> tagOf(g, TagNames.NAME));
        List<DashboardView.Circuit> circuits = new ArrayList<>();
        states.forEach((name, state) ->
                circuits.add(new DashboardView.Circuit(name, state, aggregate(failureRates.getOrDefault(name, List.of()), MAX))));
        return circuits;
    }

    /** Per platform: pushes in flight at the providers and waiting for an in-flight slot. */
    private List<DashboardView.Provider> readProviders() {
        Map<String, List<Gauge>> inFlight = groupBy(meters.gauges(PushMetrics.IN_FLIGHT), g -> tagOf(g, PushMetrics.TAG_PLATFORM));
        Map<String, List<Gauge>> queued = groupBy(meters.gauges(PushMetrics.QUEUED), g -> tagOf(g, PushMetrics.TAG_PLATFORM));
        Set<String> platforms = new TreeSet<>(inFlight.keySet());
        platforms.addAll(queued.keySet());
        List<DashboardView.Provider> providers = new ArrayList<>();
        for (String platform : platforms) {
            providers.add(new DashboardView.Provider(platform, aggregate(inFlight.getOrDefault(platform, List.of()), SUM),
                    aggregate(queued.getOrDefault(platform, List.of()), SUM)));
        }
        return providers;
    }

    private List<DashboardView.CoordinatorState> readCoordinators() {
        Map<List<String>, List<Gauge>> byState = groupBy(meters.gauges(CoordinatorMetrics.ACTIVE),
                g -> List.of(tagOf(g, "flow"), tagOf(g, "state")));
        List<DashboardView.CoordinatorState> states = new ArrayList<>();
        byState.forEach((key, gauges) -> states.add(new DashboardView.CoordinatorState(key.get(0), key.get(1), aggregate(gauges, SUM))));
        states.sort(Comparator.comparing(DashboardView.CoordinatorState::flow).thenComparing(DashboardView.CoordinatorState::state));
        return states;
    }
}
