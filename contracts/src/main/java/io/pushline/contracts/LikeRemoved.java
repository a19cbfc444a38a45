package io.pushline.contracts;

/**
 * A user took back a like; undoes what the like flow has done and cancels its push if not yet
 * requested. Kafka key: {@code postOwnerId}.
 *
 * @param actorId user who took back the like
 * @param postId the post no longer liked
 * @param postOwnerId owner of the post: the recipient of the like flow
 */
public record LikeRemoved(String actorId, String postId, String postOwnerId) implements EventData {
  /** Rejects {@code null} components. */
  public LikeRemoved {
    Require.nonNull(actorId, "LikeRemoved.actorId");
    Require.nonNull(postId, "LikeRemoved.postId");
    Require.nonNull(postOwnerId, "LikeRemoved.postOwnerId");
  }

  @Override
  public EventType type() {
    return EventType.LIKE_REMOVED;
  }
}
