package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class KeysTest {

  @Test
  void compoundKeysSplitBackIntoTheirParts() {
    String key = Keys.compound("user-1", Samples.FCM_TOKEN);
    assertThat(key).isEqualTo("user-1|" + Samples.FCM_TOKEN);
    assertThat(Keys.first(key)).isEqualTo("user-1");
    assertThat(Keys.second(key)).isEqualTo(Samples.FCM_TOKEN);
    assertThat(Keys.second(Keys.compound("a", ""))).isEmpty();
  }

  @Test
  void compoundRejectsPartsThatWouldBeAmbiguous() {
    assertThatThrownBy(() -> Keys.compound("a|b", "c"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("compound key part a must not contain '|' but was 'a|b'");
    assertThatThrownBy(() -> Keys.compound("a", "b|c")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.compound(null, "c")).isInstanceOf(NullPointerException.class).hasMessage("a must not be null");
    assertThatThrownBy(() -> Keys.first("no-separator"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("compound key must contain '|' but was 'no-separator'");
  }

  @Test
  void partitionForMatchesKafkasDefaultPartitioner() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      String id = i % 3 == 0 ? UUID.randomUUID().toString() : "user-" + random.nextInt() + (i % 7 == 0 ? "-é✓" : "");
      int n = 1 + random.nextInt(512);
      assertThat(Keys.partitionFor(id, n))
          .as("%s over %d partitions", id, n)
          .isEqualTo(BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), n));
    }
    assertThat(Keys.partitionFor("", 6)).isEqualTo(BuiltInPartitioner.partitionForKey(new byte[0], 6));
  }

  @Test
  void partitionForRejectsBadArguments() {
    assertThatThrownBy(() -> Keys.partitionFor("u", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("numPartitions must be > 0 but was 0");
    assertThatThrownBy(() -> Keys.partitionFor(null, 3)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void pushIdsAreDeterministicVersion3UuidsOfSourceEventAndToken() {
    String source = "urn:pushline:service:posts";
    String id = PushIds.pushId(source, "event-1", Samples.TOKEN);
    String tag = PushIds.sourceTag(source);
    assertThat(tag).hasSize(16).matches("[0-9a-f]{16}")
        .isEqualTo(UUID.nameUUIDFromBytes(source.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "").substring(0, 16));
    assertThat(id).isEqualTo(PushIds.pushId(source, "event-1", Samples.TOKEN))
        .isEqualTo(UUID.nameUUIDFromBytes((tag + "|event-1|" + Samples.TOKEN).getBytes(StandardCharsets.UTF_8)).toString())
        .isNotEqualTo(PushIds.pushId(source, "event-2", Samples.TOKEN))
        .isNotEqualTo(PushIds.pushId(source, "event-1", Samples.FCM_TOKEN))
        .as("another publisher reusing the event id").isNotEqualTo(PushIds.pushId("urn:pushline:service:ads", "event-1", Samples.TOKEN))
        .as("the rule before sources").isNotEqualTo(PushIds.legacyPushId("event-1", Samples.TOKEN));
    assertThat(UUID.fromString(id).version()).isEqualTo(3);
    assertThat(Require.ID.matcher(id).matches()).as("a push id is a valid contract id").isTrue();
    // Fixed vectors, so other languages can check their implementation.
    assertThat(PushIds.sourceTag("s")).isEqualTo("03c7c0ace3953801");
    assertThat(PushIds.pushId("s", "e1", "tok"))
        .isEqualTo(UUID.nameUUIDFromBytes("03c7c0ace3953801|e1|tok".getBytes(StandardCharsets.UTF_8)).toString());
    assertThat(PushIds.legacyPushId("e1", "tok")).isEqualTo(UUID.nameUUIDFromBytes("e1|tok".getBytes(StandardCharsets.UTF_8)).toString());
    assertThat(PushIds.eventKey("s", "e1")).isEqualTo("e1@03c7c0ace3953801");
    assertThatThrownBy(() -> PushIds.pushId(null, "e1", "tok")).isInstanceOf(NullPointerException.class).hasMessage("source must not be null");
  }

  @Test
  void removalIdsAreDeterministicVersion3UuidsOfBanKindAndPost() {
    String id = ContentRemoval.removalId("ban-1", ContentKind.POST, "post-9");
    assertThat(id).isEqualTo(ContentRemoval.removalId("ban-1", ContentKind.POST, "post-9"))
        .isNotEqualTo(ContentRemoval.removalId("ban-2", ContentKind.POST, "post-9"))
        .isNotEqualTo(ContentRemoval.removalId("ban-1", ContentKind.LIKE, "post-9"))
        .isNotEqualTo(ContentRemoval.removalId("ban-1", ContentKind.POST, "post-8"));
    assertThat(UUID.fromString(id).version()).isEqualTo(3);
    assertThat(Require.ID.matcher(id).matches()).as("a removal id is a valid CloudEvent id").isTrue();
    // A fixed vector, so other languages can check their implementation.
    assertThat(ContentRemoval.removalId("e1", ContentKind.LIKE, "p1"))
        .isEqualTo(UUID.nameUUIDFromBytes("e1|LIKE|p1".getBytes(StandardCharsets.UTF_8)).toString());
    assertThatThrownBy(() -> ContentRemoval.removalId(null, ContentKind.POST, "p")).isInstanceOf(NullPointerException.class)
        .hasMessage("banEventId must not be null");
  }
}
