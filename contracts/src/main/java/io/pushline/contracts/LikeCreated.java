package io.pushline.contracts;

/**
 * A user liked a post; the post's owner is notified (a bounded flow). Kafka key:
 * {@code postOwnerId}.
 *
 * @param actorId user who liked the post
 * @param postId the liked post
 * @param postOwnerId owner of the post: the recipient
 */
public record LikeCreated(String actorId, String postId, String postOwnerId) implements EventData {
  /** Rejects {@code null} components. */
  public LikeCreated {
    Require.nonNull(actorId, "LikeCreated.actorId");
    Require.nonNull(postId, "LikeCreated.postId");
    Require.nonNull(postOwnerId, "LikeCreated.postOwnerId");
  }

  @Override
  public EventType type() {
    return EventType.LIKE_CREATED;
  }
}
