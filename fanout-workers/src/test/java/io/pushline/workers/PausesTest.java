package io.pushline.workers;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PausesTest {
    private static final TopicPartition LANE_0 = new TopicPartition("pushline.push.bulk", 0);
    private static final TopicPartition LANE_1 = new TopicPartition("pushline.push.bulk", 1);
    private static final TopicPartition RETRY_0 = new TopicPartition("pushline.push.bulk.retry-5s", 0);
    private static final TopicPartition RETRY_1 = new TopicPartition("pushline.push.bulk.retry-5s", 1);
    private static final List<TopicPartition> ASSIGNMENT = List.of(LANE_0, LANE_1, RETRY_0, RETRY_1);

    private static Set<TopicPartition> wanted(Set<Integer> restored, boolean backlog, boolean full, Set<TopicPartition> holding) {
        return Pauses.wanted(ASSIGNMENT, restored::contains, backlog, t -> t.contains(".retry-"), full, holding::contains);
    }

    @Test
    void withDemandAndNothingWaitingEverythingRuns() {
        assertThat(wanted(Set.of(0, 1), false, false, Set.of())).isEmpty();
    }

    @Test
    void recordsWaitingForDemandPauseEveryPartition() {
        assertThat(wanted(Set.of(0, 1), true, false, Set.of())).containsExactlyInAnyOrderElementsOf(ASSIGNMENT);
    }

    @Test
    void partitionsWhoseReceiptsAreNotRestoredStayPausedWhateverTheDemand() {
        assertThat(wanted(Set.of(0), false, false, Set.of())).containsExactlyInAnyOrder(LANE_1, RETRY_1);
    }

    @Test
    void aRetryPartitionPausesWhileItsHeadWaitsAndEveryRetryPartitionWhileTheWaitingRetriesAreAtTheirBound() {
        assertThat(wanted(Set.of(0, 1), false, false, Set.of(RETRY_1))).containsExactly(RETRY_1);
        assertThat(wanted(Set.of(0, 1), false, true, Set.of())).containsExactlyInAnyOrder(RETRY_0, RETRY_1);
    }
}
