package io.pushline.workers;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DelayedRetriesTest {
    private static final String TOPIC = "pushline.push.bulk.retry-30s";
    private static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    private static ConsumerRecord<String, byte[]> record(int partition, long offset, Instant notBefore) {
        RecordHeaders headers = new RecordHeaders();
        if (notBefore != null) {
            RetryTopics.addTo(headers, 2, notBefore, "test", "origin");
        }
        return new ConsumerRecord<>(TOPIC, partition, offset, 0L, TimestampType.CREATE_TIME, 0, 0, "k", new byte[0],
                headers, Optional.empty());
    }

    private static List<Long> release(DelayedRetries delayed, Instant now) {
        List<Long> offsets = new ArrayList<>();
        delayed.releaseDue(now, r -> offsets.add(r.offset()));
        return offsets;
    }

    @Test
    void onlyDueHeadsAreReleasedSoAPartitionNeverSkipsAWaitingRecord() {
        DelayedRetries delayed = new DelayedRetries();
        delayed.add(record(0, 10, T0.plusSeconds(20)));
        delayed.add(record(0, 11, T0.plusSeconds(5)));     // due earlier, but behind offset 10
        delayed.add(record(1, 7, T0.plusSeconds(1)));
        assertThat(delayed.size()).isEqualTo(3);
        assertThat(delayed.nextDue()).isEqualTo(T0.plusSeconds(1));

        assertThat(release(delayed, T0)).isEmpty();
        assertThat(release(delayed, T0.plusSeconds(6))).containsExactly(7L);
        assertThat(delayed.partitions()).containsExactly(new TopicPartition(TOPIC, 0));
        assertThat(delayed.nextDue()).isEqualTo(T0.plusSeconds(20));

        assertThat(release(delayed, T0.plusSeconds(20))).containsExactly(10L, 11L);
        assertThat(delayed.size()).isZero();
        assertThat(delayed.nextDue()).isNull();
        assertThat(delayed.holds(new TopicPartition(TOPIC, 0))).isFalse();
    }

    @Test
    void aRecordWithoutANotBeforeIsDueAtOnceAndRevokedPartitionsAreDropped() {
        DelayedRetries delayed = new DelayedRetries();
        delayed.add(record(0, 1, null));
        delayed.add(record(1, 1, T0.plusSeconds(60)));
        delayed.add(record(1, 2, T0.plusSeconds(61)));
        assertThat(release(delayed, T0)).containsExactly(1L);
        delayed.remove(List.of(new TopicPartition(TOPIC, 1)));
        assertThat(delayed.size()).isZero();
        assertThat(delayed.partitions()).isEmpty();
    }
}
