package io.pushline.contracts;

/** Push provider a device token belongs to. */
public enum Platform {
  /** Apple Push Notification service. */
  APNS,
  /** Firebase Cloud Messaging. */
  FCM
}
