package io.pushline.contracts;

/**
 * A user posted to their timeline; every device of every follower gets a push (an unbounded
 * fanout). Kafka key: {@code authorId}.
 *
 * @param postId the post
 * @param authorId user who posted
 * @param title notification title, 1 to 256 characters
 * @param body notification body, at most 2048 characters, may be empty
 * @param appId the app (the tenant: a customer of this deployment) the post belongs to, or {@code null} for the
 *     default app. The bulk lane shares its capacity between apps by their weights, so one app's huge fanout does
 *     not hold up another's. Not the devices' provider app ids (an app's iOS bundle id, FCM app, web origin).
 */
public record TimelinePosted(String postId, String authorId, String title, String body, @Nullable String appId)
    implements EventData {
  /** A post of the default app. */
  public TimelinePosted(String postId, String authorId, String title, String body) {
    this(postId, authorId, title, body, null);
  }

  /** Rejects {@code null} components (but {@code appId}) and an app id the schema would refuse. */
  public TimelinePosted {
    if (appId != null && !Require.ID.matcher(appId).matches()) {
      throw new IllegalArgumentException("TimelinePosted.appId: must be 1 to 128 of [A-Za-z0-9._:@-]");
    }
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
