package io.pushline.app;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Consumer lag in records, from the AdminClient: end offsets minus committed offsets. */
final class ConsumerLag {
    private final Admin admin;

    ConsumerLag(Admin admin) {
        this.admin = admin;
    }

    /** Records not yet consumed and committed by {@code groupId} on {@code topics}. */
    long lag(String groupId, Collection<String> topics) {
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, description) -> {
                for (TopicPartitionInfo partition : description.partitions()) {
                    latest.put(new TopicPartition(name, partition.partition()), OffsetSpec.latest());
                }
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end : ends.entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                lag += Math.max(0, end.getValue().offset() - (done == null ? 0 : done.offset()));
            }
            return lag;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading consumer lag", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not read consumer lag of " + groupId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until {@code groupId} has consumed everything on {@code topics}, twice in a row (so records produced by the
     * group itself into its own input topics are caught up too), at most {@code timeout}.
     */
    void awaitCaughtUp(String groupId, Collection<String> topics, Duration timeout) {
        awaitCondition(() -> lag(groupId, topics) == 0 && lag(groupId, topics) == 0, timeout,
                () -> "group " + groupId + " still has " + lag(groupId, topics) + " records of lag on " + topics);
    }

    static void awaitCondition(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> failure) {
        Instant deadline = Instant.now().plus(timeout);
        long pauseMillis = 20;
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("timed out after " + timeout + ": " + failure.get());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(pauseMillis);   // polling interval of a bounded wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            pauseMillis = Math.min(500, pauseMillis * 2);
        }
    }
}
