package io.pushline.contracts;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A command to remove one piece of a banned profile's content, written by Pushline's ban cascade to
 * {@link Topics#MODERATION_REMOVALS} (internal: not accepted on {@link Topics#EVENTS}). Kafka key:
 * {@code profileId}.
 *
 * <p>Its CloudEvent id is {@link #removalId(String, ContentKind, String)}: a resumed or replayed
 * ban writes the same command with the same id, so consumers deduplicate by id.
 *
 * @param profileId the banned profile that owns the content
 * @param kind what to remove: the profile's post, or the profile's like of a post
 * @param postId the post (for {@link ContentKind#LIKE}: the liked post)
 * @param postOwnerId owner of the post (for {@link ContentKind#POST}: {@code profileId} itself)
 * @param banEventId CloudEvent id of the {@link ProfileBanned} event that caused the removal
 */
public record ContentRemoval(String profileId, ContentKind kind, String postId, String postOwnerId, String banEventId)
    implements EventData {
  /** Rejects {@code null} components. */
  public ContentRemoval {
    Require.nonNull(profileId, "ContentRemoval.profileId");
    Require.nonNull(kind, "ContentRemoval.kind");
    Require.nonNull(postId, "ContentRemoval.postId");
    Require.nonNull(postOwnerId, "ContentRemoval.postOwnerId");
    Require.nonNull(banEventId, "ContentRemoval.banEventId");
  }

  @Override
  public EventType type() {
    return EventType.CONTENT_REMOVAL;
  }

  /**
   * The CloudEvent id of the removal of {@code kind}/{@code postId} caused by ban
   * {@code banEventId}: {@code UUID.nameUUIDFromBytes(UTF-8(banEventId + "|" + kind + "|" + postId))}
   * (a version 3 UUID), the same on every JVM and in every language.
   */
  public static String removalId(String banEventId, ContentKind kind, String postId) {
    Require.nonNull(banEventId, "banEventId");
    Require.nonNull(kind, "kind");
    Require.nonNull(postId, "postId");
    return UUID.nameUUIDFromBytes((banEventId + "|" + kind.name() + "|" + postId).getBytes(StandardCharsets.UTF_8))
        .toString();
  }
}
