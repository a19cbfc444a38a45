package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** A cluster node's lifecycle table: every pair of states, legal or not. */
class ClusterNodeStateTest {

    @Test
    void onlyTheLifecycleMovesAreLegal() {
        Set<String> legal = Set.of(
                "NEW->STARTING", "NEW->CLOSED",
                "STARTING->RUNNING", "STARTING->DOWN", "STARTING->CLOSED",
                "RUNNING->STALLED", "RUNNING->DOWN", "RUNNING->CLOSED",
                "STALLED->RUNNING", "STALLED->DOWN", "STALLED->CLOSED",
                "DOWN->STARTING", "DOWN->CLOSED");
        int checked = 0;
        for (ClusterNode.State from : ClusterNode.State.values()) {
            for (ClusterNode.State to : ClusterNode.State.values()) {
                boolean expected = legal.contains(from + "->" + to);
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(expected);
                if (expected) {
                    assertThat(from.moveTo(to)).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> from.moveTo(to)).isInstanceOf(IllegalStateException.class)
                            .hasMessage("illegal node state change " + from + " -> " + to);
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(36);
    }
}
