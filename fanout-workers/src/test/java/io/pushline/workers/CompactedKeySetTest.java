package io.pushline.workers;

import io.pushline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** What each kind of check makes of a record, without a broker; following the topic is in the integration test. */
class CompactedKeySetTest {
    private static final Instant NOW = Instant.parse("2026-02-01T10:00:00Z");
    private final MutableClock clock = new MutableClock(NOW);

    private CompactedKeySet set(CompactedKeySet.Mode mode, Duration lookback) {
        return new CompactedKeySet(new CompactedKeySet.Settings(Map.of(), CompactedKeySet.Settings.KAFKA, 10, clock,
                Duration.ofMinutes(1)), "t", mode, lookback, "test", "test keys");
    }

    private static long ago(Duration d) {
        return NOW.minus(d).toEpochMilli();
    }

    @Test
    void aDeviceIsInTheGateFromItsTombstoneUntilItIsRegisteredAgain() {
        CompactedKeySet devices = set(CompactedKeySet.Mode.TOMBSTONES, Duration.ofHours(24));

        devices.apply("u1|tok", true, ago(Duration.ofMinutes(5)));
        assertThat(devices.isUnregistered("u1", "tok")).isTrue();
        assertThat(devices.isUnregistered("u2", "tok")).isFalse();

        devices.apply("u1|tok", false, ago(Duration.ofMinutes(1)));
        assertThat(devices.isUnregistered("u1", "tok")).isFalse();
    }

    @Test
    void aBanHoldsUntilItsTombstoneLiftsItAndNeverExpires() {
        CompactedKeySet bans = set(CompactedKeySet.Mode.VALUES, null);

        bans.apply("spammer", false, ago(Duration.ofDays(400)));
        assertThat(bans.contains("spammer")).isTrue();

        bans.apply("spammer", true, ago(Duration.ofDays(1)));
        assertThat(bans.contains("spammer")).isFalse();
    }

    @Test
    void anUnfollowKeepsItsTimeThroughARefollowSoTheTimeTellsThemApart() {
        CompactedKeySet unfollows = set(CompactedKeySet.Mode.TOMBSTONE_TIMES, Duration.ofHours(24));

        unfollows.apply("f|a", true, ago(Duration.ofMinutes(10)));
        unfollows.apply("f|a", false, ago(Duration.ofMinutes(5)));   // followed again

        assertThat(unfollows.time("f|a")).isEqualTo(ago(Duration.ofMinutes(10)));
    }

    @Test
    void aTombstoneOlderThanTheLookbackIsIgnoredAndOneFromTheFutureCountsAsNow() {
        CompactedKeySet unfollows = set(CompactedKeySet.Mode.TOMBSTONE_TIMES, Duration.ofHours(24));

        assertThat(unfollows.apply("old|a", true, ago(Duration.ofHours(25)))).isTrue();
        unfollows.apply("ahead|a", true, NOW.plus(Duration.ofDays(365)).toEpochMilli());   // a producer's clock a year ahead

        assertThat(unfollows.contains("old|a")).isFalse();
        assertThat(unfollows.time("ahead|a")).as("else it would stay for a year").isEqualTo(NOW.toEpochMilli());
    }

    @Test
    void aFullSetRefusesANewKeyAndCannotAnswerBeforeItIsStartedOrAfterItIsClosed() {
        CompactedKeySet devices = set(CompactedKeySet.Mode.TOMBSTONES, Duration.ofHours(24));
        for (int n = 0; n < 10; n++) {
            assertThat(devices.apply("u|" + n, true, ago(Duration.ofMinutes(1)))).isTrue();
        }

        assertThat(devices.apply("u|10", true, ago(Duration.ofMinutes(1)))).isFalse();
        assertThat(devices.size()).isEqualTo(10);
        assertThat(devices.cannotAnswer()).isEqualTo("the test keys check is not started");
        devices.close();
        assertThat(devices.cannotAnswer()).isEqualTo("the test keys check is closed");
    }

    @Test
    void aLookbackThatIsNotPositiveIsRefusedWithItsValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> set(CompactedKeySet.Mode.TOMBSTONES, Duration.ZERO))
                .withMessage("lookback must be positive (or null for none), was PT0S");
    }
}
