package io.pushline.coordinators;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoordinatorConfigTest {
    @Test
    void defaultsKeepParkedCoordinatorsAWeekAndHistoryForTheWindowAndAGrace() {
        CoordinatorConfig config = CoordinatorConfig.defaults();
        assertThat(config.parkedRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(config.notificationWindow()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.historyRetention()).isEqualTo(Duration.ofMinutes(20));
        assertThat(config.withParkedRetention(Duration.ofHours(2)).parkedRetention()).isEqualTo(Duration.ofHours(2));
        assertThat(config.withParkedRetention(Duration.ofHours(2)).notificationWindow()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void badDurationsAreRefusedNamingTheSettingAndTheValue() {
        CoordinatorConfig config = CoordinatorConfig.defaults();
        assertThatThrownBy(() -> config.withParkedRetention(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("parkedRetention must be at least 1 ms, was PT0S");
        assertThatThrownBy(() -> config.withParkedRetention(Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("parkedRetention must be at least 1 ms, was PT-24H");
        assertThatThrownBy(() -> config.withNotificationWindow(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("notificationWindow must be positive, was PT0S");
        assertThatThrownBy(() -> config.withParkedRetention(null))
                .isInstanceOf(NullPointerException.class).hasMessage("parkedRetention");
    }

    @Test
    void aBanIsWrittenToEveryPartitionOfTheIntakeTopic() {
        assertThat(CoordinatorTopology.EVERY_PARTITION.partitions("t", new byte[1], new byte[1], 1)).contains(java.util.Set.of(0));
        assertThat(CoordinatorTopology.EVERY_PARTITION.partitions("t", new byte[1], new byte[1], 6))
                .contains(java.util.Set.of(0, 1, 2, 3, 4, 5));
    }
}
