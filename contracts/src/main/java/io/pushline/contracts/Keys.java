package io.pushline.contracts;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Compound keys ({@code a|b}) for the compacted state topics, and the partition an entity lives
 * on. Stateless and thread-safe.
 *
 * <p>State topics are keyed by a compound key but partitioned by its first part (see
 * {@link Topics}): write them with an explicit partition, {@code partitionFor(first, n)}.
 */
public final class Keys {
  /** Separator of compound keys; ids and tokens never contain it (see the schemas). */
  public static final char SEPARATOR = '|';

  private Keys() {
  }

  /**
   * {@code a + "|" + b}.
   *
   * @throws IllegalArgumentException if either part contains {@code |}, which would make the key ambiguous
   */
  public static String compound(String a, String b) {
    checkPart(a, "a");
    checkPart(b, "b");
    return a + SEPARATOR + b;
  }

  /** The part before the first {@code |}. */
  public static String first(String compound) {
    return compound.substring(0, separatorIndex(compound));
  }

  /** The part after the first {@code |}. */
  public static String second(String compound) {
    return compound.substring(separatorIndex(compound) + 1);
  }

  /**
   * The partition Kafka's default partitioner picks for the String key {@code entityId}
   * (serialised as UTF-8): {@code toPositive(murmur2(bytes)) % numPartitions}.
   */
  public static int partitionFor(String entityId, int numPartitions) {
    Require.nonNull(entityId, "entityId");
    Require.positive(numPartitions, "numPartitions");
    return Utils.toPositive(Utils.murmur2(entityId.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }

  private static void checkPart(String part, String name) {
    Require.nonNull(part, name);
    if (part.indexOf(SEPARATOR) >= 0) {
      throw new IllegalArgumentException(
          "compound key part " + name + " must not contain '|' but was '" + Require.printable(part, 200) + "'");
    }
  }

  private static int separatorIndex(String compound) {
    Require.nonNull(compound, "compound");
    int i = compound.indexOf(SEPARATOR);
    if (i < 0) {
      throw new IllegalArgumentException(
          "compound key must contain '|' but was '" + Require.printable(compound, 200) + "'");
    }
    return i;
  }
}
