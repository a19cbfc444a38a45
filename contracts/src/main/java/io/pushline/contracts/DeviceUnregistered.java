package io.pushline.contracts;

import java.time.Instant;

/**
 * A push token stopped being valid: the app was uninstalled, the user logged out, or a provider
 * reported it invalid (APNs 410 with its timestamp, FCM {@code UNREGISTERED}). Kafka key:
 * {@code token}. A {@link DeviceRegistered} newer than {@code invalidatedAt} wins.
 *
 * @param token the invalid push token; never log it
 * @param invalidatedAt when the token became invalid (for APNs 410: the provider's timestamp)
 * @param reason why, e.g. {@code Unregistered}, {@code BadDeviceToken}, {@code logout}
 */
public record DeviceUnregistered(String token, Instant invalidatedAt, String reason) implements EventData {
  /** Rejects {@code null} components. */
  public DeviceUnregistered {
    Require.nonNull(token, "DeviceUnregistered.token");
    Require.nonNull(invalidatedAt, "DeviceUnregistered.invalidatedAt");
    Require.nonNull(reason, "DeviceUnregistered.reason");
  }

  @Override
  public EventType type() {
    return EventType.DEVICE_UNREGISTERED;
  }

  /** Omits the token, so the record can be logged. */
  @Override
  public String toString() {
    return "DeviceUnregistered[token=<redacted>, invalidatedAt=" + invalidatedAt + ", reason=" + reason + "]";
  }
}
