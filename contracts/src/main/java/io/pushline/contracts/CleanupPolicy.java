package io.pushline.contracts;

import java.util.Locale;

/** A topic's {@code cleanup.policy}. */
public enum CleanupPolicy {
  /** Old segments are deleted after the retention period. */
  DELETE,
  /** Only the latest record per key is kept, forever; a null value (tombstone) deletes the key. */
  COMPACT,
  /**
   * Both: the latest record per key is kept, and only for the retention period (segments whose newest record is older
   * are deleted). For keyed state that is worth nothing past a product time, such as push receipts.
   */
  COMPACT_DELETE;

  /** The value of the {@code cleanup.policy} topic config: {@code delete}, {@code compact} or {@code compact,delete}. */
  public String configValue() {
    return this == COMPACT_DELETE ? "compact,delete" : name().toLowerCase(Locale.ROOT);
  }
}
