package io.pushline.contracts;

import java.util.Locale;

/** A topic's {@code cleanup.policy}. */
public enum CleanupPolicy {
  /** Old segments are deleted after the retention period. */
  DELETE,
  /** Only the latest record per key is kept, forever; a null value (tombstone) deletes the key. */
  COMPACT;

  /** The value of the {@code cleanup.policy} topic config: {@code delete} or {@code compact}. */
  public String configValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
