package io.pushline.contracts;

/** Push provider a device token belongs to. */
public enum Platform {
  /** Apple Push Notification service. */
  APNS,
  /** Firebase Cloud Messaging. */
  FCM,
  /** Web push (RFC 8030, encrypted per RFC 8291, signed with VAPID per RFC 8292) to a browser's push service. */
  WEBPUSH
}
