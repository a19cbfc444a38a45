package io.pushline.push;

/** The push service a device token belongs to. */
public enum Platform {
    /** Apple Push Notification service. */
    APNS,
    /** Firebase Cloud Messaging. */
    FCM,
    /** Web push (RFC 8030) to a browser's push service, encrypted (RFC 8291) and signed (VAPID, RFC 8292). */
    WEBPUSH
}
