package io.pushline.contracts;

import java.time.Instant;

/**
 * A device (one app install) registered a push token for a user. Kafka key: {@code token}.
 * A registration newer than a {@link DeviceUnregistered} for the same token wins.
 *
 * @param userId user who owns the device
 * @param token push token issued by APNs or FCM; never log it
 * @param platform provider the token belongs to
 * @param appId APNs topic (bundle id) or FCM app id
 * @param registeredAt when the device registered the token
 */
public record DeviceRegistered(String userId, String token, Platform platform, String appId,
                               Instant registeredAt) implements EventData {
  /** Rejects {@code null} components. */
  public DeviceRegistered {
    Require.nonNull(userId, "DeviceRegistered.userId");
    Require.nonNull(token, "DeviceRegistered.token");
    Require.nonNull(platform, "DeviceRegistered.platform");
    Require.nonNull(appId, "DeviceRegistered.appId");
    Require.nonNull(registeredAt, "DeviceRegistered.registeredAt");
  }

  @Override
  public EventType type() {
    return EventType.DEVICE_REGISTERED;
  }

  /** Omits the token, so the record can be logged. */
  @Override
  public String toString() {
    return "DeviceRegistered[userId=" + userId + ", token=<redacted>, platform=" + platform
        + ", appId=" + appId + ", registeredAt=" + registeredAt + "]";
  }
}
