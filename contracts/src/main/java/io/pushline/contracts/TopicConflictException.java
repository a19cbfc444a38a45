package io.pushline.contracts;

import java.util.List;

/**
 * Existing topics differ from the catalogue in a way Pushline cannot run with (partition count,
 * replication factor, {@code min.insync.replicas}, cleanup policy, a message size limit that is too
 * small). The message lists every conflict.
 * Not retriable: fix or recreate the topics.
 */
public final class TopicConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> conflicts;

  /**
   * @param conflicts one sentence per conflict, e.g.
   *     {@code "topic pushline.push.bulk has 3 partitions but the catalogue needs 6"}; not empty
   */
  public TopicConflictException(List<String> conflicts) {
    super(message(conflicts));
    this.conflicts = List.copyOf(conflicts);
  }

  /** Every conflict, one sentence each. */
  public List<String> conflicts() {
    return conflicts;
  }

  static String message(List<String> conflicts) {
    Require.nonNull(conflicts, "conflicts");
    if (conflicts.isEmpty()) {
      throw new IllegalArgumentException("conflicts must not be empty");
    }
    return (conflicts.size() == 1 ? "1 conflict" : conflicts.size() + " conflicts")
        + " between existing topics and the Pushline topic catalogue: " + String.join("; ", conflicts)
        + ". Pushline does not change existing topics: fix them or delete them so they are recreated.";
  }
}
