package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison of existing topics with the catalogue; needs no broker. */
class TopicProvisionerTest {
  private static final Map<String, TopicSpec> SPECS = Map.of(
      Topics.PUSH_BULK, spec(Topics.PUSH_BULK),
      Topics.STATE_DEVICES, spec(Topics.STATE_DEVICES),
      Topics.EVENTS, spec(Topics.EVENTS),
      Topics.PUSH_HIGH, spec(Topics.PUSH_HIGH));

  @Test
  void aMatchingTopicHasNoConflicts() {
    var observed = new TopicProvisioner.ObservedTopic(Topics.STATE_DEVICES, 6, (short) 1,
        Map.of("cleanup.policy", "compact", "retention.ms", "604800000", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.STATE_DEVICES), observed))
        .as("retention is the operator's choice").isEmpty();
    var events = new TopicProvisioner.ObservedTopic(Topics.EVENTS, 6, (short) 1,
        Map.of("cleanup.policy", "delete", "max.message.bytes", "16777216", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.EVENTS), events)).as("a larger limit is fine").isEmpty();
  }

  @Test
  void partitionCountMismatch() {
    var observed = new TopicProvisioner.ObservedTopic(Topics.PUSH_BULK, 3, (short) 1, Map.of("cleanup.policy", "delete", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.PUSH_BULK), observed))
        .containsExactly("topic pushline.push.bulk has 3 partitions but the catalogue needs 6");
  }

  @Test
  void cleanupPolicyMismatch() {
    var delete = new TopicProvisioner.ObservedTopic(Topics.STATE_DEVICES, 6, (short) 1, Map.of("cleanup.policy", "delete", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.STATE_DEVICES), delete))
        .containsExactly("topic pushline.state.devices has cleanup.policy=delete but the catalogue needs compact");
    var both = new TopicProvisioner.ObservedTopic(Topics.STATE_DEVICES, 6, (short) 1, Map.of("cleanup.policy", "compact,delete", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.STATE_DEVICES), both))
        .containsExactly("topic pushline.state.devices has cleanup.policy=compact,delete but the catalogue needs compact");
    var spaced = new TopicProvisioner.ObservedTopic(Topics.STATE_DEVICES, 6, (short) 1, Map.of("cleanup.policy", " Compact ", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.STATE_DEVICES), spaced)).isEmpty();
  }

  @Test
  void theReceiptsTopicIsCompactedAndDeletedAndAnOldCompactOnlyOneIsAConflict() {
    TopicSpec receipts = Topics.catalogue(6).stream().filter(s -> s.name().equals(Topics.PUSH_RECEIPTS)).findFirst().orElseThrow();
    for (String policy : List.of("compact,delete", "delete,compact", " Delete , COMPACT")) {
      var observed = new TopicProvisioner.ObservedTopic(Topics.PUSH_RECEIPTS, 6, (short) 1,
          Map.of("cleanup.policy", policy, "retention.ms", "-1", "min.insync.replicas", "1"));
      assertThat(TopicProvisioner.conflicts(receipts, observed)).as(policy).isEmpty();
    }
    // A deployment from before retention: it must be altered (kafka-configs), never silently left to grow.
    var compactOnly = new TopicProvisioner.ObservedTopic(Topics.PUSH_RECEIPTS, 6, (short) 1,
        Map.of("cleanup.policy", "compact", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(receipts, compactOnly))
        .containsExactly("topic pushline.push.receipts has cleanup.policy=compact but the catalogue needs compact,delete");
  }

  @Test
  void messageSizeLimitTooSmall() {
    var observed = new TopicProvisioner.ObservedTopic(Topics.EVENTS, 6, (short) 1,
        Map.of("cleanup.policy", "delete", "max.message.bytes", "1048588", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(SPECS.get(Topics.EVENTS), observed))
        .containsExactly("topic pushline.events has max.message.bytes=1048588 but the catalogue needs at least 8388608");
  }

  @Test
  void replicationMismatchNamesBothValues() {
    TopicSpec replicated = Topics.catalogue(6, Replication.forBrokers(3)).stream()
        .filter(s -> s.name().equals(Topics.PUSH_HIGH)).findFirst().orElseThrow();
    var unreplicated = new TopicProvisioner.ObservedTopic(Topics.PUSH_HIGH, 6, (short) 1,
        Map.of("cleanup.policy", "delete", "min.insync.replicas", "1"));
    assertThat(TopicProvisioner.conflicts(replicated, unreplicated)).containsExactly(
        "topic pushline.push.high has replication factor 1 but the catalogue needs 3",
        "topic pushline.push.high has min.insync.replicas=1 but the catalogue needs 2");
    var noMinIsr = new TopicProvisioner.ObservedTopic(Topics.PUSH_HIGH, 6, (short) 3, Map.of("cleanup.policy", "delete"));
    assertThat(TopicProvisioner.conflicts(replicated, noMinIsr))
        .containsExactly("topic pushline.push.high has min.insync.replicas=unknown but the catalogue needs 2");
    var matching = new TopicProvisioner.ObservedTopic(Topics.PUSH_HIGH, 6, (short) 3,
        Map.of("cleanup.policy", "delete", "min.insync.replicas", "2"));
    assertThat(TopicProvisioner.conflicts(replicated, matching)).isEmpty();
    var overReplicated = new TopicProvisioner.ObservedTopic(Topics.PUSH_HIGH, 6, (short) 5,
        Map.of("cleanup.policy", "delete", "min.insync.replicas", "3"));
    assertThat(TopicProvisioner.conflicts(replicated, overReplicated)).containsExactly(
        "topic pushline.push.high has replication factor 5 but the catalogue needs 3",
        "topic pushline.push.high has min.insync.replicas=3 but the catalogue needs 2");
  }

  @Test
  void everyConflictIsInOneMessage() {
    var bulk = new TopicProvisioner.ObservedTopic(Topics.PUSH_BULK, 3, (short) 1, Map.of("cleanup.policy", "compact", "min.insync.replicas", "1"));
    var devices = new TopicProvisioner.ObservedTopic(Topics.STATE_DEVICES, 6, (short) 1, Map.of("cleanup.policy", "delete", "min.insync.replicas", "1"));
    List<String> conflicts = new java.util.ArrayList<>(TopicProvisioner.conflicts(SPECS.get(Topics.PUSH_BULK), bulk));
    conflicts.addAll(TopicProvisioner.conflicts(SPECS.get(Topics.STATE_DEVICES), devices));

    TopicConflictException e = new TopicConflictException(conflicts);

    assertThat(e.conflicts()).hasSize(3);
    assertThat(e).hasMessage("3 conflicts between existing topics and the Pushline topic catalogue: "
        + "topic pushline.push.bulk has 3 partitions but the catalogue needs 6; "
        + "topic pushline.push.bulk has cleanup.policy=compact but the catalogue needs delete; "
        + "topic pushline.state.devices has cleanup.policy=delete but the catalogue needs compact. "
        + "Pushline does not change existing topics: fix them or delete them so they are recreated.");
    assertThat(new TopicConflictException(List.of("x"))).hasMessageStartingWith("1 conflict between");
    assertThatThrownBy(() -> new TopicConflictException(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void constructorValidatesTheTimeout() {
    assertThatThrownBy(() -> new TopicProvisioner(null, Duration.ofSeconds(1)))
        .isInstanceOf(NullPointerException.class).hasMessage("admin must not be null");
  }

  private static TopicSpec spec(String name) {
    return Topics.catalogue(6).stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }
}
