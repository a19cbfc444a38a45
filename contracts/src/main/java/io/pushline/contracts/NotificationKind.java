package io.pushline.contracts;

/** What an in-app notification ({@link NotificationUpdated}) is about. */
public enum NotificationKind {
  /** Users liked a post of the recipient; the object is the post. */
  LIKE,
  /** Users followed the recipient; the object is the recipient. */
  FOLLOW
}
