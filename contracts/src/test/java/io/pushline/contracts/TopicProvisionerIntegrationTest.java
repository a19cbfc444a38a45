package io.pushline.contracts;

import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-up topic provisioning against the real broker: creates what is missing, refuses what conflicts. */
@KafkaIntegrationTest
class TopicProvisionerIntegrationTest {
  private Admin admin;

  @BeforeEach
  void clean(KafkaBroker broker) throws Exception {
    admin = broker.admin();
    TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
  }

  @Test
  void createsTheCatalogueOnceAndThenFindsItInPlace() throws Exception {
    TopicProvisioner provisioner = new TopicProvisioner(admin, Duration.ofSeconds(30));
    List<TopicSpec> catalogue = Topics.catalogue(4, (short) 1);

    ProvisionReport first = provisioner.ensure(catalogue);
    assertThat(first.created()).hasSameSizeAs(catalogue);
    ProvisionReport second = provisioner.ensure(catalogue);
    assertThat(second.created()).isEmpty();
    assertThat(second.existing()).hasSameSizeAs(catalogue);

    var description = admin.describeTopics(List.of(Topics.STATE_FOLLOWS)).allTopicNames().get(30, TimeUnit.SECONDS);
    assertThat(description.get(Topics.STATE_FOLLOWS).partitions()).hasSize(4);
    var configs = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.STATE_FOLLOWS))).all().get(30, TimeUnit.SECONDS);
    assertThat(configs.values().iterator().next().get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("compact");
  }

  @Test
  void conflictingTopicsStopStartUpNamingTopicAndBothValues() throws Exception {
    admin.createTopics(List.of(
        new NewTopic(Topics.PUSH_BULK, 2, (short) 1),
        new NewTopic(Topics.STATE_DEVICES, 4, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "delete"))))
        .all().get(30, TimeUnit.SECONDS);
    TopicProvisioner provisioner = new TopicProvisioner(admin, Duration.ofSeconds(30));

    assertThatThrownBy(() -> provisioner.ensure(Topics.catalogue(4, (short) 1)))
        .isInstanceOf(TopicConflictException.class)
        .hasMessageContaining(Topics.PUSH_BULK).hasMessageContaining("2").hasMessageContaining("4")
        .hasMessageContaining(Topics.STATE_DEVICES).hasMessageContaining("delete").hasMessageContaining("compact");
    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
        .as("nothing is created when anything conflicts").doesNotContain(Topics.EVENTS);
  }
}
