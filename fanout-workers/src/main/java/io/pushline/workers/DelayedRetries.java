package io.pushline.workers;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Retry records read from the retry topics and not yet due, per partition, in offset order.
 *
 * <p>Only the head of a partition is ever released, and only once its not-before instant has passed, so a partition's
 * records are dispatched in offset order and its commit can never pass a record still waiting here. The worker pauses
 * a partition while it has records here (the head is not due) and pauses every retry partition while {@link #size()}
 * is at its bound: memory is bounded by that bound plus one poll.
 *
 * <p>Not thread-safe: owned by the poll thread; only {@link #size()} may be read from other threads (for a gauge).
 */
final class DelayedRetries {
    private record Waiting(ConsumerRecord<String, byte[]> record, Instant notBefore) {
    }

    private final Map<TopicPartition, ArrayDeque<Waiting>> partitions = new HashMap<>();
    private volatile int size;

    /** Holds a record behind the others of its partition; one without a readable not-before is due at once. */
    void add(ConsumerRecord<String, byte[]> record) {
        Instant notBefore = RetryTopics.notBefore(record.headers());
        partitions.computeIfAbsent(new TopicPartition(record.topic(), record.partition()), p -> new ArrayDeque<>())
                .add(new Waiting(record, notBefore == null ? Instant.EPOCH : notBefore));
        size++;
    }

    /** Hands every partition's due head records to {@code out}, in offset order; returns how many. */
    int releaseDue(Instant now, Consumer<ConsumerRecord<String, byte[]>> out) {
        int released = 0;
        for (Iterator<ArrayDeque<Waiting>> it = partitions.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Waiting> queue = it.next();
            while (!queue.isEmpty() && !queue.peek().notBefore().isAfter(now)) {
                out.accept(queue.poll().record());
                released++;
            }
            if (queue.isEmpty()) {
                it.remove();
            }
        }
        size -= released;
        return released;
    }

    /** The earliest not-before of the partitions' heads; null when nothing waits. */
    Instant nextDue() {
        Instant next = null;
        for (ArrayDeque<Waiting> queue : partitions.values()) {
            Instant head = queue.peek().notBefore();
            if (next == null || head.isBefore(next)) {
                next = head;
            }
        }
        return next;
    }

    /** Partitions with a record waiting here: they stay paused until it is due. */
    Set<TopicPartition> partitions() {
        return Set.copyOf(partitions.keySet());
    }

    boolean holds(TopicPartition partition) {
        return partitions.containsKey(partition);
    }

    int size() {
        return size;
    }

    /** Drops what waits for these partitions (revoked or lost): uncommitted, they are read again by the next owner. */
    void remove(Collection<TopicPartition> gone) {
        for (TopicPartition partition : gone) {
            ArrayDeque<Waiting> queue = partitions.remove(partition);
            if (queue != null) {
                size -= queue.size();
            }
        }
    }

    void clear() {
        partitions.clear();
        size = 0;
    }
}
