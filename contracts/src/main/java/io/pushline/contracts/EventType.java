package io.pushline.contracts;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every Pushline event type: its CloudEvents {@code type}, its data record, its JSON Schema and
 * its Kafka partition key.
 *
 * <p>The key rule is part of the contract: publishers must use {@link #keyOf(EventData)} (or
 * {@link Envelope#key()}) as the record key on {@link Topics#EVENTS}, so that all events about one
 * entity land on one partition, in order.
 *
 * <table>
 *   <caption>Event types</caption>
 *   <tr><th>constant</th><th>ce_type</th><th>key</th></tr>
 *   <tr><td>DEVICE_REGISTERED</td><td>io.pushline.device.registered.v1</td><td>token</td></tr>
 *   <tr><td>DEVICE_UNREGISTERED</td><td>io.pushline.device.unregistered.v1</td><td>token</td></tr>
 *   <tr><td>FOLLOW_CREATED</td><td>io.pushline.follow.created.v1</td><td>followerId</td></tr>
 *   <tr><td>FOLLOW_REMOVED</td><td>io.pushline.follow.removed.v1</td><td>followerId</td></tr>
 *   <tr><td>POST_CREATED</td><td>io.pushline.post.created.v1</td><td>authorId</td></tr>
 *   <tr><td>LIKE_CREATED</td><td>io.pushline.like.created.v1</td><td>postOwnerId</td></tr>
 *   <tr><td>LIKE_REMOVED</td><td>io.pushline.like.removed.v1</td><td>postOwnerId</td></tr>
 *   <tr><td>TIMELINE_POSTED</td><td>io.pushline.timeline.posted.v1</td><td>authorId</td></tr>
 *   <tr><td>PROFILE_BANNED</td><td>io.pushline.profile.banned.v1</td><td>profileId</td></tr>
 *   <tr><td>PUSH_TASK</td><td>io.pushline.push.task.v1</td><td>userId</td></tr>
 *   <tr><td>PUSH_RECEIPT</td><td>io.pushline.push.receipt.v1</td><td>pushId</td></tr>
 *   <tr><td>CONTENT_REMOVAL</td><td>io.pushline.content.removal.v1</td><td>profileId</td></tr>
 *   <tr><td>TIMELINE_ENTRY_UPDATED</td><td>io.pushline.timeline.entry.updated.v1</td><td>ownerId</td></tr>
 *   <tr><td>ACTIVITY_RECORDED</td><td>io.pushline.activity.recorded.v1</td><td>recipientId</td></tr>
 *   <tr><td>NOTIFICATION_UPDATED</td><td>io.pushline.notification.updated.v1</td><td>recipientId</td></tr>
 *   <tr><td>USER_PREFERENCES_UPDATED</td><td>io.pushline.user.preferences.updated.v1</td><td>userId</td></tr>
 * </table>
 *
 * <p>{@code TIMELINE_ENTRY_UPDATED}, {@code ACTIVITY_RECORDED} and {@code NOTIFICATION_UPDATED} are
 * outputs: Pushline's coordinators write them (on {@link Topics#TIMELINE_ENTRIES},
 * {@link Topics#ACTIVITY} and {@link Topics#NOTIFICATIONS}) for other services to consume.
 * Those three, {@code PUSH_TASK}, {@code PUSH_RECEIPT} and {@code CONTENT_REMOVAL} are written only
 * by Pushline; on {@link Topics#EVENTS} the router dead-letters them (see {@link #publishable()}).
 */
public enum EventType {
  DEVICE_REGISTERED("io.pushline.device.registered.v1", DeviceRegistered.class, "device-registered",
      DeviceRegistered::token),
  DEVICE_UNREGISTERED("io.pushline.device.unregistered.v1", DeviceUnregistered.class, "device-unregistered",
      DeviceUnregistered::token),
  FOLLOW_CREATED("io.pushline.follow.created.v1", FollowCreated.class, "follow-created",
      FollowCreated::followerId),
  FOLLOW_REMOVED("io.pushline.follow.removed.v1", FollowRemoved.class, "follow-removed",
      FollowRemoved::followerId),
  POST_CREATED("io.pushline.post.created.v1", PostCreated.class, "post-created", PostCreated::authorId),
  LIKE_CREATED("io.pushline.like.created.v1", LikeCreated.class, "like-created", LikeCreated::postOwnerId),
  LIKE_REMOVED("io.pushline.like.removed.v1", LikeRemoved.class, "like-removed", LikeRemoved::postOwnerId),
  TIMELINE_POSTED("io.pushline.timeline.posted.v1", TimelinePosted.class, "timeline-posted",
      TimelinePosted::authorId),
  PROFILE_BANNED("io.pushline.profile.banned.v1", ProfileBanned.class, "profile-banned",
      ProfileBanned::profileId),
  PUSH_TASK("io.pushline.push.task.v1", PushTask.class, "push-task", PushTask::userId),
  PUSH_RECEIPT("io.pushline.push.receipt.v1", PushReceipt.class, "push-receipt", PushReceipt::pushId),
  CONTENT_REMOVAL("io.pushline.content.removal.v1", ContentRemoval.class, "content-removal",
      ContentRemoval::profileId),
  TIMELINE_ENTRY_UPDATED("io.pushline.timeline.entry.updated.v1", TimelineEntryUpdated.class,
      "timeline-entry-updated", TimelineEntryUpdated::ownerId),
  ACTIVITY_RECORDED("io.pushline.activity.recorded.v1", ActivityRecorded.class, "activity-recorded",
      ActivityRecorded::recipientId),
  NOTIFICATION_UPDATED("io.pushline.notification.updated.v1", NotificationUpdated.class, "notification-updated",
      NotificationUpdated::recipientId),
  USER_PREFERENCES_UPDATED("io.pushline.user.preferences.updated.v1", UserPreferencesUpdated.class,
      "user-preferences-updated", UserPreferencesUpdated::userId);

  private static final Map<String, EventType> BY_CE_TYPE = new HashMap<>();
  /** Written only by Pushline's own roles; the router dead-letters them on {@link Topics#EVENTS}. */
  private static final EnumSet<EventType> WRITTEN_BY_PUSHLINE = EnumSet.of(PUSH_TASK, PUSH_RECEIPT, CONTENT_REMOVAL,
      TIMELINE_ENTRY_UPDATED, ACTIVITY_RECORDED, NOTIFICATION_UPDATED);

  static {
    for (EventType t : values()) {
      BY_CE_TYPE.put(t.ceType, t);
    }
  }

  private final String ceType;
  private final Class<? extends EventData> dataClass;
  private final String schemaName;
  private final Function<EventData, String> key;

  <D extends EventData> EventType(String ceType, Class<D> dataClass, String schemaName, Function<D, String> key) {
    this.ceType = ceType;
    this.dataClass = dataClass;
    this.schemaName = schemaName;
    this.key = data -> key.apply(dataClass.cast(data));
  }

  /** The CloudEvents {@code type} attribute ({@code ce_type} header), e.g. {@code io.pushline.push.task.v1}. */
  public String ceType() {
    return ceType;
  }

  /** The record class holding this type's data. */
  public Class<? extends EventData> dataClass() {
    return dataClass;
  }

  /** The schema's short name, e.g. {@code push-task}. */
  public String schemaName() {
    return schemaName;
  }

  /** The classpath resource of this type's JSON Schema: {@code /schemas/v1/<schemaName>.schema.json}. */
  public String schemaResource() {
    return "/schemas/v1/" + schemaName + ".schema.json";
  }

  /** The event type with this CloudEvents {@code type}, or empty if Pushline does not know it. */
  public static Optional<EventType> fromCeType(String ceType) {
    return ceType == null ? Optional.empty() : Optional.ofNullable(BY_CE_TYPE.get(ceType));
  }

  /**
   * Whether services may publish this type on {@link Topics#EVENTS}: false for the types only Pushline
   * writes (push tasks, receipts, content removals and the coordinators' outputs), which the router
   * dead-letters there as {@link DeadLetterReason#UNKNOWN_TYPE}.
   */
  public boolean publishable() {
    return !WRITTEN_BY_PUSHLINE.contains(this);
  }

  /**
   * The Kafka record key (and partition key) for {@code data}; see the table above.
   *
   * @throws IllegalArgumentException if {@code data} is not of this type
   */
  public String keyOf(EventData data) {
    Require.nonNull(data, "data");
    if (!dataClass.isInstance(data)) {
      throw new IllegalArgumentException(
          "EventType " + name() + " keys " + dataClass.getSimpleName() + " but data is a "
              + data.getClass().getSimpleName());
    }
    return key.apply(data);
  }
}
