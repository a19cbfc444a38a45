package io.pushline.observability;

import io.micrometer.core.instrument.Gauge;
import io.pushline.topology.TopologyMetrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import static io.pushline.observability.MeterValues.tagOf;

/**
 * The running fanout jobs, from the topology's per-job, per-partition progress gauges, summed over their partitions.
 *
 * <p>Those gauges exist per job and partition only while the job runs there. So that a job's progress does not go
 * backwards when one of its partitions finishes first, a partition whose gauges went away while the job still runs on
 * others counts as done (all its followers, its last device count, no ETA), until the job has no partition running; then
 * it is forgotten. That memory is why this is an object kept from one sample to the next.
 *
 * <p>Not thread-safe: one reader at a time (the sampler reads under its lock).
 */
final class FanoutJobs {
    private static final List<String> GAUGES = List.of(TopologyMetrics.JOB_FOLLOWERS, TopologyMetrics.JOB_FOLLOWERS_DONE,
            TopologyMetrics.JOB_DEVICES, TopologyMetrics.JOB_ETA);

    private final MeterValues meters;
    /** Partitions of running jobs: event id to partition to its last progress. */
    private final Map<String, Map<String, PartitionProgress>> jobPartitions = new HashMap<>();

    FanoutJobs(MeterValues meters) {
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** The jobs running now, by event id. */
    List<DashboardView.Job> read() {
        Map<String, Map<String, PartitionProgress>> now = new TreeMap<>();
        Map<String, String> authors = new HashMap<>();
        for (String name : GAUGES) {
            for (Gauge g : meters.gauges(name)) {
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
        List<DashboardView.Job> jobs = new ArrayList<>();
        for (Map.Entry<String, Map<String, PartitionProgress>> e : now.entrySet()) {
            Map<String, PartitionProgress> known = jobPartitions.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            for (Map.Entry<String, PartitionProgress> gone : known.entrySet()) {
                if (!e.getValue().containsKey(gone.getKey())) {
                    gone.getValue().finish();
                }
            }
            known.putAll(e.getValue());
            jobs.add(summed(e.getKey(), authors.get(e.getKey()), known.values(), e.getValue().size()));
        }
        return jobs;
    }

    private static DashboardView.Job summed(String eventId, String author, Iterable<PartitionProgress> partitions,
                                            int running) {
        int seen = 0;
        double followers = 0;
        double done = 0;
        double devices = 0;
        double eta = Double.NaN;
        boolean followersKnown = true;
        for (PartitionProgress p : partitions) {
            seen++;
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
        return new DashboardView.Job(eventId, author, seen, running, followersKnown ? followers : null, done, devices,
                Double.isNaN(eta) ? null : eta);
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    /** The last progress seen of a job on a partition. */
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
}
