package io.pushline.topology;

import io.pushline.contracts.Keys;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The follow edges of one partition of the follower-partitioned state, as {@link ExpansionProcessor} and its
 * {@link BanCascade} read them: the follow index, keyed {@code followee|follower} (an author's followers are one range
 * scan), the follower index, keyed {@code follower|followee} (a banned profile's own follows), and the followers counted
 * per followee, changed exactly when the follow index gains or loses an edge. Memory stays constant: every read is a
 * range scan of a changelog-backed store, paged by its caller.
 *
 * <p>Not thread-safe: its task's stream thread only, like the processor that owns it.
 */
final class FollowIndexes {
    /** Sorts after every character an id may have ({@code [A-Za-z0-9._:@-]}), so it ends a prefix range. */
    private static final String RANGE_END = "~";
    /** Ends an id inside a compound key, so "a1|" never matches "a10|...". */
    private static final String PREFIX_END = "|";
    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, byte[]> followIndex;
    private final KeyValueStore<String, byte[]> followsByFollower;
    private final KeyValueStore<String, Long> followerCounts;

    FollowIndexes(KeyValueStore<String, byte[]> followIndex, KeyValueStore<String, byte[]> followsByFollower,
                  KeyValueStore<String, Long> followerCounts) {
        this.followIndex = Objects.requireNonNull(followIndex, "followIndex");
        this.followsByFollower = Objects.requireNonNull(followsByFollower, "followsByFollower");
        this.followerCounts = Objects.requireNonNull(followerCounts, "followerCounts");
    }

    /**
     * Counts the follow index into the follower counts if that was never done: once, when this version first runs over
     * a follow index filled without counts. One pass in key order, constant memory. Returns the edges counted.
     */
    long countOnce() {
        if (followerCounts.get(ExpansionProcessor.COUNTED) != null) {
            return 0;
        }
        String followee = null;
        long followers = 0;
        long edges = 0;
        try (KeyValueIterator<String, byte[]> all = followIndex.all()) {
            while (all.hasNext()) {
                String next = Keys.first(all.next().key);
                if (!next.equals(followee)) {
                    if (followee != null) {
                        followerCounts.put(followee, followers);
                    }
                    followee = next;
                    followers = 0;
                }
                followers++;
                edges++;
            }
        }
        if (followee != null) {
            followerCounts.put(followee, followers);
        }
        followerCounts.put(ExpansionProcessor.COUNTED, 1L);
        return edges;
    }

    /** Indexes the edge {@code follower → followee} both ways; counted only if it was not there. */
    void add(String follower, String followee) {
        if (followIndex.putIfAbsent(Keys.compound(followee, follower), PRESENT) == null) {
            count(followee, 1);
        }
        followsByFollower.put(Keys.compound(follower, followee), PRESENT);
    }

    /** Drops the edge from both indexes; the follower count changes only if the edge was there. */
    void remove(String follower, String followee) {
        if (followIndex.delete(Keys.compound(followee, follower)) != null) {
            count(followee, -1);
        }
        followsByFollower.delete(Keys.compound(follower, followee));
    }

    /** Followers of {@code followee} on this partition. */
    long followers(String followee) {
        Long count = followerCounts.get(followee);
        return count == null ? 0 : count;
    }

    /** The followers of {@code author} strictly after {@code after} (null: from the first), in key order. Close it. */
    Followers followersAfter(String author, String after) {
        return new Followers(scan(followIndex, author, after), after);
    }

    /**
     * Up to {@code max} other ends of {@code profileId}'s edges strictly after {@code after}: its followers for
     * {@link BanCascade.EdgePhase#FOLLOWERS}, those it follows for {@link BanCascade.EdgePhase#FOLLOWING}.
     */
    List<String> ends(String profileId, BanCascade.EdgePhase phase, String after, int max) {
        KeyValueStore<String, byte[]> index = phase == BanCascade.EdgePhase.FOLLOWERS ? followIndex : followsByFollower;
        List<String> out = new ArrayList<>();
        try (Followers ends = new Followers(scan(index, profileId, after), after)) {
            while (ends.hasNext() && out.size() < max) {
                out.add(ends.next());
            }
        }
        return out;
    }

    private static KeyValueIterator<String, byte[]> scan(KeyValueStore<String, byte[]> index, String first, String after) {
        String prefix = first + PREFIX_END;
        return index.range(prefix + (after == null ? "" : after), prefix + RANGE_END);
    }

    private void count(String followee, long delta) {
        long next = followers(followee) + delta;
        if (next > 0) {
            followerCounts.put(followee, next);
        } else {
            followerCounts.delete(followee);
        }
    }

    /** The second parts of a prefix range, without the cursor that {@code range()} includes (a page before did it). */
    static final class Followers implements Iterator<String>, AutoCloseable {
        private final KeyValueIterator<String, byte[]> range;
        private final String after;
        private String next;

        private Followers(KeyValueIterator<String, byte[]> range, String after) {
            this.range = range;
            this.after = after;
        }

        @Override
        public boolean hasNext() {
            while (next == null && range.hasNext()) {
                String candidate = Keys.second(range.next().key);
                if (!candidate.equals(after)) {
                    next = candidate;
                }
            }
            return next != null;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String out = next;
            next = null;
            return out;
        }

        @Override
        public void close() {
            range.close();
        }
    }
}
