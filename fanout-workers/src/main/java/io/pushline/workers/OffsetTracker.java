package io.pushline.workers;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Tracks received, dispatched and finished offsets per partition, so that commits never pass an unfinished record even
 * when records finish out of order (finishing 3, 1, 2, 0 makes offset 4 committable once, after 0 finishes), nor a
 * record read but not dispatched yet, which apps' shares may dispatch after later ones of its partition.
 *
 * <p>Thread-safe: records finish on provider threads while the poll thread dispatches and commits.
 */
final class OffsetTracker {
    private static final class PartitionState {
        final TreeSet<Long> unfinished = new TreeSet<>();
        final TreeSet<Long> waiting = new TreeSet<>();   // received, not dispatched yet
        long nextToCommit = -1;     // highest received + 1, once anything was received
        long lastCommitted = -1;
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    /** A record read and waiting to be dispatched: no commit passes it until it is dispatched and finished. */
    synchronized void received(TopicPartition partition, long offset) {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        state.waiting.add(offset);
        state.nextToCommit = Math.max(state.nextToCommit, offset + 1);
    }

    /** A record dispatched (received before, or not): unfinished until {@link #finished}. */
    synchronized void dispatched(TopicPartition partition, long offset) {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        state.waiting.remove(offset);
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
        if (state.unfinished.isEmpty() && state.waiting.isEmpty() && position > state.nextToCommit) {
            state.nextToCommit = position;
        }
    }

    /**
     * The offset to commit for a partition: the lowest record unfinished or waiting to be dispatched, or one past the
     * highest received.
     */
    synchronized OptionalLong committable(TopicPartition partition) {
        PartitionState state = partitions.get(partition);
        if (state == null || state.nextToCommit < 0) {
            return OptionalLong.empty();
        }
        long offset = state.nextToCommit;
        if (!state.unfinished.isEmpty()) {
            offset = Math.min(offset, state.unfinished.first());
        }
        if (!state.waiting.isEmpty()) {
            offset = Math.min(offset, state.waiting.first());
        }
        return OptionalLong.of(offset);
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
