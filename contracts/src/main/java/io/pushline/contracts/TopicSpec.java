package io.pushline.contracts;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * What one Kafka topic must look like. Immutable; validated on construction with messages that
 * name the field and the bad value.
 *
 * @param name topic name: 1 to 249 of {@code [a-zA-Z0-9._-]}, not {@code .} or {@code ..}
 * @param key documentation of the record key, e.g. {@code "userId|token, partitioned by userId"}
 * @param partitions number of partitions, > 0
 * @param replication replication factor and {@code min.insync.replicas}
 * @param cleanupPolicy delete or compact
 * @param retention how long records are kept; {@code null} means forever ({@code retention.ms=-1})
 * @param configs further topic configs (e.g. {@code max.message.bytes}); must not set
 *     {@code cleanup.policy}, {@code retention.ms} or {@code min.insync.replicas}, which come from the
 *     fields above. Copied,
 *     unmodifiable, sorted by key.
 */
public record TopicSpec(String name, String key, int partitions, Replication replication,
                        CleanupPolicy cleanupPolicy, @Nullable Duration retention, Map<String, String> configs) {

  private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Set<String> TYPED_CONFIGS = Set.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.RETENTION_MS_CONFIG,
      TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);

  /**
   * @throws NullPointerException if {@code name}, {@code key}, {@code replication}, {@code cleanupPolicy} or
   *     {@code configs} is null
   * @throws IllegalArgumentException if a value is out of range
   */
  public TopicSpec {
    Require.nonNull(name, "TopicSpec.name");
    if (!LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("TopicSpec.name must be 1 to 249 of [a-zA-Z0-9._-] and not '.' or '..' but was '"
          + Require.printable(name, 300) + "'");
    }
    Require.nonNull(key, "TopicSpec.key (" + name + ")");
    if (key.isBlank()) {
      throw new IllegalArgumentException("TopicSpec.key must not be blank (topic " + name + ")");
    }
    if (partitions <= 0) {
      throw new IllegalArgumentException("TopicSpec.partitions must be > 0 but was " + partitions + " (topic " + name + ")");
    }
    Require.nonNull(replication, "TopicSpec.replication (" + name + ")");
    Require.nonNull(cleanupPolicy, "TopicSpec.cleanupPolicy (" + name + ")");
    if (retention != null && (retention.isNegative() || retention.isZero() || retention.toMillis() == 0)) {
      throw new IllegalArgumentException(
          "TopicSpec.retention must be at least 1ms or null (forever) but was " + retention + " (topic " + name + ")");
    }
    Require.nonNull(configs, "TopicSpec.configs (" + name + ")");
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : configs.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new NullPointerException("TopicSpec.configs must not hold null keys or values but had "
            + e.getKey() + "=" + e.getValue() + " (topic " + name + ")");
      }
      if (TYPED_CONFIGS.contains(e.getKey())) {
        throw new IllegalArgumentException("TopicSpec.configs must not set " + e.getKey()
            + "; use TopicSpec.cleanupPolicy/retention/replication (topic " + name + ")");
      }
      copy.put(e.getKey(), e.getValue());
    }
    configs = Collections.unmodifiableMap(copy);
  }

  /**
   * Every config the topic is created with: {@code cleanup.policy}, {@code retention.ms},
   * {@code min.insync.replicas} and {@link #configs()}.
   */
  public Map<String, String> topicConfigs() {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy.configValue());
    all.put(TopicConfig.RETENTION_MS_CONFIG, retention == null ? "-1" : Long.toString(retention.toMillis()));
    all.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Short.toString(replication.minInsyncReplicas()));
    all.putAll(configs);
    return Collections.unmodifiableMap(all);
  }

  /** The {@link NewTopic} that creates this topic. */
  public NewTopic toNewTopic() {
    return new NewTopic(name, partitions, replication.factor()).configs(topicConfigs());
  }
}
