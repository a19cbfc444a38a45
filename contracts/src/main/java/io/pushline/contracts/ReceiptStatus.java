package io.pushline.contracts;

/** The final outcome of one push, recorded in a {@link PushReceipt}. Every status is final. */
public enum ReceiptStatus {
  /** The provider accepted the notification. */
  DELIVERED,
  /** The provider refused it permanently (invalid token, bad payload); do not retry. */
  REJECTED,
  /** The time to live passed before it could be delivered. */
  EXPIRED,
  /** Pushline gave up after its retries: the provider answered retry-later to every attempt that reached it. */
  FAILED,
  /** Not sent: overtaken before its turn (the device was unregistered, or the profile it is about was banned). */
  CANCELLED
}
