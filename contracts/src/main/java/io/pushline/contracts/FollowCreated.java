package io.pushline.contracts;

/**
 * A user started following another user. Kafka key: {@code followerId}.
 *
 * @param followerId user who follows
 * @param followeeId user being followed
 */
public record FollowCreated(String followerId, String followeeId) implements EventData {
  /** Rejects {@code null} components. */
  public FollowCreated {
    Require.nonNull(followerId, "FollowCreated.followerId");
    Require.nonNull(followeeId, "FollowCreated.followeeId");
  }

  @Override
  public EventType type() {
    return EventType.FOLLOW_CREATED;
  }
}
