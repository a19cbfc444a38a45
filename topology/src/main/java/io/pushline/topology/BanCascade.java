package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * The ban cascade on one partition of the follower-partitioned state, hosted by {@link ExpansionProcessor} (the content
 * side of a ban is {@link ModerationProcessor}'s). Bans reach every partition. Each records the profile as banned (so no
 * fanout by it starts here again, and an edge to or from it that arrives later is tombstoned instead of indexed), has
 * its running fanouts by the profile cancelled, and removes its follow edges that touch the profile: first those where
 * the profile is followed (found in the follow index), then, on the profile's own partition, those where it follows
 * (found in the index keyed {@code follower|followee}). Removal is paged with a cursor in a changelog-backed store, like
 * a fanout: at most a budget of edges per page, so memory and transactions stay bounded however many followers the
 * profile has, and after a crash the removal resumes from its last committed cursor.
 *
 * <p>Which edges a page removes and what the job is after it is {@link #page}'s decision, pure; this class reads and
 * writes its two stores (bans, edge jobs) and reaches the follow indexes and the fanouts only through {@link Edges} and
 * {@link Fanouts}. Not thread-safe: it runs on its task's stream thread, like its host.
 */
final class BanCascade {
    private static final Logger log = LoggerFactory.getLogger(BanCascade.class);

    /** Banned profile → the id of the ban event. */
    static final String BANNED = "banned-authors";
    /** Banned profile → its {@link EdgeJob} while its edges on this partition are being removed. */
    static final String EDGE_JOBS = "ban-edge-jobs";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which edges of a banned profile an edge job is removing: first those to it, then those from it. */
    enum EdgePhase { FOLLOWERS, FOLLOWING }

    /** Removal of a banned profile's follow edges on this partition; {@code cursor} is the last other end done. */
    record EdgeJob(String banEventId, String profileId, EdgePhase phase, String cursor, long removed) {}

    /** The follow indexes of the partition, as far as the cascade needs them. */
    interface Edges {
        /**
         * Up to {@code max} other ends of {@code profileId}'s edges, in key order, strictly after {@code after} (null:
         * from the first): its followers for {@link EdgePhase#FOLLOWERS}, those it follows for
         * {@link EdgePhase#FOLLOWING}.
         */
        List<String> ends(String profileId, EdgePhase phase, String after, int max);

        /** Removes the edge {@code follower → followee}: from both indexes, tombstoned on the follows topic, counted. */
        void remove(String follower, String followee, long timestamp);
    }

    /** The fanouts running on the partition. */
    interface Fanouts {
        /** Cancels every running fanout by {@code profileId}: it emits nothing more. */
        void cancelBy(String profileId, String banEventId);
    }

    /** What one page of an edge job does. */
    sealed interface Page permits More, NextPhase, Finished {
        /** The other ends whose edges to remove, in order. */
        List<String> remove();
    }

    /** The phase has edges beyond this page: {@code job} (its cursor the last end removed) goes on next page. */
    record More(List<String> remove, EdgeJob job) implements Page {}

    /** The phase is done with this page; {@code job} is the next phase, from its start, to go on with at once. */
    record NextPhase(List<String> remove, EdgeJob job) implements Page {}

    /** The last phase is done with this page: {@code removed} edges in all. */
    record Finished(List<String> remove, long removed) implements Page {}

    private final KeyValueStore<String, byte[]> banned;
    private final KeyValueStore<String, byte[]> edgeJobs;
    private final Edges edges;
    private final Fanouts fanouts;
    private final int pageSize;
    private final int partition;

    /**
     * @param banned    the store {@value #BANNED}
     * @param edgeJobs  the store {@value #EDGE_JOBS}
     * @param pageSize  edges removed at most per page (on the ban, and per punctuation over all edge jobs)
     * @param partition the task's partition, for logs
     */
    BanCascade(KeyValueStore<String, byte[]> banned, KeyValueStore<String, byte[]> edgeJobs, Edges edges, Fanouts fanouts,
               int pageSize, int partition) {
        this.banned = Objects.requireNonNull(banned, "banned");
        this.edgeJobs = Objects.requireNonNull(edgeJobs, "edgeJobs");
        this.edges = Objects.requireNonNull(edges, "edges");
        this.fanouts = Objects.requireNonNull(fanouts, "fanouts");
        this.pageSize = pageSize;
        this.partition = partition;
    }

    boolean isBanned(String profileId) {
        return banned.get(profileId) != null;
    }

    /**
     * The profile's fanouts on this partition stop, no new one starts, and its follow edges here are removed in pages,
     * the first at once. Jobs and bans of one author reach every partition in the order they were published (both are
     * keyed by the author on the events topic), so a fanout published before the ban is cancelled wherever it runs.
     * A repeated ban does nothing: the first one did the work.
     */
    void onBan(String banEventId, String profileId, long timestamp) {
        if (isBanned(profileId)) {
            return;
        }
        banned.put(profileId, RouterProcessor.utf8(banEventId));
        fanouts.cancelBy(profileId, banEventId);
        EdgeJob job = new EdgeJob(banEventId, profileId, EdgePhase.FOLLOWERS, null, 0);
        edgeJobs.put(profileId, write(job));
        removeEdges(job, pageSize, timestamp);
    }

    /** Whether an edge removal is running on this partition. */
    boolean removing() {
        try (KeyValueIterator<String, byte[]> running = edgeJobs.all()) {
            return running.hasNext();
        }
    }

    /** One bounded page of follow-edge removals over every running edge job. */
    void removeEdgePages(long timestamp) {
        int budget = pageSize;
        try (KeyValueIterator<String, byte[]> running = edgeJobs.all()) {
            while (running.hasNext() && budget > 0) {
                budget -= removeEdges(read(running.next().value), budget, timestamp);
            }
        }
    }

    /** Removes up to {@code budget} edges of {@code job} from its cursor, moving on to the next phase; returns how many. */
    private int removeEdges(EdgeJob job, int budget, long timestamp) {
        // One end more than the budget tells whether the phase goes on after this page.
        int max = budget == Integer.MAX_VALUE ? budget : budget + 1;
        Page page = page(job, edges.ends(job.profileId(), job.phase(), job.cursor(), max), budget);
        for (String other : page.remove()) {
            if (job.phase() == EdgePhase.FOLLOWERS) {
                edges.remove(other, job.profileId(), timestamp);
            } else {
                edges.remove(job.profileId(), other, timestamp);
            }
        }
        int removed = page.remove().size();
        if (page instanceof More more) {
            edgeJobs.put(job.profileId(), write(more.job()));
        } else if (page instanceof NextPhase next) {
            edgeJobs.put(job.profileId(), write(next.job()));
            removed += budget > removed ? removeEdges(next.job(), budget - removed, timestamp) : 0;
        } else if (page instanceof Finished finished) {
            edgeJobs.delete(job.profileId());
            log.info("ban {}: {} follow edges of profile {} removed on partition {}", job.banEventId(), finished.removed(),
                    job.profileId(), partition);
        }
        return removed;
    }

    /**
     * One page of an edge job: which of {@code ends} (the other ends after the job's cursor, in order; more than
     * {@code budget} of them if the phase has more) to remove, and the job after them.
     */
    static Page page(EdgeJob job, List<String> ends, int budget) {
        if (budget < 0) {
            throw new IllegalArgumentException("budget must be >= 0, was " + budget);
        }
        if (ends.size() > budget) {
            List<String> remove = List.copyOf(ends.subList(0, budget));
            String cursor = remove.isEmpty() ? job.cursor() : remove.get(remove.size() - 1);
            return new More(remove, new EdgeJob(job.banEventId(), job.profileId(), job.phase(), cursor, job.removed() + remove.size()));
        }
        List<String> remove = List.copyOf(ends);
        long removed = job.removed() + remove.size();
        if (job.phase() == EdgePhase.FOLLOWERS) {
            return new NextPhase(remove, new EdgeJob(job.banEventId(), job.profileId(), EdgePhase.FOLLOWING, null, removed));
        }
        return new Finished(remove, removed);
    }

    private static byte[] write(EdgeJob job) {
        try {
            return JSON.writeValueAsBytes(job);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static EdgeJob read(byte[] bytes) {
        try {
            return JSON.readValue(bytes, EdgeJob.class);
        } catch (IOException e) {
            throw new UncheckedIOException(EDGE_JOBS + " store entry is unreadable", e);
        }
    }
}
