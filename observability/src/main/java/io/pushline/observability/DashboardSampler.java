package io.pushline.observability;

import io.github.resilience4j.micrometer.tagged.CircuitBreakerMetricNames;
import io.github.resilience4j.micrometer.tagged.TagNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.push.PushMetrics;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.WorkerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the operations dashboard shows, sampled from the process's meters once a second into a ring buffer of the last
 * ten minutes ({@value #CAPACITY} samples), so that a page opened mid-run still shows the history.
 *
 * <p>A sample holds the counters both as totals and as rates per second since the previous sample (summed over their
 * tags unless broken down by one), and the gauges' current values: consumer lag per group and topic (records summed over
 * the partitions, seconds the maximum), the workers' in-flight pushes and paused partitions per lane, the circuit
 * breakers and the pushes in flight at the providers, the gates between the lanes (bulk limit, expansion held), the
 * running fanout jobs (summed over their partitions) and the coordinators waiting, by flow and state. A counter that does
 * not exist (yet) counts as 0 and a gauge that does not exist is left out (or null): nothing here fails for want of a
 * meter. A NaN gauge is skipped in sums and maxima, and null in the JSON when nothing else is left.
 *
 * <p>The names are the modules' constants ({@link TopologyMetrics}, {@link WorkerMetrics}, {@link PushMetrics},
 * {@link CoordinatorMetrics}, {@link ProcessMetrics}, resilience4j's {@link CircuitBreakerMetricNames}). The JSON of
 * {@code GET /api/dashboard} is written here too ({@link #json}), by hand: the shape is small and fixed.
 *
 * <p>Fanout progress gauges exist per job and partition only while the job runs there. So that a job's progress does not
 * go backwards when one of its partitions finishes first, a partition whose gauges went away while the job still runs on
 * others counts as done (all its followers, its last device count), until the job has no partition running.
 *
 * <p>{@link #sample(Instant)} is what the sampling thread calls; tests call it themselves with instants of their own.
 */
final class DashboardSampler implements AutoCloseable {
    /** Samples kept: ten minutes at one a second. */
    static final int CAPACITY = 600;
    /** Time between samples. */
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** The push outcomes always present in a sample, at 0 if never seen; any other outcome is added as it appears. */
    static final List<String> OUTCOMES = List.of("delivered", "rejected", "expired", "failed");

    private static final Logger log = LoggerFactory.getLogger(DashboardSampler.class);
    private static final String CIRCUIT_STATE = CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_STATE;
    private static final String CIRCUIT_FAILURE_RATE = CircuitBreakerMetricNames.DEFAULT_CIRCUIT_BREAKER_FAILURE_RATE;
    private static final String NONE = "none";
    private static final Comparator<List<String>> BY_FIRST_THEN_SECOND =
            Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1));

    private final MeterRegistry registry;
    private final int capacity;
    private final Clock clock;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    /** Partitions of running jobs: event id to partition to its last progress. */
    private final Map<String, Map<String, PartitionProgress>> jobPartitions = new HashMap<>();
    private Counts previousTotals;
    private Instant previousAt;
    private ScheduledExecutorService thread;
    private long lastWarning;

    /**
     * A sampler of {@code registry} keeping the last {@code capacity} samples; it samples only when told to, or once a
     * second after {@link #start()}.
     */
    DashboardSampler(MeterRegistry registry, int capacity, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        this.capacity = capacity;
    }

    /** Samples now and then every {@link #INTERVAL}, on a daemon thread of its own, until {@link #close()}. */
    synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("the dashboard sampler is already started");
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pushline-dashboard-sampler");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleAtFixedRate(this::sampleSafely, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The sampler's clock's current instant. */
    Instant now() {
        return clock.instant();
    }

    private void sampleSafely() {
        try {
            sample(clock.instant());
        } catch (RuntimeException e) {
            long now = System.currentTimeMillis();
            if (now - lastWarning > 60_000) {
                lastWarning = now;
                log.warn("cannot sample the meters for the dashboard ({}); the dashboard misses this sample", e.toString());
            }
        }
    }

    /**
     * Reads the meters as of {@code now} and appends the sample, dropping the oldest beyond the capacity. Rates are per
     * second since the previous sample; the first sample, and one not later than the previous, has rates of 0 and no
     * interval. A counter that went down (a meter removed and registered again) has a rate of 0, not a negative one.
     */
    synchronized Sample sample(Instant now) {
        Counts totals = readCounters();
        Double interval = null;
        Counts rates;
        if (previousAt != null && now.isAfter(previousAt)) {
            double seconds = Duration.between(previousAt, now).toNanos() / 1e9;
            interval = seconds;
            rates = totals.ratesSince(previousTotals, seconds);
        } else {
            rates = totals.ratesSince(totals, 1);
        }
        Gate gate = new Gate(sumOfGauges(WorkerMetrics.BULK_LIMIT), sumOfGauges(ProcessMetrics.EXPANSION_HELD),
                sumOfGauges(ProcessMetrics.EXPANSION_BACKLOG));
        Sample sample = new Sample(now, interval, rates, totals, readLag(), readWorkers(), readCircuits(), readProviders(), gate,
                readJobs(), readCoordinators(), sumOfGauges(CoordinatorMetrics.PARKED));
        previousTotals = totals;
        previousAt = now;
        samples.addLast(sample);
        while (samples.size() > capacity) {
            samples.removeFirst();
        }
        return sample;
    }

    /** The samples held, oldest first. */
    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The samples taken after {@code epochMillis}, oldest first. */
    synchronized List<Sample> samplesAfter(long epochMillis) {
        List<Sample> newer = new ArrayList<>();
        for (Sample s : samples) {
            if (s.at().toEpochMilli() > epochMillis) {
                newer.add(s);
            }
        }
        return newer;
    }

    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- reading the meters

    private Counts readCounters() {
        Map<String, Double> deadLetters = new TreeMap<>(countsBy(TopologyMetrics.DEAD_LETTERS, "reason"));
        countsBy(WorkerMetrics.DEAD_LETTERS, "reason").forEach((reason, n) -> deadLetters.merge(reason, n, Double::sum));
        Map<String, Double> outcomes = new LinkedHashMap<>();
        OUTCOMES.forEach(o -> outcomes.put(o, 0.0));
        countsBy(WorkerMetrics.PUSHES, "outcome").forEach((o, n) -> outcomes.merge(o, n, Double::sum));
        return new Counts(count(TopologyMetrics.EVENTS_ROUTED), deadLetters, count(TopologyMetrics.JOBS_STARTED),
                count(TopologyMetrics.JOBS_EXPANDED), count(TopologyMetrics.DEVICES_EXPANDED), outcomes,
                countsBy(WorkerMetrics.PUSHES, "lane"), count(WorkerMetrics.RETRIES), count(WorkerMetrics.DEDUPLICATED),
                countsBy(CoordinatorMetrics.STARTED, "flow"), count(CoordinatorMetrics.TRANSITIONS));
    }

    private double count(String name) {
        double sum = 0;
        for (Meter m : registry.find(name).meters()) {
            sum += countOf(m);
        }
        return sum;
    }

    private Map<String, Double> countsBy(String name, String tag) {
        Map<String, Double> by = new TreeMap<>();
        for (Meter m : registry.find(name).meters()) {
            by.merge(tagOf(m, tag), countOf(m), Double::sum);
        }
        return by;
    }

    /** A counter's count; 0 for a NaN one (a function counter whose object is gone) and for a meter of another type. */
    private static double countOf(Meter m) {
        double n;
        if (m instanceof Counter c) {
            n = c.count();
        } else if (m instanceof FunctionCounter f) {
            n = f.count();
        } else {
            return 0;
        }
        return Double.isFinite(n) ? n : 0;
    }

    private static String tagOf(Meter m, String tag) {
        String v = m.getId().getTag(tag);
        return v == null ? NONE : v;
    }

    private Collection<Gauge> gauges(String name) {
        return registry.find(name).gauges();
    }

    /** The sum of the gauges named so, skipping NaN; null if there is none or all are NaN. */
    private Double sumOfGauges(String name) {
        return aggregate(gauges(name), Aggregate.SUM);
    }

    private List<Lag> readLag() {
        Function<Gauge, List<String>> lane = g -> List.of(tagOf(g, "group"), tagOf(g, "topic"));
        Map<List<String>, List<Gauge>> records = groupBy(gauges(ProcessMetrics.LAG_RECORDS), lane);
        Map<List<String>, List<Gauge>> seconds = groupBy(gauges(ProcessMetrics.LAG_SECONDS), lane);
        Set<List<String>> keys = new TreeSet<>(BY_FIRST_THEN_SECOND);
        keys.addAll(records.keySet());
        keys.addAll(seconds.keySet());
        List<Lag> lag = new ArrayList<>();
        for (List<String> key : keys) {
            List<Gauge> r = records.getOrDefault(key, List.of());
            lag.add(new Lag(key.get(0), key.get(1), r.size(), aggregate(r, Aggregate.SUM),
                    aggregate(seconds.getOrDefault(key, List.of()), Aggregate.MAX)));
        }
        return lag;
    }

    private List<WorkerLane> readWorkers() {
        Map<String, List<Gauge>> inFlight = groupBy(gauges(WorkerMetrics.IN_FLIGHT), g -> tagOf(g, "lane"));
        Map<String, List<Gauge>> paused = groupBy(gauges(WorkerMetrics.PAUSED_PARTITIONS), g -> tagOf(g, "lane"));
        Map<String, List<Gauge>> waiting = groupBy(gauges(WorkerMetrics.RETRIES_WAITING), g -> tagOf(g, "lane"));
        Set<String> lanes = new TreeSet<>(inFlight.keySet());
        lanes.addAll(paused.keySet());
        lanes.addAll(waiting.keySet());
        List<WorkerLane> workers = new ArrayList<>();
        for (String lane : lanes) {
            workers.add(new WorkerLane(lane, aggregate(inFlight.getOrDefault(lane, List.of()), Aggregate.SUM),
                    aggregate(paused.getOrDefault(lane, List.of()), Aggregate.SUM),
                    aggregate(waiting.getOrDefault(lane, List.of()), Aggregate.SUM)));
        }
        return workers;
    }

    /**
     * Per circuit breaker (named after the provider and lane, or the platform, as configured): its state (resilience4j's
     * gauge is 1 for the current state and 0 for the others) and its failure rate (-1 until enough calls).
     */
    private List<Circuit> readCircuits() {
        Map<String, String> states = new TreeMap<>();
        for (Gauge g : gauges(CIRCUIT_STATE)) {
            String name = tagOf(g, TagNames.NAME);
            states.putIfAbsent(name, null);
            if (g.value() >= 1) {
                states.put(name, tagOf(g, "state"));
            }
        }
        Map<String, List<Gauge>> failureRates = groupBy(gauges(CIRCUIT_FAILURE_RATE), g -> tagOf(g, TagNames.NAME));
        List<Circuit> circuits = new ArrayList<>();
        states.forEach((name, state) ->
                circuits.add(new Circuit(name, state, aggregate(failureRates.getOrDefault(name, List.of()), Aggregate.MAX))));
        return circuits;
    }

    /** Per platform: pushes in flight at the providers and waiting for an in-flight slot. */
    private List<Provider> readProviders() {
        Map<String, List<Gauge>> inFlight = groupBy(gauges(PushMetrics.IN_FLIGHT), g -> tagOf(g, PushMetrics.TAG_PLATFORM));
        Map<String, List<Gauge>> queued = groupBy(gauges(PushMetrics.QUEUED), g -> tagOf(g, PushMetrics.TAG_PLATFORM));
        Set<String> platforms = new TreeSet<>(inFlight.keySet());
        platforms.addAll(queued.keySet());
        List<Provider> providers = new ArrayList<>();
        for (String platform : platforms) {
            providers.add(new Provider(platform, aggregate(inFlight.getOrDefault(platform, List.of()), Aggregate.SUM),
                    aggregate(queued.getOrDefault(platform, List.of()), Aggregate.SUM)));
        }
        return providers;
    }

    private List<Job> readJobs() {
        Map<String, Map<String, PartitionProgress>> now = new TreeMap<>();
        Map<String, String> authors = new HashMap<>();
        for (String name : List.of(TopologyMetrics.JOB_FOLLOWERS, TopologyMetrics.JOB_FOLLOWERS_DONE, TopologyMetrics.JOB_DEVICES,
                TopologyMetrics.JOB_ETA)) {
            for (Gauge g : gauges(name)) {
                String job = tagOf(g, TopologyMetrics.TAG_JOB);
                authors.putIfAbsent(job, tagOf(g, TopologyMetrics.TAG_AUTHOR));
                PartitionProgress p = now.computeIfAbsent(job, k -> new TreeMap<>())
                        .computeIfAbsent(tagOf(g, TopologyMetrics.TAG_PARTITION), k -> new PartitionProgress());
                double v = g.value();
                switch (name) {
                    case TopologyMetrics.JOB_FOLLOWERS -> p.followers = v;
                    case TopologyMetrics.JOB_FOLLOWERS_DONE -> p.done = v;
                    case TopologyMetrics.JOB_DEVICES -> p.devices = v;
                    default -> p.eta = v;
                }
            }
        }
        jobPartitions.keySet().retainAll(now.keySet());   // a job with no partition running is over: forget it
        List<Job> jobs = new ArrayList<>();
        for (Map.Entry<String, Map<String, PartitionProgress>> e : now.entrySet()) {
            Map<String, PartitionProgress> known = jobPartitions.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            for (Map.Entry<String, PartitionProgress> gone : known.entrySet()) {
                if (!e.getValue().containsKey(gone.getKey())) {
                    gone.getValue().finish();
                }
            }
            known.putAll(e.getValue());
            double followers = 0;
            double done = 0;
            double devices = 0;
            double eta = Double.NaN;
            boolean followersKnown = true;
            for (PartitionProgress p : known.values()) {
                if (Double.isFinite(p.followers)) {
                    followers += p.followers;
                } else {
                    followersKnown = false;
                }
                done += finite(p.done);
                devices += finite(p.devices);
                if (!p.finished && Double.isFinite(p.eta)) {
                    eta = Double.isNaN(eta) ? p.eta : Math.max(eta, p.eta);
                }
            }
            jobs.add(new Job(e.getKey(), authors.get(e.getKey()), known.size(), e.getValue().size(),
                    followersKnown ? followers : null, done, devices, nullIfNaN(eta)));
        }
        return jobs;
    }

    private List<CoordinatorState> readCoordinators() {
        Map<List<String>, List<Gauge>> byState = groupBy(gauges(CoordinatorMetrics.ACTIVE),
                g -> List.of(tagOf(g, "flow"), tagOf(g, "state")));
        List<CoordinatorState> states = new ArrayList<>();
        byState.forEach((key, gauges) -> states.add(new CoordinatorState(key.get(0), key.get(1), aggregate(gauges, Aggregate.SUM))));
        states.sort(Comparator.comparing(CoordinatorState::flow).thenComparing(CoordinatorState::state));
        return states;
    }

    private static <K> Map<K, List<Gauge>> groupBy(Collection<Gauge> gauges, Function<Gauge, K> key) {
        Map<K, List<Gauge>> by = new LinkedHashMap<>();
        for (Gauge g : gauges) {
            by.computeIfAbsent(key.apply(g), k -> new ArrayList<>()).add(g);
        }
        return by;
    }

    private enum Aggregate { SUM, MAX }

    /** The sum or maximum of the gauges' values, skipping NaN; null if there is none or all are NaN. */
    private static Double aggregate(Collection<Gauge> gauges, Aggregate how) {
        Double result = null;
        for (Gauge g : gauges) {
            double v = g.value();
            if (Double.isNaN(v)) {
                continue;
            }
            result = result == null ? v : how == Aggregate.SUM ? result + v : Math.max(result, v);
        }
        return result;
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The last progress seen of a job on a partition; mutable, owned by the sampling thread under the sampler's lock. */
    private static final class PartitionProgress {
        double followers = Double.NaN;
        double done = Double.NaN;
        double devices = Double.NaN;
        double eta = Double.NaN;
        boolean finished;

        void finish() {
            if (!finished) {
                finished = true;
                if (Double.isFinite(followers)) {
                    done = followers;
                }
                eta = 0;
            }
        }
    }

    // ---------------------------------------------------------------- the samples

    /**
     * Counters: cumulative totals, or rates per second.
     *
     * @param deadLettersByReason router and worker dead letters by {@code reason}
     * @param pushesByOutcome     worker push outcomes; {@link #OUTCOMES} always present
     * @param pushesByLane        worker push outcomes (all of them) by {@code lane}
     * @param coordinatorsByFlow  coordinators started by {@code flow}
     */
    record Counts(double eventsIn, Map<String, Double> deadLettersByReason, double jobsStarted, double jobsFinished,
                  double devicesExpanded, Map<String, Double> pushesByOutcome, Map<String, Double> pushesByLane, double retries,
                  double deduplicated, Map<String, Double> coordinatorsByFlow, double coordinatorTransitions) {
        Counts {
            deadLettersByReason = ordered(deadLettersByReason);
            pushesByOutcome = ordered(pushesByOutcome);
            pushesByLane = ordered(pushesByLane);
            coordinatorsByFlow = ordered(coordinatorsByFlow);
        }

        /** An unmodifiable copy keeping the given map's order (the JSON's). */
        private static Map<String, Double> ordered(Map<String, Double> values) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        double deadLetters() {
            return sum(deadLettersByReason);
        }

        double pushes() {
            return sum(pushesByOutcome);
        }

        double coordinatorsStarted() {
            return sum(coordinatorsByFlow);
        }

        /** Rates per second from {@code before} to these totals, {@code seconds} apart; never negative. */
        Counts ratesSince(Counts before, double seconds) {
            return new Counts(rate(eventsIn, before.eventsIn, seconds), rates(deadLettersByReason, before.deadLettersByReason, seconds),
                    rate(jobsStarted, before.jobsStarted, seconds), rate(jobsFinished, before.jobsFinished, seconds),
                    rate(devicesExpanded, before.devicesExpanded, seconds), rates(pushesByOutcome, before.pushesByOutcome, seconds),
                    rates(pushesByLane, before.pushesByLane, seconds), rate(retries, before.retries, seconds),
                    rate(deduplicated, before.deduplicated, seconds), rates(coordinatorsByFlow, before.coordinatorsByFlow, seconds),
                    rate(coordinatorTransitions, before.coordinatorTransitions, seconds));
        }

        private static double rate(double now, double before, double seconds) {
            return Math.max(0, now - before) / seconds;
        }

        private static Map<String, Double> rates(Map<String, Double> now, Map<String, Double> before, double seconds) {
            Map<String, Double> rates = new LinkedHashMap<>();
            now.forEach((k, v) -> rates.put(k, rate(v, before.getOrDefault(k, 0.0), seconds)));
            return rates;
        }

        private static double sum(Map<String, Double> values) {
            return values.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    /** Consumer lag of a group on a topic: records summed over its partitions, seconds the oldest of them. */
    record Lag(String group, String topic, int partitions, Double records, Double seconds) {
    }

    /** A worker lane's back-pressure. */
    record WorkerLane(String lane, Double inFlight, Double pausedPartitions, Double retriesWaiting) {
    }

    /**
     * A circuit breaker in front of a provider.
     *
     * @param state       resilience4j's state name ({@code closed}, {@code open}, {@code half_open}, ...), null if none is 1
     * @param failureRate percentage of failed calls in the window, -1 until the window has enough calls
     */
    record Circuit(String name, String state, Double failureRate) {
    }

    /** Pushes in flight to a platform's providers and waiting for a slot. */
    record Provider(String platform, Double inFlight, Double queued) {
    }

    /**
     * The back-pressure between the lanes; each null where its gauge does not exist (the process runs no such role).
     *
     * @param bulkLimit        bulk-lane pushes allowed in flight now (narrowed while the high lane waits)
     * @param expansionHeld    1 while fanout expansion is held back because the bulk lane's backlog is above its bound
     * @param expansionBacklog the bulk lane's backlog the expansion gate last read
     */
    record Gate(Double bulkLimit, Double expansionHeld, Double expansionBacklog) {
    }

    /**
     * A fanout job, summed over the partitions it runs on or ran on while it still runs on others.
     *
     * @param partitions        partitions seen running it
     * @param partitionsRunning partitions running it now
     * @param followers         followers of the author when it started, null if a partition did not count them
     * @param etaSeconds        the longest of the running partitions' estimates, null before one is measurable
     */
    record Job(String eventId, String author, int partitions, int partitionsRunning, Double followers, double followersDone,
               double devices, Double etaSeconds) {
    }

    /** Coordinators of a flow in a state. */
    record CoordinatorState(String flow, String state, Double count) {
    }

    /**
     * One reading of the meters.
     *
     * @param intervalSeconds seconds since the previous sample, null for the first
     * @param rates           counters per second since the previous sample
     * @param totals          counters since the process started
     * @param coordinatorsParked coordinators parked now, null if the gauge does not exist
     */
    record Sample(Instant at, Double intervalSeconds, Counts rates, Counts totals, List<Lag> lag, List<WorkerLane> workers,
                  List<Circuit> circuits, List<Provider> providers, Gate gate, List<Job> jobs, List<CoordinatorState> coordinators,
                  Double coordinatorsParked) {
        Sample {
            lag = List.copyOf(lag);
            workers = List.copyOf(workers);
            circuits = List.copyOf(circuits);
            providers = List.copyOf(providers);
            jobs = List.copyOf(jobs);
            coordinators = List.copyOf(coordinators);
        }
    }

    // ---------------------------------------------------------------- JSON

    /**
     * The body of {@code GET /api/dashboard}. Times are epoch milliseconds, rates per second, lag seconds in seconds;
     * a number may be null where its gauge is NaN or absent:
     * <pre>
     * {"now": 1764640000000, "intervalMs": 1000, "capacity": 600, "samples": [
     *   {"t": 1764640000000, "interval": 1.0 (null for the first),
     *    "rates":  COUNTS, "totals": COUNTS,
     *    "lag": [{"group", "topic", "partitions", "records", "seconds"}],
     *    "workers": [{"lane", "inFlight", "pausedPartitions", "retriesWaiting"}],
     *    "circuits": [{"name", "state", "failureRate"}],
     *    "providers": [{"platform", "inFlight", "queued"}],
     *    "gate": {"bulkLimit", "expansionHeld", "expansionBacklog"},
     *    "jobs": [{"eventId", "author", "partitions", "partitionsRunning", "followers", "followersDone", "devices",
     *              "etaSeconds"}],
     *    "coordinators": {"states": [{"flow", "state", "count"}], "parked"}}]}
     * COUNTS: {"eventsIn", "deadLetters", "deadLettersByReason": {REASON: n}, "jobsStarted", "jobsFinished",
     *          "devicesExpanded", "pushes", "pushesByOutcome": {"delivered", "rejected", "expired", "failed", ...},
     *          "pushesByLane": {LANE: n}, "retries", "deduplicated", "coordinatorsStarted",
     *          "coordinatorsStartedByFlow": {FLOW: n}, "coordinatorTransitions"}
     * </pre>
     */
    static String json(Instant now, int capacity, List<Sample> samples) {
        StringBuilder out = new StringBuilder(256 + samples.size() * 1500);
        out.append("{\"now\":").append(now.toEpochMilli()).append(",\"intervalMs\":").append(INTERVAL.toMillis())
                .append(",\"capacity\":").append(capacity).append(",\"samples\":[");
        for (int i = 0; i < samples.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            writeSample(out, samples.get(i));
        }
        return out.append("]}").toString();
    }

    int capacity() {
        return capacity;
    }

    private static void writeSample(StringBuilder out, Sample s) {
        out.append("{\"t\":").append(s.at().toEpochMilli()).append(",\"interval\":");
        number(out, s.intervalSeconds());
        out.append(",\"rates\":");
        writeCounts(out, s.rates());
        out.append(",\"totals\":");
        writeCounts(out, s.totals());
        out.append(",\"lag\":[");
        for (int i = 0; i < s.lag().size(); i++) {
            Lag l = s.lag().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "group", l.group()).append(',');
            field(out, "topic", l.topic()).append(",\"partitions\":").append(l.partitions()).append(",\"records\":");
            number(out, l.records()).append(",\"seconds\":");
            number(out, l.seconds()).append('}');
        }
        out.append("],\"workers\":[");
        for (int i = 0; i < s.workers().size(); i++) {
            WorkerLane w = s.workers().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "lane", w.lane()).append(",\"inFlight\":");
            number(out, w.inFlight()).append(",\"pausedPartitions\":");
            number(out, w.pausedPartitions()).append(",\"retriesWaiting\":");
            number(out, w.retriesWaiting()).append('}');
        }
        out.append("],\"circuits\":[");
        for (int i = 0; i < s.circuits().size(); i++) {
            Circuit c = s.circuits().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "name", c.name()).append(',');
            field(out, "state", c.state()).append(",\"failureRate\":");
            number(out, c.failureRate()).append('}');
        }
        out.append("],\"providers\":[");
        for (int i = 0; i < s.providers().size(); i++) {
            Provider p = s.providers().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "platform", p.platform()).append(",\"inFlight\":");
            number(out, p.inFlight()).append(",\"queued\":");
            number(out, p.queued()).append('}');
        }
        out.append("],\"gate\":{\"bulkLimit\":");
        number(out, s.gate().bulkLimit()).append(",\"expansionHeld\":");
        number(out, s.gate().expansionHeld()).append(",\"expansionBacklog\":");
        number(out, s.gate().expansionBacklog()).append("},\"jobs\":[");
        for (int i = 0; i < s.jobs().size(); i++) {
            Job j = s.jobs().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "eventId", j.eventId()).append(',');
            field(out, "author", j.author()).append(",\"partitions\":").append(j.partitions())
                    .append(",\"partitionsRunning\":").append(j.partitionsRunning()).append(",\"followers\":");
            number(out, j.followers()).append(",\"followersDone\":");
            number(out, j.followersDone()).append(",\"devices\":");
            number(out, j.devices()).append(",\"etaSeconds\":");
            number(out, j.etaSeconds()).append('}');
        }
        out.append("],\"coordinators\":{\"states\":[");
        for (int i = 0; i < s.coordinators().size(); i++) {
            CoordinatorState c = s.coordinators().get(i);
            out.append(i > 0 ? ",{" : "{");
            field(out, "flow", c.flow()).append(',');
            field(out, "state", c.state()).append(",\"count\":");
            number(out, c.count()).append('}');
        }
        out.append("],\"parked\":");
        number(out, s.coordinatorsParked()).append("}}");
    }

    private static void writeCounts(StringBuilder out, Counts c) {
        out.append("{\"eventsIn\":");
        number(out, c.eventsIn()).append(",\"deadLetters\":");
        number(out, c.deadLetters()).append(",\"deadLettersByReason\":");
        map(out, c.deadLettersByReason()).append(",\"jobsStarted\":");
        number(out, c.jobsStarted()).append(",\"jobsFinished\":");
        number(out, c.jobsFinished()).append(",\"devicesExpanded\":");
        number(out, c.devicesExpanded()).append(",\"pushes\":");
        number(out, c.pushes()).append(",\"pushesByOutcome\":");
        map(out, c.pushesByOutcome()).append(",\"pushesByLane\":");
        map(out, c.pushesByLane()).append(",\"retries\":");
        number(out, c.retries()).append(",\"deduplicated\":");
        number(out, c.deduplicated()).append(",\"coordinatorsStarted\":");
        number(out, c.coordinatorsStarted()).append(",\"coordinatorsStartedByFlow\":");
        map(out, c.coordinatorsByFlow()).append(",\"coordinatorTransitions\":");
        number(out, c.coordinatorTransitions()).append('}');
    }

    private static StringBuilder map(StringBuilder out, Map<String, Double> values) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, e.getKey()).append(':');
            number(out, e.getValue());
        }
        return out.append('}');
    }

    private static StringBuilder field(StringBuilder out, String name, String value) {
        string(out, name).append(':');
        return value == null ? out.append("null") : string(out, value);
    }

    /** A number rounded to 3 decimals, whole numbers without a fraction; NaN, infinities and null as {@code null}. */
    static StringBuilder number(StringBuilder out, Double value) {
        if (value == null || !Double.isFinite(value)) {
            return out.append("null");
        }
        double v = value;
        if (Math.abs(v) >= 1e15) {
            return out.append(v);
        }
        double rounded = Math.round(v * 1000) / 1000.0;
        return rounded == Math.rint(rounded) ? out.append((long) rounded) : out.append(rounded);
    }

    static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '<' -> out.append("\\u003c");   // never "</script>" nor markup, wherever the JSON ends up
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
