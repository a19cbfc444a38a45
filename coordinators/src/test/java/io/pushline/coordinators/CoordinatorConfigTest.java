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
    void theLikeDigestIsOffByDefaultAndOnWithinOneSecondToOneHour() {
        CoordinatorConfig config = CoordinatorConfig.defaults();
        assertThat(config.likeDigestWindow()).isZero();
        assertThat(config.likeDigest()).isFalse();
        CoordinatorConfig on = config.withLikeDigestWindow(Duration.ofMinutes(30));
        assertThat(on.likeDigest()).isTrue();
        assertThat(on.likeDigestWindow()).isEqualTo(Duration.ofMinutes(30));
        assertThat(on.historyRetention()).as("an unlike must find its like's digest while it is open").isEqualTo(Duration.ofMinutes(35));
        assertThat(config.withLikeDigestWindow(Duration.ofMinutes(5)).historyRetention()).isEqualTo(Duration.ofMinutes(20));
        assertThat(config.withLikeDigestWindow(Duration.ofSeconds(1)).likeDigestWindow()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.withLikeDigestWindow(Duration.ofHours(1)).likeDigestWindow()).isEqualTo(Duration.ofHours(1));
        assertThat(on.withLikeDigestWindow(Duration.ZERO).likeDigest()).isFalse();
        assertThatThrownBy(() -> config.withLikeDigestWindow(Duration.ofMillis(999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("likeDigestWindow must be 0 (off) or between PT1S and PT1H, was PT0.999S");
        assertThatThrownBy(() -> config.withLikeDigestWindow(Duration.ofMinutes(61)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("likeDigestWindow must be 0 (off) or between PT1S and PT1H, was PT1H1M");
        assertThatThrownBy(() -> config.withLikeDigestWindow(Duration.ofMinutes(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("likeDigestWindow must be 0 (off) or between PT1S and PT1H, was PT-1M");
        assertThatThrownBy(() -> config.withLikeDigestWindow(null))
                .isInstanceOf(NullPointerException.class).hasMessage("likeDigestWindow");
    }

    @Test
    void noCategoryPassesQuietHoursByDefaultAndOnlyKnownCategoriesMay() {
        CoordinatorConfig config = CoordinatorConfig.defaults();
        assertThat(config.quietHoursPassThrough()).isEmpty();
        assertThat(config.passesQuietHours("like")).isFalse();
        CoordinatorConfig follows = config.withQuietHoursPassThrough(java.util.Set.of("follow", "timeline"));
        assertThat(follows.passesQuietHours("follow")).isTrue();
        assertThat(follows.passesQuietHours("like")).isFalse();
        assertThat(follows.withLikeDigestWindow(Duration.ofMinutes(5)).quietHoursPassThrough()).containsExactlyInAnyOrder("follow", "timeline");
        assertThatThrownBy(() -> config.withQuietHoursPassThrough(java.util.Set.of("likes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("quietHoursPassThrough: unknown category 'likes' (categories are follow, like, timeline)");
        assertThatThrownBy(() -> config.withQuietHoursPassThrough(null))
                .isInstanceOf(NullPointerException.class).hasMessage("quietHoursPassThrough");
    }

    @Test
    void aBanIsWrittenToEveryPartitionOfTheIntakeTopic() {
        assertThat(CoordinatorTopology.EVERY_PARTITION.partitions("t", new byte[1], new byte[1], 1)).contains(java.util.Set.of(0));
        assertThat(CoordinatorTopology.EVERY_PARTITION.partitions("t", new byte[1], new byte[1], 6))
                .contains(java.util.Set.of(0, 1, 2, 3, 4, 5));
    }
}
