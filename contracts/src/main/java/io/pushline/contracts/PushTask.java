package io.pushline.contracts;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One notification to one device. Kafka key: {@code userId}; topic by {@link #lane()}
 * ({@link Topics#PUSH_HIGH} or {@link Topics#PUSH_BULK}).
 *
 * <p>{@code pushId} is deterministic ({@link PushIds#pushId(String, String)}), so a task that is
 * produced twice, or retried, is recognised by the receipts check.
 *
 * @param pushId {@code PushIds.pushId(sourceEventId, token)}
 * @param sourceEventId CloudEvent id of the event that caused this push
 * @param userId recipient
 * @param token push token; never log it
 * @param platform provider the token belongs to
 * @param appId APNs topic (bundle id) or FCM app id
 * @param title notification title, 1 to 256 characters
 * @param body notification body, at most 2048 characters, may be empty
 * @param data custom key/value data (at most 16 entries); copied, unmodifiable, sorted by key
 * @param collapseKey optional: notifications with the same key replace each other on the device
 * @param ttlSeconds optional: how long the provider keeps trying (0 to 28 days); null means the
 *     provider's default
 * @param priority provider delivery priority
 * @param lane Pushline lane
 * @param badge optional: the app icon's badge number (0 clears it); APNs {@code aps.badge}, FCM Android
 *     {@code notification_count}
 * @param sound optional: a sound file in the app bundle, or {@code default}; null means the platform's
 *     default sound for an alert
 * @param kind optional: {@link PushKind#ALERT} (null means alert) or {@link PushKind#BACKGROUND}
 * @param webPush WEBPUSH only, and required there: the browser's subscription that {@code token} names (the
 *     endpoint and keys travel with the task, so a worker needs no lookup to encrypt and send it)
 */
public record PushTask(String pushId, String sourceEventId, String userId, String token, Platform platform,
                       String appId, String title, String body, Map<String, String> data,
                       @Nullable String collapseKey, @Nullable Integer ttlSeconds, Priority priority, Lane lane,
                       @Nullable Integer badge, @Nullable String sound, @Nullable PushKind kind,
                       @Nullable PushSubscription webPush)
    implements EventData {
  /**
   * Kafka record header of a bulk task: the app (tenant) of the post it comes from, UTF-8, absent for the default app.
   * The workers read it, without decoding the task, to share the lane between apps (see {@code TimelinePosted.appId}).
   */
  public static final String APP_HEADER = "pushline_app";

  /** An APNs or FCM push (no web push subscription). */
  public PushTask(String pushId, String sourceEventId, String userId, String token, Platform platform,
                  String appId, String title, String body, Map<String, String> data,
                  @Nullable String collapseKey, @Nullable Integer ttlSeconds, Priority priority, Lane lane,
                  @Nullable Integer badge, @Nullable String sound, @Nullable PushKind kind) {
    this(pushId, sourceEventId, userId, token, platform, appId, title, body, data, collapseKey, ttlSeconds, priority,
        lane, badge, sound, kind, null);
  }

  /** An alert with the platform's default sound and no badge. */
  public PushTask(String pushId, String sourceEventId, String userId, String token, Platform platform,
                  String appId, String title, String body, Map<String, String> data,
                  @Nullable String collapseKey, @Nullable Integer ttlSeconds, Priority priority, Lane lane) {
    this(pushId, sourceEventId, userId, token, platform, appId, title, body, data, collapseKey, ttlSeconds, priority,
        lane, null, null, null);
  }

  /** {@link #kind()}, with null read as {@link PushKind#ALERT}. */
  public PushKind kindOrAlert() {
    return kind == null ? PushKind.ALERT : kind;
  }

  /**
   * Rejects {@code null} required components, {@code null} keys or values in {@code data}, and a subscription missing
   * on a WEBPUSH task or present on another.
   */
  public PushTask {
    Require.nonNull(pushId, "PushTask.pushId");
    Require.nonNull(sourceEventId, "PushTask.sourceEventId");
    Require.nonNull(userId, "PushTask.userId");
    Require.nonNull(token, "PushTask.token");
    Require.nonNull(platform, "PushTask.platform");
    Require.nonNull(appId, "PushTask.appId");
    Require.nonNull(title, "PushTask.title");
    Require.nonNull(body, "PushTask.body");
    Require.nonNull(data, "PushTask.data");
    Require.nonNull(priority, "PushTask.priority");
    Require.nonNull(lane, "PushTask.lane");
    if ((platform == Platform.WEBPUSH) != (webPush != null)) {
      throw new IllegalArgumentException(platform == Platform.WEBPUSH ? "PushTask.webPush is required for WEBPUSH"
          : "PushTask.webPush is for WEBPUSH only, not " + platform);
    }
    TreeMap<String, String> copy = new TreeMap<>();
    data.forEach((k, v) -> copy.put(Require.nonNull(k, "PushTask.data key"), Require.nonNull(v, "PushTask.data[" + k + "]")));
    data = Collections.unmodifiableMap(copy);
  }

  @Override
  public EventType type() {
    return EventType.PUSH_TASK;
  }

  /** Omits the token, so the record can be logged. */
  @Override
  public String toString() {
    return "PushTask[pushId=" + pushId + ", sourceEventId=" + sourceEventId + ", userId=" + userId
        + ", token=<redacted>, platform=" + platform + ", appId=" + appId + ", title=" + title
        + ", body=" + body + ", data=" + data + ", collapseKey=" + collapseKey + ", ttlSeconds=" + ttlSeconds
        + ", priority=" + priority + ", lane=" + lane + ", badge=" + badge + ", sound=" + sound + ", kind=" + kind
        + (webPush == null ? "" : ", webPush=" + webPush) + "]";
  }
}
