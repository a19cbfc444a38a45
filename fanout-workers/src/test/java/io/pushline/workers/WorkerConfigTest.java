package io.pushline.workers;

import io.pushline.contracts.Lane;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerConfigTest {
    @Test
    void theOldApiStillWorksAndRetrySettingsDefault() {
        WorkerConfig config = WorkerConfig.defaults(Lane.BULK).withGroupId("g").withMaxInFlight(4);
        assertThat(config.groupId()).isEqualTo("g");
        assertThat(config.maxInFlight()).isEqualTo(4);
        assertThat(config.retryDelays()).isEqualTo(WorkerConfig.DEFAULT_RETRY_DELAYS);
        assertThat(config.maxRetriesWaiting()).isEqualTo(WorkerConfig.DEFAULT_MAX_RETRIES_WAITING);
        assertThat(config.provisionRetryTopics()).isTrue();
        WorkerConfig nineArgs = new WorkerConfig(Lane.HIGH, "g", 1, 1, Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), URI.create("x://y"));
        assertThat(nineArgs.retryDelays()).isEqualTo(WorkerConfig.DEFAULT_RETRY_DELAYS);
        assertThat(config.withMaxRetriesWaiting(7).withProvisionRetryTopics(false).withMaxAttempts(2))
                .extracting(WorkerConfig::maxRetriesWaiting, WorkerConfig::provisionRetryTopics, WorkerConfig::maxAttempts)
                .containsExactly(7, false, 2);
        assertThat(config.keySetMaxEntries()).isEqualTo(WorkerConfig.DEFAULT_KEY_SET_MAX_ENTRIES);
        WorkerConfig thirteenArgs = new WorkerConfig(Lane.HIGH, "g", 1, 1, Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), URI.create("x://y"), WorkerConfig.DEFAULT_RETRY_DELAYS, 5, true,
                Duration.ofHours(2));
        assertThat(thirteenArgs.keySetMaxEntries()).isEqualTo(WorkerConfig.DEFAULT_KEY_SET_MAX_ENTRIES);
        assertThat(thirteenArgs.withKeySetMaxEntries(10).withGroupId("h"))
                .extracting(WorkerConfig::keySetMaxEntries, WorkerConfig::deviceGateLookback).containsExactly(10, Duration.ofHours(2));
    }

    @Test
    void badValuesAreNamedWithTheirValue() {
        WorkerConfig config = WorkerConfig.defaults(Lane.BULK);
        assertThatThrownBy(() -> config.withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("maxBackoff must be >= initialBackoff (PT2S), was PT1S");
        assertThatThrownBy(() -> config.withRetryDelays(List.of(Duration.ofSeconds(30), Duration.ofSeconds(5))))
                .hasMessageContaining("strictly increasing").hasMessageContaining("[PT30S, PT5S]");
        assertThatThrownBy(() -> config.withRetryDelays(List.of())).hasMessageContaining("retryDelays must hold 1 to 8");
        assertThatThrownBy(() -> config.withRetryDelays(List.of(Duration.ofNanos(1500))))
                .hasMessageContaining("whole milliseconds");
        assertThatThrownBy(() -> config.withMaxRetriesWaiting(0)).hasMessage("maxRetriesWaiting must be >= 1, was 0");
        assertThatThrownBy(() -> config.withMaxAttempts(0)).hasMessage("maxAttempts must be >= 1, was 0");
        assertThatThrownBy(() -> config.withKeySetMaxEntries(0)).hasMessage("keySetMaxEntries must be >= 1, was 0");
    }
}
