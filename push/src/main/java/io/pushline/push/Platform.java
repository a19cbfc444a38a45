package io.pushline.push;

/** The push service a device token belongs to. */
public enum Platform {
    /** Apple Push Notification service. */
    APNS,
    /** Firebase Cloud Messaging. */
    FCM
}
