package io.pushline.contracts;

/** Delivery priority asked of the push provider (APNs priority 10 or 5, FCM high or normal). */
public enum Priority {
  /** Deliver immediately, waking the device. */
  HIGH,
  /** The provider may delay delivery to save battery. */
  NORMAL
}
