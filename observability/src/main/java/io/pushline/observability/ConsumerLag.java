package io.pushline.observability;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Consumer lag, the one implementation behind {@code pushline lag}, the {@code pushline_consumer_lag_*} gauges, the
 * expansion gate and the local stack's waits.
 *
 * <p>Records: a partition's end offset minus the group's committed offset (what {@code kafka-consumer-groups --describe}
 * shows). A partition the group has not committed yet (a group that never committed, or a partition added since) is
 * measured from the partition's <em>log start</em> offset: Pushline's consumers start at the earliest offset, so that
 * is what the group still has to read; measuring from 0 would over-count a topic whose old records were deleted.
 * Seconds: how old the oldest unconsumed record is, read at that offset (its timestamp against now); 0 when nothing
 * waits.
 *
 * <p>Each call asks the cluster afresh; an instance holds only the {@link Admin} it was given (not closed here). Calls
 * that take a probe consumer use it from the calling thread only.
 */
public final class ConsumerLag {
    private static final long TIMEOUT_SECONDS = 30;

    /**
     * One partition of one group.
     *
     * @param committed  the group's committed offset, or -1 if it has none
     * @param lagSeconds age of the oldest unconsumed record; 0 if none waits; -1 if it could not be read in time
     */
    public record Row(String group, String topic, int partition, long committed, long end, long lag, double lagSeconds) {
    }

    private final Admin admin;

    public ConsumerLag(Admin admin) {
        this.admin = admin;
    }

    /**
     * A group's backlog on some topics: {@code lag} records not yet consumed and committed, and {@code committed} the sum
     * of its committed offsets (what it has consumed in all, so that two readings give its rate).
     */
    public record Backlog(long lag, long committed) {
    }

    /** Records not yet consumed and committed by {@code groupId} on every partition of {@code topics}. */
    public long lag(String groupId, Collection<String> topics) {
        return backlog(groupId, topics).lag();
    }

    /** The backlog of {@code groupId} on every partition of {@code topics}, with its committed offsets' sum. */
    public Backlog backlog(String groupId, Collection<String> topics) {
        try {
            Map<TopicPartition, Long> positions = positions(groupId, partitionsOf(topics)).positions();
            Map<TopicPartition, Long> ends = offsets(positions.keySet(), OffsetSpec.latest());
            long lag = 0;
            long committed = 0;
            for (Map.Entry<TopicPartition, Long> p : positions.entrySet()) {
                if (topics.contains(p.getKey().topic())) {
                    lag += Math.max(0, ends.get(p.getKey()) - p.getValue());
                    committed += p.getValue();
                }
            }
            return new Backlog(lag, committed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading consumer lag", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not read consumer lag of " + groupId + ": " + e.getMessage(), e);
        }
    }

    /**
     * The lag of {@code group}, per partition, on every partition it has committed offsets for, plus the partitions of
     * {@code topics} it has not committed yet; sorted by topic and partition.
     *
     * @param probe a consumer used only to read the record at each position (assign and seek; never subscribes)
     */
    public List<Row> rows(KafkaConsumer<byte[], byte[]> probe, String group, Collection<String> topics, Instant now)
            throws InterruptedException, ExecutionException, TimeoutException {
        Positions at = positions(group, partitionsOf(topics));
        Map<TopicPartition, Long> ends = offsets(at.positions().keySet(), OffsetSpec.latest());
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<TopicPartition, Long> p : at.positions().entrySet()) {
            TopicPartition tp = p.getKey();
            long end = ends.get(tp);
            long lag = Math.max(0, end - p.getValue());
            double seconds = lag == 0 ? 0 : ageOfRecordAt(probe, tp, p.getValue(), end, now);
            rows.add(new Row(group, tp.topic(), tp.partition(), at.committed().getOrDefault(tp, -1L), end, lag, seconds));
        }
        rows.sort(Comparator.comparing(Row::topic).thenComparingInt(Row::partition));
        return rows;
    }

    /** A group's committed offsets, and where it stands on each partition (committed, or else the log start). */
    private record Positions(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> positions) {
    }

    private Positions positions(String group, Collection<TopicPartition> alsoThese)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> listed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, Long> committed = new HashMap<>();
        listed.forEach((tp, offset) -> {
            if (offset != null) {
                committed.put(tp, offset.offset());
            }
        });
        List<TopicPartition> uncommitted = new ArrayList<>();
        for (TopicPartition tp : listed.keySet()) {
            if (!committed.containsKey(tp)) {
                uncommitted.add(tp);
            }
        }
        for (TopicPartition tp : alsoThese) {
            if (!committed.containsKey(tp) && !uncommitted.contains(tp)) {
                uncommitted.add(tp);
            }
        }
        Map<TopicPartition, Long> positions = new HashMap<>(committed);
        positions.putAll(offsets(uncommitted, OffsetSpec.earliest()));
        return new Positions(committed, positions);
    }

    private List<TopicPartition> partitionsOf(Collection<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> partitions = new ArrayList<>();
        if (topics.isEmpty()) {
            return partitions;
        }
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).forEach((name, description) -> {
            for (TopicPartitionInfo partition : description.partitions()) {
                partitions.add(new TopicPartition(name, partition.partition()));
            }
        });
        return partitions;
    }

    private Map<TopicPartition, Long> offsets(Collection<TopicPartition> partitions, OffsetSpec spec)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        if (partitions.isEmpty()) {
            return offsets;
        }
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> answer = admin.listOffsets(request).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        answer.forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    /** Seconds since the first record at or after {@code offset} was written; -1 if none could be read within 5 s. */
    private static double ageOfRecordAt(KafkaConsumer<byte[], byte[]> probe, TopicPartition tp, long offset, long end, Instant now) {
        probe.assign(List.of(tp));
        probe.seek(tp, offset);
        Instant deadline = Instant.now().plusSeconds(5);
        while (Instant.now().isBefore(deadline) && probe.position(tp) < end) {
            for (ConsumerRecord<byte[], byte[]> r : probe.poll(Duration.ofMillis(200)).records(tp)) {
                return Math.max(0, (now.toEpochMilli() - r.timestamp()) / 1000.0);
            }
        }
        return -1;
    }
}
