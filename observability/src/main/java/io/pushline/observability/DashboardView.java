package io.pushline.observability;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the operations dashboard shows: one {@link Sample} of the process's meters and its parts, immutable. The records
 * are the JSON of {@code GET /api/dashboard} too ({@link DashboardJson} writes them as they are): their annotations name
 * and order the fields the page (dashboard.js) reads, so renaming a component here renames a field there.
 *
 * <p>A number is null where its gauge does not exist or is NaN; counters are never null (an absent one counts as 0).
 */
final class DashboardView {
    private DashboardView() {
    }

    /**
     * One reading of the meters.
     *
     * @param at              when it was taken (in the JSON as {@code t}, epoch milliseconds)
     * @param intervalSeconds seconds since the previous sample, null for the first
     * @param rates           counters per second since the previous sample
     * @param totals          counters since the process started
     */
    @JsonPropertyOrder({"t", "interval", "rates", "totals", "lag", "workers", "circuits", "providers", "gate", "jobs",
            "coordinators", "apps"})
    record Sample(@JsonIgnore Instant at, @JsonProperty("interval") Double intervalSeconds, Counts rates, Counts totals,
                  List<Lag> lag, List<WorkerLane> workers, List<Circuit> circuits, List<Provider> providers, Gate gate,
                  List<Job> jobs, Coordinators coordinators, List<App> apps) {
        /** A sample of a process without apps' figures (none expanded yet). */
        Sample(Instant at, Double intervalSeconds, Counts rates, Counts totals, List<Lag> lag, List<WorkerLane> workers,
               List<Circuit> circuits, List<Provider> providers, Gate gate, List<Job> jobs, Coordinators coordinators) {
            this(at, intervalSeconds, rates, totals, lag, workers, circuits, providers, gate, jobs, coordinators, List.of());
        }

        Sample {
            apps = List.copyOf(apps);
            lag = List.copyOf(lag);
            workers = List.copyOf(workers);
            circuits = List.copyOf(circuits);
            providers = List.copyOf(providers);
            jobs = List.copyOf(jobs);
        }

        @JsonProperty("t")
        long epochMillis() {
            return at.toEpochMilli();
        }
    }

    /**
     * Counters: cumulative totals, or rates per second. The sums over their tags ({@link #deadLetters()},
     * {@link #pushes()}, {@link #coordinatorsStarted()}) are derived, so that they always agree with the breakdowns.
     *
     * @param deadLettersByReason router and worker dead letters by {@code reason}
     * @param pushesByOutcome     worker push outcomes; {@link SampleReader#OUTCOMES} always present
     * @param pushesByLane        worker push outcomes (all of them) by {@code lane}
     * @param coordinatorsByFlow  coordinators started by {@code flow}
     */
    @JsonPropertyOrder({"eventsIn", "deadLetters", "deadLettersByReason", "jobsStarted", "jobsFinished", "devicesExpanded",
            "pushes", "pushesByOutcome", "pushesByLane", "retries", "deduplicated", "coordinatorsStarted",
            "coordinatorsStartedByFlow", "coordinatorTransitions"})
    record Counts(double eventsIn, Map<String, Double> deadLettersByReason, double jobsStarted, double jobsFinished,
                  double devicesExpanded, Map<String, Double> pushesByOutcome, Map<String, Double> pushesByLane, double retries,
                  double deduplicated, @JsonProperty("coordinatorsStartedByFlow") Map<String, Double> coordinatorsByFlow,
                  double coordinatorTransitions) {
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

        @JsonProperty("deadLetters")
        double deadLetters() {
            return sum(deadLettersByReason);
        }

        @JsonProperty("pushes")
        double pushes() {
            return sum(pushesByOutcome);
        }

        @JsonProperty("coordinatorsStarted")
        double coordinatorsStarted() {
            return sum(coordinatorsByFlow);
        }

        /**
         * Rates per second from {@code before} to these totals, {@code seconds} apart. Never negative: a counter that went
         * down (a meter removed and registered again) has a rate of 0. A key absent {@code before} counts from 0.
         */
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
    @JsonPropertyOrder({"group", "topic", "partitions", "records", "seconds"})
    record Lag(String group, String topic, int partitions, Double records, Double seconds) {
    }

    /** A worker lane's back-pressure. */
    @JsonPropertyOrder({"lane", "inFlight", "pausedPartitions", "retriesWaiting"})
    record WorkerLane(String lane, Double inFlight, Double pausedPartitions, Double retriesWaiting) {
    }

    /**
     * A circuit breaker in front of a provider.
     *
     * @param state       resilience4j's state name ({@code closed}, {@code open}, {@code half_open}, ...), null if none is 1
     * @param failureRate percentage of failed calls in the window, -1 until the window has enough calls
     */
    @JsonPropertyOrder({"name", "state", "failureRate"})
    record Circuit(String name, String state, Double failureRate) {
    }

    /**
     * An app (tenant) on the bulk lane: its timeline pushes expanded per second since the previous sample and in all,
     * its share of the lane's pushes in the interval (null if there were none), and how long its tasks waited, on
     * average in the interval, from when they were written to their dispatch by a worker (null if none was dispatched).
     */
    @JsonPropertyOrder({"app", "pushesPerSec", "share", "pushes", "waitSeconds"})
    record App(String app, double pushesPerSec, Double share, double pushes, Double waitSeconds) {
    }

    /** Pushes in flight to a platform's providers and waiting for a slot. */
    @JsonPropertyOrder({"platform", "inFlight", "queued"})
    record Provider(String platform, Double inFlight, Double queued) {
    }

    /**
     * The back-pressure between the lanes; each null where its gauge does not exist (the process runs no such role).
     *
     * @param bulkLimit        bulk-lane pushes allowed in flight now (narrowed while the high lane waits)
     * @param expansionHeld    1 while fanout expansion is held back because the bulk lane's backlog is above its bound
     * @param expansionBacklog the bulk lane's backlog the expansion gate last read
     */
    @JsonPropertyOrder({"bulkLimit", "expansionHeld", "expansionBacklog"})
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
    @JsonPropertyOrder({"eventId", "author", "partitions", "partitionsRunning", "followers", "followersDone", "devices",
            "etaSeconds"})
    record Job(String eventId, String author, int partitions, int partitionsRunning, Double followers, double followersDone,
               double devices, Double etaSeconds) {
    }

    /**
     * The coordinators.
     *
     * @param states coordinators waiting, by flow and state, sorted by both
     * @param parked coordinators parked now, null if the gauge does not exist
     */
    @JsonPropertyOrder({"states", "parked"})
    record Coordinators(List<CoordinatorState> states, Double parked) {
        Coordinators {
            states = List.copyOf(states);
        }
    }

    /** Coordinators of a flow in a state. */
    @JsonPropertyOrder({"flow", "state", "count"})
    record CoordinatorState(String flow, String state, Double count) {
    }
}
