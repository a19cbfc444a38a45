package io.pushline.contracts;

import java.time.Instant;

/**
 * A device (one app install, or one browser's web push subscription) registered for a user. Kafka key: {@code token}.
 * A registration newer than a {@link DeviceUnregistered} for the same token wins, and replaces the one before it.
 *
 * <p>A web push device ({@link Platform#WEBPUSH}) carries the browser's {@link PushSubscription} as
 * {@code PushSubscription.toJSON()} gives it. Its token may be omitted: it is then derived from the endpoint
 * ({@link PushSubscription#tokenOf}), so registering the same endpoint again (new keys) replaces the stored
 * subscription. A web app that keeps its own id per browser install may send that as the token instead, and then a
 * re-subscription with a new endpoint replaces the old one at once. APNs and FCM devices carry a token and no
 * subscription.
 *
 * @param userId user who owns the device
 * @param token push token issued by APNs or FCM; for WEBPUSH the app's own id of the browser install, or absent
 *     (derived from the endpoint); never log it
 * @param platform provider the token belongs to
 * @param appId APNs topic (bundle id), FCM app id, or for WEBPUSH the app whose VAPID keys sign its pushes
 * @param registeredAt when the device registered the token
 * @param subscription WEBPUSH only, and required there: the browser's push subscription
 */
public record DeviceRegistered(String userId, @Nullable String token, Platform platform, String appId,
                               Instant registeredAt, @Nullable PushSubscription subscription) implements EventData {
  /** An APNs or FCM device. */
  public DeviceRegistered(String userId, String token, Platform platform, String appId, Instant registeredAt) {
    this(userId, Require.nonNull(token, "DeviceRegistered.token"), platform, appId, registeredAt, null);
  }

  /** Rejects {@code null} components, a subscription on the wrong platform; derives a WEBPUSH token if absent. */
  public DeviceRegistered {
    Require.nonNull(userId, "DeviceRegistered.userId");
    Require.nonNull(platform, "DeviceRegistered.platform");
    Require.nonNull(appId, "DeviceRegistered.appId");
    Require.nonNull(registeredAt, "DeviceRegistered.registeredAt");
    if (platform == Platform.WEBPUSH) {
      Require.nonNull(subscription, "DeviceRegistered.subscription (required for WEBPUSH)");
      if (token == null) {
        token = subscription.token();
      }
    } else {
      Require.nonNull(token, "DeviceRegistered.token");
      if (subscription != null) {
        throw new IllegalArgumentException("DeviceRegistered.subscription is for WEBPUSH only, not " + platform);
      }
    }
  }

  @Override
  public EventType type() {
    return EventType.DEVICE_REGISTERED;
  }

  /** Omits the token and the subscription's endpoint and keys, so the record can be logged. */
  @Override
  public String toString() {
    return "DeviceRegistered[userId=" + userId + ", token=<redacted>, platform=" + platform
        + ", appId=" + appId + ", registeredAt=" + registeredAt
        + (subscription == null ? "" : ", subscription=" + subscription) + "]";
  }
}
