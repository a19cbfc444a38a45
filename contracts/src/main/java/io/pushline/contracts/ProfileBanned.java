package io.pushline.contracts;

/**
 * A profile was banned: its content is removed, its unsent pushes cancelled and its follow edges dropped. Kafka key: {@code profileId}.
 *
 * @param profileId the banned profile (a user id)
 * @param reason why; for audit, never shown to users
 */
public record ProfileBanned(String profileId, String reason) implements EventData {
  /** Rejects {@code null} components. */
  public ProfileBanned {
    Require.nonNull(profileId, "ProfileBanned.profileId");
    Require.nonNull(reason, "ProfileBanned.reason");
  }

  @Override
  public EventType type() {
    return EventType.PROFILE_BANNED;
  }
}
