package io.pushline.pipeline;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;
import io.pushline.workers.ReceiptsConfig;
import io.pushline.workers.WorkerConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How long a deployment keeps push receipts: from its pushes' TTLs and its lanes' retries, or as tuned. */
class PipelineReceiptsTest {
    private static final List<WorkerConfig> LANES = List.of(WorkerConfig.defaults(Lane.HIGH), WorkerConfig.defaults(Lane.BULK));

    @Test
    void byDefaultReceiptsOutliveTheLongestPushTtlPlusTheRetryHorizonAsTheCatalogueSays() {
        ReceiptsConfig receipts = Pipeline.receipts(Pipeline.Tuning.NONE, LANES);
        assertThat(receipts.maxTaskTtl()).as("the timeline pushes' TTL").isEqualTo(Duration.ofHours(6));
        assertThat(receipts.retryHorizon()).isEqualTo(Duration.ofHours(1));
        assertThat(receipts.retention()).isEqualTo(Topics.PUSH_RECEIPTS_RETENTION);
    }

    @Test
    void aTunedRetentionIsUsedUnlessItIsTooShortAndLongerRetriesWidenTheDefault() {
        assertThat(Pipeline.receipts(Pipeline.Tuning.NONE.receipts(r -> r.withRetention(Duration.ofHours(12))), LANES).retention())
                .isEqualTo(Duration.ofHours(12));
        assertThatThrownBy(() -> Pipeline.receipts(Pipeline.Tuning.NONE.receipts(r -> r.withRetention(Duration.ofHours(2))), LANES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("retention must be at least the longest task TTL (PT6H) plus the retry horizon (PT1H), PT7H, was PT2H");
        WorkerConfig patient = WorkerConfig.defaults(Lane.BULK).withRetryDelays(List.of(Duration.ofMinutes(5), Duration.ofHours(3)));
        assertThat(Pipeline.receipts(Pipeline.Tuning.NONE, List.of(WorkerConfig.defaults(Lane.HIGH), patient)).retention())
                .as("a lane whose retries wait longer widens it").isEqualTo(Duration.ofHours(9));
        assertThatThrownBy(() -> Pipeline.receipts(Pipeline.Tuning.NONE.receipts(r -> ReceiptsConfig.defaults()),
                List.of(WorkerConfig.defaults(Lane.HIGH), patient)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the BULK lane's retries wait up to PT3H");
    }
}
