package io.pushline.contracts;

/**
 * The latest like count of a post, written by Pushline's like coordinator for other services to
 * consume, on the compacted {@link Topics#TIMELINE_ENTRIES} (record key {@code ownerId|postId}).
 * Kafka key: {@code ownerId}.
 *
 * @param ownerId owner of the post
 * @param postId the post
 * @param likeCount how many users like the post now, >= 0
 */
public record TimelineEntryUpdated(String ownerId, String postId, long likeCount) implements EventData {
  /**
   * @throws NullPointerException if {@code ownerId} or {@code postId} is null
   * @throws IllegalArgumentException if {@code likeCount < 0}
   */
  public TimelineEntryUpdated {
    Require.nonNull(ownerId, "TimelineEntryUpdated.ownerId");
    Require.nonNull(postId, "TimelineEntryUpdated.postId");
    Require.nonNegative(likeCount, "TimelineEntryUpdated.likeCount");
  }

  @Override
  public EventType type() {
    return EventType.TIMELINE_ENTRY_UPDATED;
  }
}
