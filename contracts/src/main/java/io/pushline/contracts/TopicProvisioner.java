package io.pushline.contracts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of a catalogue that do not exist and checks the ones that do.
 *
 * <p>An existing topic conflicts when its partition count, replication factor, effective
 * {@code min.insync.replicas} (its own, or the broker default it inherits) or {@code cleanup.policy}
 * differs, or its {@code max.message.bytes} is smaller than the catalogue's. Existing topics are
 * never changed: if any conflicts, {@link #ensure} creates nothing and throws one
 * {@link TopicConflictException} listing them all. A topic created concurrently by another
 * process (a {@code TopicExistsException} race) is checked like any existing topic, after the
 * missing ones were created. A differing retention is logged, not a conflict: operators may tune it.
 *
 * <p>Every {@link #ensure} call finishes within the timeout or throws Kafka's
 * {@link TimeoutException} (retriable). Thread-safe if the {@link Admin} is; the caller owns the
 * Admin and closes it.
 */
public final class TopicProvisioner {
  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

  private final Admin admin;
  private final Duration timeout;

  /**
   * @param admin used for every call; not closed by this class
   * @param timeout bound on one {@link #ensure} call, > 0
   */
  public TopicProvisioner(Admin admin, Duration timeout) {
    this.admin = Require.nonNull(admin, "admin");
    Require.nonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
    }
    this.timeout = timeout;
  }

  /**
   * Creates the missing topics of {@code specs} and checks the existing ones.
   *
   * @throws TopicConflictException if an existing topic differs from its spec (see the class doc)
   * @throws TimeoutException if the broker did not answer within the timeout
   * @throws KafkaException if a topic could not be created or described for another reason
   * @throws IllegalArgumentException if two specs share a name
   */
  public ProvisionReport ensure(List<TopicSpec> specs) {
    Require.nonNull(specs, "specs");
    Map<String, TopicSpec> byName = new LinkedHashMap<>();
    for (TopicSpec spec : specs) {
      if (byName.put(Require.nonNull(spec, "spec").name(), spec) != null) {
        throw new IllegalArgumentException("specs name topic " + spec.name() + " twice");
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();

    Map<String, ObservedTopic> observed = describe(byName.keySet(), deadline);
    List<String> conflicts = conflicts(byName, observed);
    if (!conflicts.isEmpty()) {
      throw new TopicConflictException(conflicts);
    }

    List<TopicSpec> missing = byName.values().stream().filter(s -> !observed.containsKey(s.name())).toList();
    // A topic created moments ago may not be visible to describe yet. Ask the controller first (validate only, which
    // creates nothing): topics it already knows are checked for conflicts before anything is created.
    if (!missing.isEmpty()) {
      Set<String> known = existingAccordingToController(missing, deadline);
      if (!known.isEmpty()) {
        Map<String, ObservedTopic> knownObserved = describeUntilVisible(known, deadline);
        Map<String, TopicSpec> knownSpecs = new LinkedHashMap<>();
        known.forEach(name -> knownSpecs.put(name, byName.get(name)));
        List<String> knownConflicts = conflicts(knownSpecs, knownObserved);
        if (!knownConflicts.isEmpty()) {
          throw new TopicConflictException(knownConflicts);
        }
        missing = missing.stream().filter(spec -> !known.contains(spec.name())).toList();
      }
    }
    List<String> created = new ArrayList<>();
    Set<String> raced = new TreeSet<>();
    if (!missing.isEmpty()) {
      Map<String, KafkaFuture<Void>> results = admin.createTopics(
          missing.stream().map(TopicSpec::toNewTopic).toList(),
          new CreateTopicsOptions().timeoutMs(remainingMs(deadline))).values();
      List<String> failures = new ArrayList<>();
      for (NewTopic topic : missing.stream().map(TopicSpec::toNewTopic).toList()) {
        try {
          await(results.get(topic.name()), deadline, "create topic " + topic.name());
          created.add(topic.name());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicExistsException) {
            raced.add(topic.name());
          } else {
            failures.add(topic.name() + ": " + e.getCause());
          }
        }
      }
      if (!failures.isEmpty()) {
        throw new KafkaException("could not create topics: " + String.join("; ", failures));
      }
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
    }

    if (!raced.isEmpty()) {
      Map<String, ObservedTopic> racedObserved = describeUntilVisible(raced, deadline);
      Map<String, TopicSpec> racedSpecs = new LinkedHashMap<>();
      raced.forEach(name -> racedSpecs.put(name, byName.get(name)));
      List<String> racedConflicts = conflicts(racedSpecs, racedObserved);
      if (!racedConflicts.isEmpty()) {
        throw new TopicConflictException(racedConflicts);
      }
    }

    List<String> existing = byName.keySet().stream().filter(n -> !created.contains(n)).toList();
    return new ProvisionReport(created, existing);
  }

  /** The topics among {@code specs} that the controller says exist, by a validate-only create. */
  private Set<String> existingAccordingToController(List<TopicSpec> specs, long deadline) {
    Map<String, KafkaFuture<Void>> results = admin.createTopics(specs.stream().map(TopicSpec::toNewTopic).toList(),
        new CreateTopicsOptions().validateOnly(true).timeoutMs(remainingMs(deadline))).values();
    Set<String> existing = new TreeSet<>();
    for (TopicSpec spec : specs) {
      try {
        await(results.get(spec.name()), deadline, "validate topic " + spec.name());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof TopicExistsException) {
          existing.add(spec.name());
        }
        // any other failure shows again, with its cause, when the topic is created for real
      }
    }
    return existing;
  }

  private List<String> conflicts(Map<String, TopicSpec> specs, Map<String, ObservedTopic> observed) {
    List<String> conflicts = new ArrayList<>();
    for (TopicSpec spec : specs.values()) {
      ObservedTopic actual = observed.get(spec.name());
      if (actual == null) {
        continue;
      }
      conflicts.addAll(conflicts(spec, actual));
      String retention = actual.configs().get(TopicConfig.RETENTION_MS_CONFIG);
      String wanted = spec.topicConfigs().get(TopicConfig.RETENTION_MS_CONFIG);
      if (retention != null && !retention.equals(wanted)) {
        LOG.info("topic {} has retention.ms={}; the catalogue asks for {}", spec.name(), retention, wanted);
      }
    }
    return conflicts;
  }

  /**
   * Describes topics known to exist (createTopics said so) until the broker shows all of them:
   * its metadata may lag the controller for a moment after a concurrent create.
   */
  private Map<String, ObservedTopic> describeUntilVisible(Set<String> names, long deadline) {
    Map<String, ObservedTopic> observed = new HashMap<>();
    Set<String> pending = new TreeSet<>(names);
    long backoffMs = 20;
    while (true) {
      observed.putAll(describe(pending, deadline));
      pending.removeAll(observed.keySet());
      if (pending.isEmpty()) {
        return observed;
      }
      if (TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) <= backoffMs) {
        throw new TimeoutException("topics " + pending + " exist but were not described within " + timeout);
      }
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptException(e);
      }
      backoffMs = Math.min(backoffMs * 2, 500);
    }
  }

  /**
   * Describes the topics of {@code names} that exist and are visible, with their configs; a
   * topic the broker does not know (yet) is left out.
   */
  private Map<String, ObservedTopic> describe(Set<String> names, long deadline) {
    Map<String, KafkaFuture<TopicDescription>> descriptions = admin.describeTopics(
        names, new DescribeTopicsOptions().timeoutMs(remainingMs(deadline))).topicNameValues();
    Map<String, TopicDescription> found = new LinkedHashMap<>();
    for (String name : names) {
      try {
        found.put(name, await(descriptions.get(name), deadline, "describe topic " + name));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw asKafkaException("describe topic " + name, e.getCause());
        }
      }
    }
    Map<String, ObservedTopic> observed = new HashMap<>();
    if (found.isEmpty()) {
      return observed;
    }
    List<ConfigResource> resources = found.keySet().stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, KafkaFuture<Config>> configs = admin.describeConfigs(
        resources, new DescribeConfigsOptions().timeoutMs(remainingMs(deadline))).values();
    for (ConfigResource resource : resources) {
      Config config;
      try {
        config = await(configs.get(resource), deadline, "describe configs of topic " + resource.name());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          continue; // deleted, or not visible yet: treated as missing, so a create settles which
        }
        throw asKafkaException("describe configs of topic " + resource.name(), e.getCause());
      }
      Map<String, String> values = new HashMap<>();
      for (ConfigEntry entry : config.entries()) {
        if (entry.value() != null) {
          values.put(entry.name(), entry.value());
        }
      }
      TopicDescription d = found.get(resource.name());
      short rf = (short) (d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size());
      observed.put(resource.name(), new ObservedTopic(resource.name(), d.partitions().size(), rf, values));
    }
    return observed;
  }

  private static <T> T await(KafkaFuture<T> future, long deadline, String what) throws ExecutionException {
    if (future == null) {
      throw new KafkaException("no result for " + what);
    }
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException("timed out waiting to " + what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  private static KafkaException asKafkaException(String what, Throwable cause) {
    if (cause instanceof KafkaException) {
      KafkaException k = (KafkaException) cause;
      return k instanceof TimeoutException ? k : new KafkaException("could not " + what + ": " + k.getMessage(), k);
    }
    return new KafkaException("could not " + what, cause);
  }

  private static int remainingMs(long deadline) {
    long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (ms <= 0) {
      throw new TimeoutException("timed out provisioning topics");
    }
    return (int) Math.min(Integer.MAX_VALUE, ms);
  }

  // ---------------------------------------------------------------------------------------------
  // The comparison, pure so it can be tested without a broker.

  /**
   * What the broker reports about an existing topic; {@code configs} are the effective values
   * (describeConfigs: the topic's own or the broker's default).
   */
  record ObservedTopic(String name, int partitions, short replicationFactor, Map<String, String> configs) {
    ObservedTopic {
      configs = Map.copyOf(configs);
    }
  }

  /** The conflicts between {@code spec} and the existing topic, one sentence each; empty if none. */
  static List<String> conflicts(TopicSpec spec, ObservedTopic actual) {
    List<String> conflicts = new ArrayList<>();
    String topic = "topic " + spec.name();
    if (actual.partitions() != spec.partitions()) {
      conflicts.add(topic + " has " + actual.partitions() + " partitions but the catalogue needs " + spec.partitions());
    }
    // Fewer copies than asked loses acknowledged writes when brokers fail; more, or a min ISR that differs, makes
    // writes fail (acks=all) with fewer brokers down than the operator planned for. Either way: fix, not guess.
    if (actual.replicationFactor() != spec.replication().factor()) {
      conflicts.add(topic + " has replication factor " + actual.replicationFactor() + " but the catalogue needs "
          + spec.replication().factor());
    }
    String minIsr = actual.configs().get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
    if (parseOrMinusOne(minIsr == null ? "" : minIsr) != spec.replication().minInsyncReplicas()) {
      conflicts.add(topic + " has min.insync.replicas=" + (minIsr == null ? "unknown" : minIsr)
          + " but the catalogue needs " + spec.replication().minInsyncReplicas());
    }
    String policy = actual.configs().getOrDefault(TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
    if (!policies(policy).equals(policies(spec.cleanupPolicy().configValue()))) {
      conflicts.add(topic + " has cleanup.policy=" + policy + " but the catalogue needs " + spec.cleanupPolicy().configValue());
    }
    String neededBytes = spec.configs().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    if (neededBytes != null) {
      String actualBytes = actual.configs().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (actualBytes == null || parseOrMinusOne(actualBytes) < parseOrMinusOne(neededBytes)) {
        conflicts.add(topic + " has max.message.bytes=" + actualBytes + " but the catalogue needs at least " + neededBytes);
      }
    }
    return conflicts;
  }

  private static Set<String> policies(String value) {
    return Arrays.stream(value.split(","))
        .map(s -> s.trim().toLowerCase(Locale.ROOT))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toCollection(HashSet::new));
  }

  private static long parseOrMinusOne(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
