package io.pushline.workers;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class OffsetTrackerTest {
    private final TopicPartition p0 = new TopicPartition("pushline.push.bulk", 0);
    private final TopicPartition p1 = new TopicPartition("pushline.push.bulk", 1);

    @Test
    void outOfOrderCompletionCommitsOnlyPastTheLowestUnfinishedRecord() {
        OffsetTracker tracker = new OffsetTracker();
        for (long offset = 0; offset < 4; offset++) {
            tracker.dispatched(p0, offset);
        }
        tracker.finished(p0, 3);
        tracker.finished(p0, 1);
        tracker.finished(p0, 2);
        assertThat(tracker.committable(p0)).isEqualTo(OptionalLong.of(0));
        Map<TopicPartition, Long> first = tracker.toCommit();
        assertThat(first).containsEntry(p0, 0L);
        tracker.markCommitted(first);
        assertThat(tracker.toCommit()).as("nothing moved").isEmpty();

        tracker.finished(p0, 0);
        assertThat(tracker.toCommit()).containsExactlyEntriesOf(Map.of(p0, 4L));
        tracker.markCommitted(Map.of(p0, 4L));
        assertThat(tracker.toCommit()).as("offset 4 is committed exactly once").isEmpty();
    }

    @Test
    void partitionsAreIndependentAndRevokedOnesAreForgotten() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.dispatched(p0, 10);
        tracker.dispatched(p1, 5);
        tracker.finished(p1, 5);
        assertThat(tracker.toCommit()).containsEntry(p0, 10L).containsEntry(p1, 6L);
        assertThat(tracker.unfinished(List.of(p0))).isEqualTo(1);
        tracker.forget(List.of(p0));
        tracker.finished(p0, 10);   // a late completion of a revoked partition is ignored
        assertThat(tracker.toCommit()).containsOnlyKeys(p1);
    }

    @Test
    void awaitFinishedReturnsWhenTheLastRecordFinishes() throws Exception {
        OffsetTracker tracker = new OffsetTracker();
        tracker.dispatched(p0, 0);
        Thread finisher = new Thread(() -> tracker.finished(p0, 0));
        finisher.start();
        assertThat(tracker.awaitFinished(List.of(p0), 10_000)).isTrue();
        finisher.join();
        tracker.dispatched(p0, 1);
        assertThat(tracker.awaitFinished(List.of(p0), 1)).as("times out while unfinished").isFalse();
    }

    @Test
    void anIdlePartitionCommitsPastTransactionMarkersButNeverPastUnfinishedRecords() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.dispatched(p0, 0);
        tracker.idleAt(p0, 2);           // offset 1 is a marker, but record 0 is unfinished
        assertThat(tracker.toCommit()).containsEntry(p0, 0L);
        tracker.finished(p0, 0);
        assertThat(tracker.toCommit()).containsEntry(p0, 1L);
        tracker.idleAt(p0, 2);
        assertThat(tracker.toCommit()).containsEntry(p0, 2L);
        tracker.idleAt(p1, 7);           // nothing dispatched yet: the position alone is committable
        assertThat(tracker.toCommit()).containsEntry(p1, 7L);
    }

    @Test
    void aRecordReadButNotDispatchedHoldsTheCommitThoughLaterOnesOfItsPartitionFinish() throws Exception {
        OffsetTracker tracker = new OffsetTracker();
        for (long offset = 0; offset < 5; offset++) {
            tracker.received(p0, offset);
        }
        // Another app's turn: 3 and 4 go first and finish; 0..2 still wait their app's turn.
        tracker.dispatched(p0, 3);
        tracker.dispatched(p0, 4);
        tracker.finished(p0, 3);
        tracker.finished(p0, 4);
        assertThat(tracker.committable(p0)).isEqualTo(OptionalLong.of(0));
        assertThat(tracker.unfinished()).as("waiting records are not in flight: a drain does not wait for them").isZero();
        assertThat(tracker.awaitFinished(List.of(p0), 1)).isTrue();
        tracker.idleAt(p0, 5);
        assertThat(tracker.committable(p0)).as("an idle position does not pass waiting records").isEqualTo(OptionalLong.of(0));

        tracker.dispatched(p0, 0);
        tracker.finished(p0, 0);
        assertThat(tracker.committable(p0)).isEqualTo(OptionalLong.of(1));
        tracker.dispatched(p0, 1);
        tracker.dispatched(p0, 2);
        tracker.finished(p0, 2);
        assertThat(tracker.committable(p0)).isEqualTo(OptionalLong.of(1));
        tracker.finished(p0, 1);
        assertThat(tracker.committable(p0)).isEqualTo(OptionalLong.of(5));
    }
}
