package io.pushline.workers;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The time- and cap-bounded keys of a check: expiry by time only, a full set refuses instead of forgetting. */
class KeyTimesTest {
    @Test
    void keysOlderThanTheCutoffAreDroppedAndNoYoungerOne() {
        KeyTimes keys = new KeyTimes(10);
        keys.put("a", 100);
        keys.put("b", 200);
        keys.put("c", 300);

        assertThat(keys.expire(200)).isEqualTo(1);

        assertThat(keys.contains("a")).isFalse();
        assertThat(keys.time("b")).isEqualTo(200L);
        assertThat(keys.time("c")).isEqualTo(300L);
        assertThat(keys.expire(200)).isZero();
    }

    @Test
    void aKeyPutAgainKeepsItsLatestTimeAndMovesBehindTheOthers() {
        KeyTimes keys = new KeyTimes(10);
        keys.put("a", 100);
        keys.put("b", 150);
        keys.put("a", 250);   // a second unfollow of the same edge
        keys.put("a", 120);   // an older record arriving late does not make it older

        assertThat(keys.time("a")).isEqualTo(250L);
        assertThat(keys.expire(200)).isEqualTo(1);
        assertThat(keys.contains("b")).isFalse();
        assertThat(keys.contains("a")).isTrue();
    }

    @Test
    void aKeyArrivingOutOfTimeOrderIsNeverDroppedEarlyOnlyLate() {
        KeyTimes keys = new KeyTimes(10);
        keys.put("young", 500);
        keys.put("old", 100);   // a producer with a slow clock

        assertThat(keys.expire(200)).as("waits behind the younger key that arrived first").isZero();
        assertThat(keys.contains("old")).isTrue();
        assertThat(keys.expire(501)).isEqualTo(2);
        assertThat(keys.size()).isZero();
    }

    @Test
    void aFullSetRefusesANewKeyButNeverForgetsAnOldOne() {
        KeyTimes keys = new KeyTimes(2);
        assertThat(keys.put("a", 100)).isTrue();
        assertThat(keys.put("b", 200)).isTrue();

        assertThat(keys.full()).isTrue();
        assertThat(keys.put("c", 300)).isFalse();
        assertThat(keys.contains("a")).isTrue();
        assertThat(keys.contains("c")).isFalse();
        assertThat(keys.put("a", 400)).as("a key it holds may still be updated").isTrue();
        keys.remove("b");
        assertThat(keys.put("c", 300)).isTrue();
        assertThat(keys.size()).isEqualTo(2);
    }

    @Test
    void aCapBelowOneIsRefusedWithItsValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> new KeyTimes(0)).withMessage("maxEntries must be >= 1, was 0");
    }
}
