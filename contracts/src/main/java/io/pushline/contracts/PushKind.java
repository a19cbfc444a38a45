package io.pushline.contracts;

/** What a push shows: an alert the user sees, or a silent background push that wakes the app. */
public enum PushKind {
  /** Title, body, sound and badge are shown (APNs push type {@code alert}, FCM notification message). */
  ALERT,
  /** Only data reaches the app; title, body, sound and badge are not sent (APNs push type {@code background}, priority 5). */
  BACKGROUND
}
