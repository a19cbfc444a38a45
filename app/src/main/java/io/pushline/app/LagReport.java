package io.pushline.app;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Consumer lag per group, topic and partition, in records and in seconds. Records: the partition's end offset minus the
 * group's committed offset (what {@code kafka-consumer-groups --describe} shows). Seconds: how old the oldest unconsumed
 * record is, read at the committed offset (its timestamp against now); 0 when nothing waits. A group that has not
 * committed a partition is measured from the partition's start (Pushline's consumers start at the earliest offset).
 */
final class LagReport {
    /**
     * One partition of one group.
     *
     * @param committed  the group's committed offset, or -1 if it has none
     * @param lagSeconds age of the oldest unconsumed record; 0 if none waits; -1 if it could not be read in time
     */
    record Row(String group, String topic, int partition, long committed, long end, long lag, double lagSeconds) {
    }

    private LagReport() {
    }

    /**
     * The lag of {@code group} on every partition it has committed offsets for, plus {@code topics}' partitions it has
     * not committed yet.
     *
     * @param probe a consumer used only to read the record at each committed offset (assign and seek; never subscribes)
     */
    static List<Row> read(Admin admin, KafkaConsumer<byte[], byte[]> probe, String group, Instant now) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        committed.keySet().forEach(tp -> {
            latest.put(tp, OffsetSpec.latest());
            earliest.put(tp, OffsetSpec.earliest());
        });
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS);
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
            TopicPartition tp = e.getKey();
            long end = ends.get(tp).offset();
            long from = e.getValue() == null ? starts.get(tp).offset() : e.getValue().offset();
            long lag = Math.max(0, end - from);
            double seconds = lag == 0 ? 0 : ageOfRecordAt(probe, tp, from, end, now);
            rows.add(new Row(group, tp.topic(), tp.partition(), e.getValue() == null ? -1 : e.getValue().offset(), end, lag, seconds));
        }
        rows.sort(Comparator.comparing(Row::topic).thenComparingInt(Row::partition));
        return rows;
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
