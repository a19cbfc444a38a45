package io.pushline.workers;

import io.pushline.contracts.Lane;
import io.pushline.contracts.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReceiptsConfigTest {

    @Test
    void theDefaultRetentionIsTheLongestTtlPlusTheRetryHorizonAndTheCatalogueKeepsReceiptsThatLong() {
        ReceiptsConfig defaults = ReceiptsConfig.defaults();
        assertThat(defaults.maxTaskTtl()).isEqualTo(Duration.ofHours(6));
        assertThat(defaults.retryHorizon()).as("a Retry-After is honoured up to an hour").isEqualTo(Duration.ofHours(1))
                .isEqualTo(Delivery.MAX_RETRY_AFTER);
        assertThat(defaults.retention()).isEqualTo(Duration.ofHours(7)).isEqualTo(Topics.PUSH_RECEIPTS_RETENTION);
        assertThat(defaults.bucket()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aLaneWithLongerRetryWaitsWidensTheHorizon() {
        WorkerConfig patient = WorkerConfig.defaults(Lane.BULK).withRetryDelays(List.of(Duration.ofMinutes(5), Duration.ofHours(2)));
        assertThat(ReceiptsConfig.retryHorizon(patient)).isEqualTo(Duration.ofHours(2));
        ReceiptsConfig config = ReceiptsConfig.forLanes(Duration.ofHours(6), WorkerConfig.defaults(Lane.HIGH), patient);
        assertThat(config.retention()).isEqualTo(Duration.ofHours(8));
        config.requireCovers(patient);
        assertThatThrownBy(() -> ReceiptsConfig.defaults().requireCovers(patient))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the BULK lane may make a retry wait PT2H, longer than the receipts' retryHorizon PT1H (retention PT7H)");
        WorkerConfig slowBackoff = WorkerConfig.defaults(Lane.HIGH).withBackoff(Duration.ofSeconds(1), Duration.ofMinutes(90));
        assertThat(ReceiptsConfig.retryHorizon(slowBackoff)).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void aRetentionShorterThanTheTtlPlusTheHorizonIsRefusedWithTheFigures() {
        ReceiptsConfig defaults = ReceiptsConfig.defaults();
        assertThat(defaults.withRetention(Duration.ofDays(2)).retention()).isEqualTo(Duration.ofDays(2));
        assertThatThrownBy(() -> defaults.withRetention(Duration.ofHours(6)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retention must be at least the longest task TTL (PT6H) plus the retry horizon (PT1H), PT7H, was PT6H: "
                        + "a push redelivered after its receipt was dropped, but within its TTL, would be sent again");
        assertThatThrownBy(() -> defaults.withBucket(Duration.ofHours(8))).hasMessageContaining("bucket must be at most the retention (PT7H)");
        assertThatThrownBy(() -> defaults.withBucket(Duration.ofSeconds(1))).hasMessageContaining("at least 1/1000 of it, was PT1S");
        assertThatThrownBy(() -> defaults.withRetention(Duration.ZERO)).hasMessage("retention must be at least 1 ms, was PT0S");
        assertThatThrownBy(() -> ReceiptsConfig.forLanes(Duration.ofHours(1))).hasMessageContaining("at least one lane");
        assertThat(ReceiptsConfig.forLanes(Duration.ofMinutes(1), WorkerConfig.defaults(Lane.HIGH)))
                .extracting(ReceiptsConfig::retention, ReceiptsConfig::bucket)
                .containsExactly(Duration.ofMinutes(61), Duration.ofHours(1));
    }
}
