package io.pushline.contracts;

/**
 * A user created a post, indexed as the author's content (so a ban can remove it). Kafka key: {@code authorId}.
 *
 * @param postId the new post
 * @param authorId user who wrote it
 */
public record PostCreated(String postId, String authorId) implements EventData {
  /** Rejects {@code null} components. */
  public PostCreated {
    Require.nonNull(postId, "PostCreated.postId");
    Require.nonNull(authorId, "PostCreated.authorId");
  }

  @Override
  public EventType type() {
    return EventType.POST_CREATED;
  }
}
