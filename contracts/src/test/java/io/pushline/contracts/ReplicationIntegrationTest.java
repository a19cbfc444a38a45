package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pushline.testkit.KafkaCluster;
import io.pushline.testkit.TestTopics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Replication on a real cluster of three brokers: auto picks 3 copies and min ISR 2, and start-up refuses less. */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplicationIntegrationTest {
  private static KafkaCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = KafkaCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void autoOnThreeBrokersCreatesTheCatalogueWithThreeCopiesAndMinIsrTwo() throws Exception {
    Admin admin = cluster.admin();
    Replication replication = Replication.Choice.AUTO.resolve(admin, Duration.ofSeconds(30));
    assertThat(replication).isEqualTo(new Replication((short) 3, (short) 2));
    assertThat(Replication.Choice.factor(1).resolve(admin, Duration.ofSeconds(30))).as("only when asked for")
        .isEqualTo(new Replication((short) 1, (short) 1));
    assertThatThrownBy(() -> Replication.Choice.factor(4).resolve(admin, Duration.ofSeconds(30)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("replication factor 4 was asked but the cluster has 3 brokers");

    List<TopicSpec> catalogue = Topics.catalogue(2, replication);
    new TopicProvisioner(admin, Duration.ofSeconds(60)).ensure(catalogue);

    List<String> names = catalogue.stream().map(TopicSpec::name).toList();
    Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
    assertThat(topics.values()).hasSize(catalogue.size()).allSatisfy(topic ->
        assertThat(topic.partitions()).isNotEmpty().allSatisfy(p -> assertThat(p.replicas()).as(topic.name()).hasSize(3)));
    Map<ConfigResource, Config> configs = admin.describeConfigs(names.stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get(30, TimeUnit.SECONDS);
    assertThat(configs.entrySet()).hasSize(catalogue.size()).allSatisfy(e ->
        assertThat(e.getValue().get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value()).as(e.getKey().name()).isEqualTo("2"));
    assertThat(new TopicProvisioner(admin, Duration.ofSeconds(60)).ensure(catalogue).created())
        .as("found in place the second time").isEmpty();
  }

  @Test
  void anExistingTopicWithFewerCopiesOrAnotherMinIsrStopsStartUpNamingBothValues() throws Exception {
    Admin admin = cluster.admin();
    String single = TestTopics.unique("pushline-rf1");
    String inherited = TestTopics.unique("pushline-isr-inherited");
    String looser = TestTopics.unique("pushline-isr1");
    String missing = TestTopics.unique("pushline-missing");
    admin.createTopics(List.of(
        new NewTopic(single, 2, (short) 1),
        new NewTopic(inherited, 2, (short) 3),   // the broker default min ISR, 1
        new NewTopic(looser, 2, (short) 3).configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1"))))
        .all().get(30, TimeUnit.SECONDS);
    Replication replication = Replication.Choice.AUTO.resolve(admin, Duration.ofSeconds(30));
    List<TopicSpec> specs = List.of(single, inherited, looser, missing).stream()
        .map(name -> new TopicSpec(name, "k", 2, replication, CleanupPolicy.DELETE, Duration.ofDays(1), Map.of()))
        .toList();

    assertThatThrownBy(() -> new TopicProvisioner(admin, Duration.ofSeconds(60)).ensure(specs))
        .isInstanceOf(TopicConflictException.class)
        .satisfies(e -> assertThat(((TopicConflictException) e).conflicts()).containsExactlyInAnyOrder(
            "topic " + single + " has replication factor 1 but the catalogue needs 3",
            "topic " + single + " has min.insync.replicas=1 but the catalogue needs 2",
            "topic " + inherited + " has min.insync.replicas=1 but the catalogue needs 2",
            "topic " + looser + " has min.insync.replicas=1 but the catalogue needs 2"));
    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
        .as("nothing is created when anything conflicts").contains(single).doesNotContain(missing);
  }
}
