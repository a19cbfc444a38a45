package io.pushline.contracts;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The latest version of one in-app notification ("Bob, Carol and 3 others liked your post"),
 * written by Pushline's coordinators for other services to consume, on the compacted
 * {@link Topics#NOTIFICATIONS} (record key {@code recipientId|notificationId}): an inbox keeps the
 * latest version of each notification. Kafka key: {@code recipientId}.
 *
 * <p>A notification whose actors all took their action back is <i>retracted</i>: it is written
 * once more with {@code actorCount} 0 and no {@code latestActorIds}.
 *
 * @param notificationId the notification; every version of it has the same id
 * @param recipientId user the notification is for
 * @param kind what the notification is about
 * @param objectId what the actors acted on: the liked post for {@link NotificationKind#LIKE}, the
 *     followed user (the recipient) for {@link NotificationKind#FOLLOW}
 * @param latestActorIds the most recent distinct actors, newest first, at most
 *     {@value #MAX_LATEST_ACTORS} and at most {@code actorCount}; empty only when {@code actorCount}
 *     is 0 (retracted). Copied, unmodifiable.
 * @param actorCount how many distinct users acted, >= 0; 0 means the notification was retracted
 * @param text the notification text to show, at most 512 characters, may be empty
 * @param collapseKey 1 to 64 of {@code [A-Za-z0-9._:@-]} (as {@link PushTask#collapseKey()}):
 *     versions with the same key replace each other
 * @param windowStart when the aggregation window of this notification started
 */
public record NotificationUpdated(String notificationId, String recipientId, NotificationKind kind, String objectId,
                                  List<String> latestActorIds, long actorCount, String text, String collapseKey,
                                  Instant windowStart) implements EventData {
  /** The most actors {@link #latestActorIds()} holds. */
  public static final int MAX_LATEST_ACTORS = 3;

  /**
   * @throws NullPointerException if a component, or an element of {@code latestActorIds}, is null
   * @throws IllegalArgumentException if {@code actorCount < 0}, or {@code latestActorIds} holds more
   *     than {@value #MAX_LATEST_ACTORS} or more than {@code actorCount} ids, repeats an id, or is
   *     empty while {@code actorCount > 0}
   */
  public NotificationUpdated {
    Require.nonNull(notificationId, "NotificationUpdated.notificationId");
    Require.nonNull(recipientId, "NotificationUpdated.recipientId");
    Require.nonNull(kind, "NotificationUpdated.kind");
    Require.nonNull(objectId, "NotificationUpdated.objectId");
    Require.nonNull(latestActorIds, "NotificationUpdated.latestActorIds");
    Require.nonNull(text, "NotificationUpdated.text");
    Require.nonNull(collapseKey, "NotificationUpdated.collapseKey");
    Require.nonNull(windowStart, "NotificationUpdated.windowStart");
    Require.nonNegative(actorCount, "NotificationUpdated.actorCount");
    int size = latestActorIds.size();
    if (size > MAX_LATEST_ACTORS) {
      throw new IllegalArgumentException(
          "NotificationUpdated.latestActorIds must hold at most " + MAX_LATEST_ACTORS + " ids but held " + size);
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < size; i++) {
      String actorId = Require.nonNull(latestActorIds.get(i), "NotificationUpdated.latestActorIds[" + i + "]");
      if (!seen.add(actorId)) {
        throw new IllegalArgumentException("NotificationUpdated.latestActorIds must not repeat an id but holds '"
            + Require.printable(actorId, 200) + "' twice");
      }
    }
    if (size > actorCount) {
      throw new IllegalArgumentException("NotificationUpdated.latestActorIds must hold at most actorCount ("
          + actorCount + ") ids but held " + size);
    }
    if (size == 0 && actorCount > 0) {
      throw new IllegalArgumentException("NotificationUpdated.latestActorIds must not be empty when actorCount is "
          + actorCount + " (only a retracted notification, actorCount 0, lists no actors)");
    }
    latestActorIds = List.copyOf(latestActorIds);
  }

  @Override
  public EventType type() {
    return EventType.NOTIFICATION_UPDATED;
  }
}
