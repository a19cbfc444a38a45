package io.pushline.contracts;

/**
 * A user stopped following another user. Kafka key: {@code followerId}.
 *
 * @param followerId user who no longer follows
 * @param followeeId user no longer followed
 */
public record FollowRemoved(String followerId, String followeeId) implements EventData {
  /** Rejects {@code null} components. */
  public FollowRemoved {
    Require.nonNull(followerId, "FollowRemoved.followerId");
    Require.nonNull(followeeId, "FollowRemoved.followeeId");
  }

  @Override
  public EventType type() {
    return EventType.FOLLOW_REMOVED;
  }
}
