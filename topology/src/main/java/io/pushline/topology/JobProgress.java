package io.pushline.topology;

import java.time.Instant;
import java.util.Objects;

/**
 * Progress of one fanout job on one partition, as the partition's expansion last checkpointed it. A fanout runs on every
 * partition at once, each over its own share of the author's followers, so a job's whole progress is the sum over
 * partitions; a partition that has finished its share no longer reports the job (it leaves the job store), and a
 * partition whose share was empty never stored it.
 *
 * <p>Immutable. Counts come from the changelog-backed job store, so they survive restarts and rebalances.
 *
 * @param eventId          the id of the {@code TimelinePosted} event being expanded
 * @param authorId         the post's author
 * @param partition        the partition (stream task) this progress belongs to
 * @param state            whether the job still runs here or a ban cancelled it
 * @param followersTotal   followers of the author on this partition when the job started here, or {@link #UNKNOWN}
 *                         for a job started by a version that did not count them. Follows and unfollows during the job
 *                         may make it pass a few more or fewer followers than this.
 * @param followersDone    followers the job's cursor has passed here (devices or not)
 * @param devicesExpanded  push tasks the job has emitted here
 * @param startedAt        when the job started on this partition (the stream task's wall clock), or null if unknown
 * @param asOf             the wall-clock time {@code etaSeconds} was computed at
 * @param etaSeconds       remaining followers ÷ followers per second since {@code startedAt}; NaN while no progress is
 *                         measurable (none yet, no time elapsed, total or start unknown) or once cancelled
 */
public record JobProgress(String eventId, String authorId, int partition, State state, long followersTotal,
                          long followersDone, long devicesExpanded, Instant startedAt, Instant asOf, double etaSeconds) {
    /** {@link #followersTotal()} of a job whose total was not recorded. */
    public static final long UNKNOWN = -1;

    /** Where a job stands on a partition. A job that finished its share is no longer in the store. */
    public enum State { RUNNING, CANCELLED }

    public JobProgress {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(authorId, "authorId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(asOf, "asOf");
    }

    /** Followers still to do on this partition by the start-time total (never negative), or {@link #UNKNOWN}. */
    public long followersRemaining() {
        return followersTotal == UNKNOWN ? UNKNOWN : Math.max(0, followersTotal - followersDone);
    }

    /** The same progress with its ETA computed at {@code now}. */
    JobProgress at(Instant now) {
        return new JobProgress(eventId, authorId, partition, state, followersTotal, followersDone, devicesExpanded, startedAt,
                now, state == State.RUNNING ? eta(followersTotal, followersDone, startedAt, now) : Double.NaN);
    }

    /** Remaining followers at the average rate since {@code startedAt}; NaN when there is no rate to go by. */
    static double eta(long total, long done, Instant startedAt, Instant now) {
        if (total == UNKNOWN || startedAt == null || done <= 0) {
            return Double.NaN;
        }
        long elapsedMs = now.toEpochMilli() - startedAt.toEpochMilli();
        if (elapsedMs <= 0) {
            return Double.NaN;   // the first page goes out as the job starts: done, but no time to divide by yet
        }
        long remaining = Math.max(0, total - done);
        return remaining * (elapsedMs / 1000.0) / done;
    }
}
