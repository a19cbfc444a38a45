package io.pushline.contracts;

/**
 * The domain fields of a Pushline event: the CloudEvent {@code data}, serialised as JSON that
 * satisfies {@link EventType#schemaResource()}. Implementations are immutable records; a required
 * (non-{@link Nullable}) component is never {@code null}.
 */
public sealed interface EventData
    permits DeviceRegistered, DeviceUnregistered, FollowCreated, FollowRemoved, PostCreated,
    LikeCreated, LikeRemoved, TimelinePosted, ProfileBanned, PushTask, PushReceipt, ContentRemoval,
    TimelineEntryUpdated, ActivityRecorded, NotificationUpdated, UserPreferencesUpdated {

  /** The event type this data belongs to; fixed per record class. */
  EventType type();
}
