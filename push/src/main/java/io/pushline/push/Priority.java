package io.pushline.push;

/**
 * Delivery priority. APNs: {@code HIGH} = {@code apns-priority: 10}, {@code NORMAL} = 5 (background
 * pushes are always 5, as APNs requires). FCM: the Android message priority.
 */
public enum Priority {
    HIGH,
    NORMAL
}
