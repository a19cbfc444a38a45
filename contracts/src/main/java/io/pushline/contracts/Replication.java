package io.pushline.contracts;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * How Pushline's topics are replicated: the replication factor and the {@code min.insync.replicas} they are created
 * with and checked against. Immutable and thread-safe.
 *
 * <p>The rule, one for every topic (the catalogue, the workers' retry topics, Kafka Streams' internal topics): min ISR
 * is the factor minus one, at least one. With the producers' {@code acks=all}, a topic of factor 3 keeps accepting
 * writes with one broker down and never acknowledges a write that only one broker holds.
 *
 * @param factor replication factor, >= 1
 * @param minInsyncReplicas {@code min.insync.replicas}, 1 to {@code factor}
 */
public record Replication(short factor, short minInsyncReplicas) {
  /** The largest factor {@link Choice#AUTO} picks: more copies cost disk and network and add little safety. */
  public static final int AUTO_MAX_FACTOR = 3;

  /** @throws IllegalArgumentException if a value is out of range, naming it */
  public Replication {
    if (factor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1 but was " + factor);
    }
    if (minInsyncReplicas < 1 || minInsyncReplicas > factor) {
      throw new IllegalArgumentException("min.insync.replicas must be between 1 and the replication factor " + factor
          + " but was " + minInsyncReplicas);
    }
  }

  /**
   * Factor {@code factor}, min ISR {@code max(1, factor - 1)}.
   *
   * @throws IllegalArgumentException if {@code factor} is not between 1 and {@link Short#MAX_VALUE}
   */
  public static Replication of(int factor) {
    if (factor < 1 || factor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replication factor must be between 1 and " + Short.MAX_VALUE + " but was " + factor);
    }
    return new Replication((short) factor, (short) Math.max(1, factor - 1));
  }

  /**
   * What {@link Choice#AUTO} resolves to on a cluster of {@code brokers}: {@link #of}{@code (min(3, brokers))}.
   *
   * @throws IllegalArgumentException if {@code brokers} is not positive
   */
  public static Replication forBrokers(int brokers) {
    Require.positive(brokers, "brokers");
    return of(Math.min(AUTO_MAX_FACTOR, brokers));
  }

  @Override
  public String toString() {
    return "replication factor " + factor + ", min.insync.replicas " + minInsyncReplicas;
  }

  /**
   * What an operator asked for: {@link #AUTO} (from the cluster's size) or a given factor, resolved against the
   * cluster at start-up. Immutable and thread-safe.
   */
  public static final class Choice {
    /** {@link Replication#forBrokers} of the cluster's broker count. */
    public static final Choice AUTO = new Choice(null);

    private final Replication given;

    private Choice(Replication given) {
      this.given = given;
    }

    /**
     * Exactly {@code factor} (min ISR {@code max(1, factor - 1)}), whatever the cluster's size.
     *
     * @throws IllegalArgumentException if {@code factor} is out of range
     */
    public static Choice factor(int factor) {
      return new Choice(Replication.of(factor));
    }

    /**
     * {@code auto} (any case) or a factor in decimal, e.g. from {@code --replication-factor}.
     *
     * @throws IllegalArgumentException naming the value if it is neither
     */
    public static Choice parse(String value) {
      Require.nonNull(value, "replication factor");
      String v = value.trim();
      if (v.equalsIgnoreCase("auto")) {
        return AUTO;
      }
      int factor;
      try {
        factor = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("replication factor must be auto or a number >= 1 but was '"
            + Require.printable(value, 40) + "'");
      }
      if (factor < 1) {
        throw new IllegalArgumentException("replication factor must be auto or a number >= 1 but was " + factor);
      }
      return factor(factor);
    }

    /**
     * The replication to use on a cluster of {@code brokers}.
     *
     * @throws IllegalArgumentException if a given factor is larger than {@code brokers} (naming both), or
     *     {@code brokers} is not positive
     */
    public Replication resolve(int brokers) {
      Require.positive(brokers, "brokers");
      if (given == null) {
        return forBrokers(brokers);
      }
      if (given.factor() > brokers) {
        throw new IllegalArgumentException("replication factor " + given.factor() + " was asked but the cluster has "
            + brokers + (brokers == 1 ? " broker" : " brokers") + ": ask for at most " + brokers
            + ", or for auto (min(" + AUTO_MAX_FACTOR + ", brokers))");
      }
      return given;
    }

    /**
     * {@link #resolve(int)} on the cluster {@code admin} talks to. Brokers that are registered but fenced (stopped
     * for now) count: a role restarted while one broker is down must ask for what the topics were created with.
     *
     * @throws IllegalArgumentException as {@link #resolve(int)}
     * @throws TimeoutException if the cluster did not answer within {@code timeout}
     * @throws KafkaException if it could not be described for another reason
     */
    public Replication resolve(Admin admin, Duration timeout) {
      Require.nonNull(admin, "admin");
      Require.nonNull(timeout, "timeout");
      Collection<Node> nodes;
      try {
        nodes = admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)
                .timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())))
            .nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof KafkaException k) {
          throw k;
        }
        throw new KafkaException("could not describe the cluster to count its brokers", e.getCause());
      } catch (java.util.concurrent.TimeoutException e) {
        throw new TimeoutException("timed out after " + timeout + " describing the cluster to count its brokers");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptException(e);
      }
      return resolve(nodes.size());
    }

    /** {@code auto} or the given factor, as {@link #parse} reads it. */
    @Override
    public String toString() {
      return given == null ? "auto" : Short.toString(given.factor());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Choice c && java.util.Objects.equals(given, c.given);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hashCode(given);
    }
  }
}
