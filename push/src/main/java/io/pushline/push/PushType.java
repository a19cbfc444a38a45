package io.pushline.push;

/** What the device does with the push. */
public enum PushType {
    /** Shown to the user (title and body). */
    ALERT,
    /** Wakes the app silently; no title or body is sent. */
    BACKGROUND
}
