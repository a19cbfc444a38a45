package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The rules that pick the replication of Pushline's topics; no broker. */
class ReplicationTest {

  @Test
  void autoFollowsTheClusterUpToThreeCopiesWithOneAllowedDown() {
    Replication.Choice auto = Replication.Choice.AUTO;
    assertThat(auto.resolve(1)).isEqualTo(new Replication((short) 1, (short) 1));
    assertThat(auto.resolve(2)).isEqualTo(new Replication((short) 2, (short) 1));
    assertThat(auto.resolve(3)).isEqualTo(new Replication((short) 3, (short) 2));
    assertThat(auto.resolve(5)).isEqualTo(new Replication((short) 3, (short) 2));
    assertThat(Replication.forBrokers(5)).isEqualTo(auto.resolve(5));
  }

  @Test
  void aGivenFactorIsTakenAsGiven() {
    assertThat(Replication.Choice.factor(1).resolve(3)).as("RF 1 on 3 brokers only when asked for")
        .isEqualTo(new Replication((short) 1, (short) 1));
    assertThat(Replication.Choice.factor(1).resolve(5)).isEqualTo(new Replication((short) 1, (short) 1));
    assertThat(Replication.Choice.factor(2).resolve(5)).isEqualTo(new Replication((short) 2, (short) 1));
    assertThat(Replication.Choice.factor(3).resolve(3)).isEqualTo(new Replication((short) 3, (short) 2));
    assertThat(Replication.Choice.factor(5).resolve(5)).as("more than auto's 3 when asked for")
        .isEqualTo(new Replication((short) 5, (short) 4));
  }

  @Test
  void aFactorLargerThanTheClusterIsAnErrorNamingBoth() {
    assertThatThrownBy(() -> Replication.Choice.factor(3).resolve(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor 3 was asked but the cluster has 1 broker: ask for at most 1, or for auto (min(3, brokers))");
    assertThatThrownBy(() -> Replication.Choice.factor(5).resolve(3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("replication factor 5 was asked but the cluster has 3 brokers");
    assertThatThrownBy(() -> Replication.Choice.AUTO.resolve(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("brokers must be > 0 but was 0");
  }

  @Test
  void parsesAutoAndNumbersAndNamesABadValue() {
    assertThat(Replication.Choice.parse("auto")).isSameAs(Replication.Choice.AUTO);
    assertThat(Replication.Choice.parse(" AUTO ")).isSameAs(Replication.Choice.AUTO);
    assertThat(Replication.Choice.parse("3")).isEqualTo(Replication.Choice.factor(3));
    assertThat(Replication.Choice.parse("3")).hasToString("3");
    assertThat(Replication.Choice.AUTO).hasToString("auto");
    assertThatThrownBy(() -> Replication.Choice.parse("three")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be auto or a number >= 1 but was 'three'");
    assertThatThrownBy(() -> Replication.Choice.parse("0")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be auto or a number >= 1 but was 0");
    assertThatThrownBy(() -> Replication.Choice.parse("-2")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be auto or a number >= 1 but was -2");
    assertThatThrownBy(() -> Replication.Choice.parse("40000")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be between 1 and 32767 but was 40000");
  }

  @Test
  void aReplicationIsValidated() {
    assertThatThrownBy(() -> new Replication((short) 0, (short) 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be >= 1 but was 0");
    assertThatThrownBy(() -> new Replication((short) 3, (short) 4)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("min.insync.replicas must be between 1 and the replication factor 3 but was 4");
    assertThatThrownBy(() -> new Replication((short) 3, (short) 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("min.insync.replicas must be between 1 and the replication factor 3 but was 0");
    assertThat(Replication.of(3)).hasToString("replication factor 3, min.insync.replicas 2");
  }
}
