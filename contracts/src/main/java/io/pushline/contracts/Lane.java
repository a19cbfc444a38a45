package io.pushline.contracts;

/**
 * The Pushline lane a {@link PushTask} travels in. Each lane has its own topic and capacity, so
 * a fanout to millions of devices never delays a like notification.
 */
public enum Lane {
  /** Pushes from bounded flows (likes, follows), on {@link Topics#PUSH_HIGH}. */
  HIGH,
  /** Pushes from unbounded fanouts (timeline posts), on {@link Topics#PUSH_BULK}. */
  BULK
}
