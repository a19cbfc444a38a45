package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void catalogueHoldsEveryTopicConstantOnce() throws Exception {
    List<String> constants = Arrays.stream(Topics.class.getFields())
        .filter(f -> f.getType() == String.class && Modifier.isStatic(f.getModifiers()))
        .map(TopicsTest::value)
        .toList();
    assertThat(Topics.catalogue(6).stream().map(TopicSpec::name)).containsExactlyInAnyOrderElementsOf(constants);
    assertThat(Topics.catalogue(6)).hasSize(20);
  }

  @Test
  void catalogueFollowsTheDesign() {
    Map<String, TopicSpec> specs = Topics.catalogue(6).stream().collect(Collectors.toMap(TopicSpec::name, s -> s));
    assertThat(specs.values()).isNotEmpty().allSatisfy(s -> {
      assertThat(s.partitions()).isEqualTo(6);
      assertThat(s.replication()).isEqualTo(new Replication((short) 1, (short) 1));
      assertThat(s.topicConfigs()).containsEntry("min.insync.replicas", "1");
    });
    assertThat(specs.get(Topics.EVENTS).retention()).isEqualTo(Duration.ofDays(7));
    assertThat(specs.get(Topics.DEAD_LETTERS).retention()).isEqualTo(Duration.ofDays(14));
    assertThat(specs.get(Topics.FANOUT_JOBS).retention()).isEqualTo(Duration.ofDays(1));
    assertThat(specs.get(Topics.PUSH_HIGH).retention()).isEqualTo(Duration.ofDays(1));
    assertThat(specs.get(Topics.PUSH_BULK).retention()).isEqualTo(Duration.ofDays(1));
    assertThat(specs.get(Topics.CONTENT_EVENTS_BY_PROFILE).retention()).isEqualTo(Duration.ofDays(7));
    assertThat(specs.get(Topics.MODERATION_REMOVALS).retention()).isEqualTo(Duration.ofDays(7));
    assertThat(specs.get(Topics.MODERATION_REMOVALS).cleanupPolicy()).isEqualTo(CleanupPolicy.DELETE);
    assertThat(specs.get(Topics.ACTIVITY).retention()).isEqualTo(Duration.ofDays(7));
    assertThat(specs.get(Topics.COORDINATOR_INTAKE).retention()).isEqualTo(Duration.ofDays(1));
    assertThat(specs.get(Topics.COORDINATOR_COMMANDS).retention()).isEqualTo(Duration.ofDays(7));
    for (String deleted : List.of(Topics.ACTIVITY, Topics.COORDINATOR_INTAKE, Topics.COORDINATOR_COMMANDS)) {
      assertThat(specs.get(deleted).cleanupPolicy()).as(deleted).isEqualTo(CleanupPolicy.DELETE);
      assertThat(specs.get(deleted).topicConfigs()).as(deleted).containsEntry("cleanup.policy", "delete");
    }
    assertThat(specs.get(Topics.STATE_LIKES).key()).startsWith("actorId|postId");
    assertThat(specs.get(Topics.TIMELINE_ENTRIES).key()).isEqualTo("ownerId|postId");
    assertThat(specs.get(Topics.NOTIFICATIONS).key()).isEqualTo("recipientId|notificationId");
    assertThat(specs.get(Topics.ACTIVITY).key()).isEqualTo("recipientId");
    assertThat(specs.get(Topics.COORDINATORS_PARKED).key()).isEqualTo("coordinator id");
    // Receipts only need to outlive the longest push TTL plus the retry horizon: compacted, and deleted after that.
    assertThat(specs.get(Topics.PUSH_RECEIPTS).cleanupPolicy()).isEqualTo(CleanupPolicy.COMPACT_DELETE);
    assertThat(specs.get(Topics.PUSH_RECEIPTS).retention()).isEqualTo(Duration.ofHours(7)).isEqualTo(Topics.PUSH_RECEIPTS_RETENTION);
    assertThat(specs.get(Topics.PUSH_RECEIPTS).topicConfigs()).containsEntry("cleanup.policy", "compact,delete")
        .containsEntry("retention.ms", "25200000").containsEntry("segment.ms", "3600000");
    TopicSpec shorter = Topics.catalogue(6, Replication.of(1), Duration.ofMinutes(30)).stream()
        .filter(s -> s.name().equals(Topics.PUSH_RECEIPTS)).findFirst().orElseThrow();
    assertThat(shorter.topicConfigs()).containsEntry("retention.ms", "1800000").containsEntry("segment.ms", "1800000");
    for (String compacted : List.of(Topics.STATE_DEVICES, Topics.STATE_FOLLOWS,
        Topics.STATE_BANNED_PROFILES, Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.NOTIFICATIONS,
        Topics.COORDINATORS_PARKED)) {
      assertThat(specs.get(compacted).cleanupPolicy()).as(compacted).isEqualTo(CleanupPolicy.COMPACT);
      assertThat(specs.get(compacted).retention()).as(compacted).isNull();
      assertThat(specs.get(compacted).topicConfigs()).as(compacted).containsEntry("cleanup.policy", "compact");
    }
    for (String large : List.of(Topics.EVENTS, Topics.DEAD_LETTERS)) {
      assertThat(specs.get(large).topicConfigs()).as(large).containsEntry("max.message.bytes", "8388608");
      assertThat(Integer.parseInt(specs.get(large).configs().get("max.message.bytes")))
          .as("an oversize event must reach the router").isGreaterThan(2 * CloudEventCodec.DEFAULT_MAX_EVENT_BYTES);
    }
    assertThat(specs.get(Topics.EVENTS).topicConfigs())
        .containsEntry("cleanup.policy", "delete").containsEntry("retention.ms", Long.toString(Duration.ofDays(7).toMillis()));
  }

  @Test
  void coordinatorTopicNames() {
    assertThat(Topics.STATE_LIKES).isEqualTo("pushline.state.likes");
    assertThat(Topics.TIMELINE_ENTRIES).isEqualTo("pushline.timeline.entries");
    assertThat(Topics.ACTIVITY).isEqualTo("pushline.activity");
    assertThat(Topics.NOTIFICATIONS).isEqualTo("pushline.notifications");
    assertThat(Topics.COORDINATOR_INTAKE).isEqualTo("pushline.coordinators.intake");
    assertThat(Topics.COORDINATOR_COMMANDS).isEqualTo("pushline.coordinators.commands");
    assertThat(Topics.COORDINATORS_PARKED).isEqualTo("pushline.coordinators.parked");
  }

  @Test
  void catalogueTakesAReplication() {
    assertThat(Topics.catalogue(12, (short) 3)).isNotEmpty().allSatisfy(s -> {
      assertThat(s.replication()).isEqualTo(new Replication((short) 3, (short) 2));
      assertThat(s.topicConfigs()).containsEntry("min.insync.replicas", "2");
      assertThat(s.toNewTopic().replicationFactor()).isEqualTo((short) 3);
      assertThat(s.partitions()).isEqualTo(12);
    });
    assertThat(Topics.catalogue(3, new Replication((short) 5, (short) 4))).isNotEmpty()
        .allSatisfy(s -> assertThat(s.toNewTopic().configs()).containsEntry("min.insync.replicas", "4"));
    assertThatThrownBy(() -> Topics.catalogue(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("partitions must be > 0 but was 0");
    assertThatThrownBy(() -> Topics.catalogue(3, (short) 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replication factor must be between 1 and 32767 but was 0");
  }

  @Test
  void topicSpecBecomesANewTopic() {
    TopicSpec spec = new TopicSpec("t", "k", 3, Replication.of(1), CleanupPolicy.DELETE, null, Map.of("segment.ms", "1000"));
    NewTopic topic = spec.toNewTopic();
    assertThat(topic.name()).isEqualTo("t");
    assertThat(topic.numPartitions()).isEqualTo(3);
    assertThat(topic.replicationFactor()).isEqualTo((short) 1);
    assertThat(topic.configs()).containsExactlyInAnyOrderEntriesOf(
        Map.of("cleanup.policy", "delete", "retention.ms", "-1", "min.insync.replicas", "1", "segment.ms", "1000"));
  }

  @Test
  void topicSpecValidationNamesTheFieldAndValue() {
    assertThatThrownBy(() -> spec("bad name!", 1, (short) 1, Duration.ofDays(1), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TopicSpec.name must be 1 to 249 of [a-zA-Z0-9._-] and not '.' or '..' but was 'bad name!'");
    assertThatThrownBy(() -> spec("..", 1, (short) 1, null, Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec("x".repeat(250), 1, (short) 1, null, Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec("t", 0, (short) 1, null, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("TopicSpec.partitions must be > 0 but was 0 (topic t)");
    assertThatThrownBy(() -> new TopicSpec("t", "k", 1, null, CleanupPolicy.DELETE, null, Map.of()))
        .isInstanceOf(NullPointerException.class).hasMessage("TopicSpec.replication (t) must not be null");
    assertThatThrownBy(() -> spec("t", 1, (short) 1, null, Map.of("min.insync.replicas", "2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TopicSpec.configs must not set min.insync.replicas; use TopicSpec.cleanupPolicy/retention/replication (topic t)");
    assertThatThrownBy(() -> spec("t", 1, (short) 1, Duration.ofSeconds(-5), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TopicSpec.retention must be at least 1ms or null (forever) but was PT-5S (topic t)");
    assertThatThrownBy(() -> spec("t", 1, (short) 1, null, Map.of("cleanup.policy", "compact")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TopicSpec.configs must not set cleanup.policy; use TopicSpec.cleanupPolicy/retention/replication (topic t)");
    assertThatThrownBy(() -> new TopicSpec("t", " ", 1, Replication.of(1), CleanupPolicy.DELETE, null, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("TopicSpec.key must not be blank (topic t)");
    assertThatThrownBy(() -> new TopicSpec("t", "k", 1, Replication.of(1), null, null, Map.of()))
        .isInstanceOf(NullPointerException.class).hasMessage("TopicSpec.cleanupPolicy (t) must not be null");
  }

  @Test
  void topicSpecConfigsAreACopy() {
    java.util.HashMap<String, String> configs = new java.util.HashMap<>(Map.of("segment.ms", "1"));
    TopicSpec spec = spec("t", 1, (short) 1, null, configs);
    configs.put("x", "y");
    assertThat(spec.configs()).containsOnlyKeys("segment.ms");
    assertThatThrownBy(() -> spec.configs().put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void deadLetterHeadersAreUtf8StringsAndReplaceEarlierOnes() {
    Headers headers = Samples.headers(EventType.LIKE_CREATED.ceType());
    DeadLetters.addTo(headers, DeadLetterReason.MALFORMED_JSON, "first", Topics.EVENTS, 1, 2L, Instant.EPOCH);
    DeadLetters.addTo(headers, DeadLetterReason.SCHEMA_VIOLATION, "token: required property missing ✓", Topics.EVENTS, 4,
        9_000_000_000L, Instant.parse("2025-01-31T12:00:00Z"));

    assertThat(header(headers, DeadLetters.REASON)).isEqualTo("SCHEMA_VIOLATION");
    assertThat(header(headers, DeadLetters.DETAIL)).isEqualTo("token: required property missing ✓");
    assertThat(header(headers, DeadLetters.SOURCE_TOPIC)).isEqualTo("pushline.events");
    assertThat(header(headers, DeadLetters.SOURCE_PARTITION)).isEqualTo("4");
    assertThat(header(headers, DeadLetters.SOURCE_OFFSET)).isEqualTo("9000000000");
    assertThat(header(headers, DeadLetters.DEAD_LETTERED_AT)).isEqualTo("2025-01-31T12:00:00Z");
    assertThat(headers.headers(DeadLetters.REASON)).hasSize(1);
    assertThat(headers.lastHeader("ce_type")).as("original headers are kept").isNotNull();
  }

  @Test
  void deadLetterDetailIsCut() {
    Headers headers = new RecordHeaders();
    DeadLetters.addTo(headers, DeadLetterReason.SCHEMA_VIOLATION, "x".repeat(5000), "t", 0, 0L, Instant.EPOCH);
    assertThat(header(headers, DeadLetters.DETAIL)).hasSize(DeadLetters.MAX_DETAIL_CHARS);
    DeadLetters.addTo(headers, DeadLetterReason.NO_HEADERS, null, "t", 0, 0L, Instant.EPOCH);
    assertThat(header(headers, DeadLetters.DETAIL)).isEmpty();
  }

  private static TopicSpec spec(String name, int partitions, short rf, Duration retention, Map<String, String> configs) {
    return new TopicSpec(name, "key", partitions, Replication.of(rf), CleanupPolicy.DELETE, retention, configs);
  }

  private static String header(Headers headers, String key) {
    return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private static String value(Field f) {
    try {
      return (String) f.get(null);
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }
}
