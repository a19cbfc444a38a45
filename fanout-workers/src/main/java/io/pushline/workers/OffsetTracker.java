package io.pushline.workers;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Tracks dispatched and finished offsets per partition, so that commits never pass an unfinished record even when
 * records finish out of order (finishing 3, 1, 2, 0 makes offset 4 committable once, after 0 finishes).
 *
 * <p>Thread-safe: records finish on provider threads while the poll thread dispatches and commits.
 */
final class OffsetTracker {
    private static final class PartitionState {
        final TreeSet<Long> unfinished = new TreeSet<>();
        long nextToCommit = -1;     // highest dispatched + 1, once anything was dispatched
        long lastCommitted = -1;
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    synchronized void dispatched(TopicPartition partition, long offset) {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        state.unfinished.add(offset);
        state.nextToCommit = Math.max(state.nextToCommit, offset + 1);
    }

    /** Marks a record finished; finishing a record of a partition no longer tracked (revoked) is ignored. */
    synchronized void finished(TopicPartition partition, long offset) {
        PartitionState state = partitions.get(partition);
        if (state != null) {
            state.unfinished.remove(offset);
        }
        notifyAll();
    }

    /** Waits until the given partitions have no unfinished record, at most {@code timeoutMillis}; true if they drained. */
    synchronized boolean awaitFinished(Collection<TopicPartition> of, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (unfinished(of) > 0) {
            long leftMillis = (deadline - System.nanoTime()) / 1_000_000L;
            if (leftMillis <= 0) {
                return false;
            }
            wait(leftMillis);
        }
        return true;
    }

    synchronized java.util.Set<TopicPartition> tracked() {
        return java.util.Set.copyOf(partitions.keySet());
    }

    /**
     * The consumer's position moved past offsets that hold no record for us (transaction markers, compacted gaps):
     * when nothing of the partition is unfinished, everything below {@code position} may be committed. Without this,
     * a partition written transactionally would show a lag of one marker forever.
     */
    synchronized void idleAt(TopicPartition partition, long position) {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        if (state.unfinished.isEmpty() && position > state.nextToCommit) {
            state.nextToCommit = position;
        }
    }

    /** The offset to commit for a partition: the lowest unfinished record, or one past the highest dispatched. */
    synchronized OptionalLong committable(TopicPartition partition) {
        PartitionState state = partitions.get(partition);
        if (state == null || state.nextToCommit < 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(state.unfinished.isEmpty() ? state.nextToCommit : state.unfinished.first());
    }

    /** Offsets that moved since the last {@link #markCommitted}; empty when nothing changed. */
    synchronized Map<TopicPartition, Long> toCommit() {
        Map<TopicPartition, Long> result = new HashMap<>();
        for (Map.Entry<TopicPartition, PartitionState> entry : partitions.entrySet()) {
            OptionalLong offset = committable(entry.getKey());
            if (offset.isPresent() && offset.getAsLong() > entry.getValue().lastCommitted) {
                result.put(entry.getKey(), offset.getAsLong());
            }
        }
        return result;
    }

    synchronized void markCommitted(Map<TopicPartition, Long> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionState state = partitions.get(partition);
            if (state != null) {
                state.lastCommitted = Math.max(state.lastCommitted, offset);
            }
        });
    }

    synchronized int unfinished(Collection<TopicPartition> of) {
        int count = 0;
        for (TopicPartition partition : of) {
            PartitionState state = partitions.get(partition);
            count += state == null ? 0 : state.unfinished.size();
        }
        return count;
    }

    synchronized int unfinished() {
        return unfinished(partitions.keySet());
    }

    synchronized void forget(Collection<TopicPartition> revoked) {
        revoked.forEach(partitions::remove);
    }
}
