package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventTypeTest {

  @ParameterizedTest
  @EnumSource(EventType.class)
  void ceTypeLooksUpTheConstant(EventType type) {
    assertThat(EventType.fromCeType(type.ceType())).contains(type);
    assertThat(type.ceType()).startsWith("io.pushline.").endsWith(".v1");
  }

  @Test
  void unknownCeTypesAreEmpty() {
    assertThat(EventType.fromCeType("io.pushline.push.task.v2")).isEmpty();
    assertThat(EventType.fromCeType(null)).isEmpty();
  }

  @Test
  void everyRecordHasExactlyOneType() {
    List<Class<?>> dataClasses = Arrays.stream(EventType.values()).<Class<?>>map(EventType::dataClass).toList();
    assertThat(dataClasses).doesNotHaveDuplicates().containsExactlyInAnyOrder(EventData.class.getPermittedSubclasses());
  }

  @Test
  void keysFollowTheContract() {
    Map<EventType, EventData> s = Samples.all();
    assertThat(EventType.DEVICE_REGISTERED.keyOf(s.get(EventType.DEVICE_REGISTERED))).isEqualTo(Samples.TOKEN);
    assertThat(EventType.DEVICE_UNREGISTERED.keyOf(s.get(EventType.DEVICE_UNREGISTERED))).isEqualTo(Samples.FCM_TOKEN);
    assertThat(EventType.FOLLOW_CREATED.keyOf(new FollowCreated("f", "g"))).isEqualTo("f");
    assertThat(EventType.FOLLOW_REMOVED.keyOf(new FollowRemoved("f", "g"))).isEqualTo("f");
    assertThat(EventType.POST_CREATED.keyOf(new PostCreated("p", "a"))).isEqualTo("a");
    assertThat(EventType.LIKE_CREATED.keyOf(new LikeCreated("x", "p", "o"))).isEqualTo("o");
    assertThat(EventType.LIKE_REMOVED.keyOf(new LikeRemoved("x", "p", "o"))).isEqualTo("o");
    assertThat(EventType.TIMELINE_POSTED.keyOf(new TimelinePosted("p", "a", "t", "b"))).isEqualTo("a");
    assertThat(EventType.PROFILE_BANNED.keyOf(new ProfileBanned("p", "r"))).isEqualTo("p");
    assertThat(EventType.PUSH_TASK.keyOf(s.get(EventType.PUSH_TASK))).isEqualTo("user-1");
    PushReceipt receipt = (PushReceipt) s.get(EventType.PUSH_RECEIPT);
    assertThat(EventType.PUSH_RECEIPT.keyOf(receipt)).isEqualTo(receipt.pushId());
    assertThat(EventType.CONTENT_REMOVAL.keyOf(new ContentRemoval("p", ContentKind.POST, "x", "p", "e"))).isEqualTo("p");
    assertThat(EventType.TIMELINE_ENTRY_UPDATED.keyOf(new TimelineEntryUpdated("o", "p", 1))).isEqualTo("o");
    assertThat(EventType.ACTIVITY_RECORDED.keyOf(new ActivityRecorded("a", ActivityVerb.FOLLOWED, "r", "r")))
        .isEqualTo("r");
    assertThat(EventType.NOTIFICATION_UPDATED.keyOf(s.get(EventType.NOTIFICATION_UPDATED))).isEqualTo("user-1");
  }

  @Test
  void servicesMayPublishExactlyTheTypesOfTheReadmeTable() {
    assertThat(Arrays.stream(EventType.values()).filter(EventType::publishable)).containsExactly(
        EventType.DEVICE_REGISTERED, EventType.DEVICE_UNREGISTERED, EventType.FOLLOW_CREATED,
        EventType.FOLLOW_REMOVED, EventType.POST_CREATED, EventType.LIKE_CREATED, EventType.LIKE_REMOVED,
        EventType.TIMELINE_POSTED, EventType.PROFILE_BANNED, EventType.USER_PREFERENCES_UPDATED);
  }

  @Test
  void keyOfRejectsDataOfAnotherType() {
    assertThatThrownBy(() -> EventType.FOLLOW_CREATED.keyOf(new PostCreated("p", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EventType FOLLOW_CREATED keys FollowCreated but data is a PostCreated");
  }
}
