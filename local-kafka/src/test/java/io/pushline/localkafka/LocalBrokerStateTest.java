package io.pushline.localkafka;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The broker's lifecycle table: every pair of states, legal or not. */
class LocalBrokerStateTest {

    @Test
    void onlyTheLifecycleMovesAreLegal() {
        Set<String> legal = Set.of("NEW->STARTING", "NEW->CLOSED", "STARTING->RUNNING", "STARTING->CLOSED", "RUNNING->CLOSED");
        int checked = 0;
        for (LocalBroker.State from : LocalBroker.State.values()) {
            for (LocalBroker.State to : LocalBroker.State.values()) {
                boolean expected = legal.contains(from + "->" + to);
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(expected);
                if (expected) {
                    assertThat(from.moveTo(to)).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> from.moveTo(to)).isInstanceOf(IllegalStateException.class)
                            .hasMessage("illegal broker state change " + from + " -> " + to);
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(EnumSet.allOf(LocalBroker.State.class).size() * LocalBroker.State.values().length);
    }

    @Test
    void closedIsFinal() {
        for (LocalBroker.State next : LocalBroker.State.values()) {
            assertThat(LocalBroker.State.CLOSED.canMoveTo(next)).as("CLOSED -> " + next).isFalse();
        }
    }
}
