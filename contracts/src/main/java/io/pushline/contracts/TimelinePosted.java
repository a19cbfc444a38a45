package io.pushline.contracts;

/**
 * A user posted to their timeline; every device of every follower gets a push (an unbounded
 * fanout). Kafka key: {@code authorId}.
 *
 * @param postId the post
 * @param authorId user who posted
 * @param title notification title, 1 to 256 characters
 * @param body notification body, at most 2048 characters, may be empty
 */
public record TimelinePosted(String postId, String authorId, String title, String body) implements EventData {
  /** Rejects {@code null} components. */
  public TimelinePosted {
    Require.nonNull(postId, "TimelinePosted.postId");
    Require.nonNull(authorId, "TimelinePosted.authorId");
    Require.nonNull(title, "TimelinePosted.title");
    Require.nonNull(body, "TimelinePosted.body");
  }

  @Override
  public EventType type() {
    return EventType.TIMELINE_POSTED;
  }
}
