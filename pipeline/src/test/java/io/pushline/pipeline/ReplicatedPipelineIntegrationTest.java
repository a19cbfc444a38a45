package io.pushline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CleanupPolicy;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TopicConflictException;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.TopicSpec;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.testkit.KafkaCluster;
import io.pushline.testkit.TestTopics;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication on a real cluster of three brokers (one cluster for the class: it takes seconds to start). Left to auto,
 * every topic a pipeline creates (the catalogue, the workers' retry topics, the Streams applications' internal topics)
 * has three copies and min ISR 2; an existing topic with less, or another min ISR, and a factor larger than the
 * cluster stop start-up with both values named.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReplicatedPipelineIntegrationTest {
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
    void everyTopicOfAStartedPipelineHasThreeCopiesAndMinIsrTwo(@TempDir Path stateDir) throws Exception {
        String appId = TestTopics.unique("pushline-replicated");
        Pipeline.Settings settings = new Pipeline.Settings(cluster.bootstrapServers(), Map.of(), 2, Replication.Choice.AUTO,
                stateDir, appId, 16);
        try (Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), Map.of(), new SimpleMeterRegistry())) {
            Admin admin = cluster.admin();
            Set<String> all = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> internal = all.stream()
                    .filter(t -> t.startsWith(appId + "-") || t.startsWith(CoordinatorTopology.DEFAULT_APPLICATION_ID + "-"))
                    .filter(t -> t.endsWith("-changelog") || t.endsWith("-repartition"))
                    .toList();
            // The topologies re-key through the catalogue's own topics, so today they have changelogs only; a
            // repartition topic a later change adds is checked too.
            assertThat(internal).as("the topology's and the coordinators' internal topics")
                    .anyMatch(t -> t.startsWith(appId) && t.endsWith("-changelog"))
                    .anyMatch(t -> t.startsWith(CoordinatorTopology.DEFAULT_APPLICATION_ID) && t.endsWith("-changelog"));
            List<String> checked = new ArrayList<>(internal);
            checked.addAll(List.of(Topics.EVENTS, Topics.PUSH_HIGH, Topics.STATE_DEVICES));
            checked.addAll(RetryTopics.names(WorkerConfig.defaults(Lane.BULK)));
            checked.addAll(RetryTopics.names(WorkerConfig.defaults(Lane.HIGH)));

            Map<String, TopicDescription> topics = admin.describeTopics(checked).allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.values()).hasSize(checked.size()).allSatisfy(topic -> assertThat(topic.partitions()).isNotEmpty()
                    .allSatisfy(p -> assertThat(p.replicas()).as(topic.name() + "-" + p.partition()).hasSize(3)));
            Map<ConfigResource, Config> configs = admin.describeConfigs(checked.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get(30, TimeUnit.SECONDS);
            assertThat(configs.entrySet()).hasSize(checked.size()).allSatisfy(e -> assertThat(
                    e.getValue().get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value()).as(e.getKey().name()).isEqualTo("2"));
            assertThat(members(admin, appId)).as("the topology's members while it runs").isPositive();
        }
        // Closed, both Streams applications have left their groups: a restarted process does not wait out the old
        // members' 45 s session timeout with their tasks unprocessed (Kafka Streams stays in the group by default).
        Admin admin = cluster.admin();
        for (String group : List.of(appId, CoordinatorTopology.DEFAULT_APPLICATION_ID)) {
            io.pushline.testkit.Waits.until(() -> members(admin, group) == 0, Duration.ofSeconds(15),
                    () -> group + " still has members after the pipeline closed: it did not leave the group");
        }
    }

    private static int members(Admin admin, String group) {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).members().size();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void anExistingTopicWithFewerCopiesOrAnotherMinIsrIsAConflictNamingBothValues() throws Exception {
        Admin admin = cluster.admin();
        assertThat(Replication.Choice.factor(1).resolve(admin, Duration.ofSeconds(30))).as("RF 1 only when asked for")
                .isEqualTo(new Replication((short) 1, (short) 1));
        Replication replication = Replication.Choice.AUTO.resolve(admin, Duration.ofSeconds(30));
        assertThat(replication).isEqualTo(new Replication((short) 3, (short) 2));
        String single = TestTopics.unique("pushline-rf1");
        String inherited = TestTopics.unique("pushline-isr-inherited");
        String looser = TestTopics.unique("pushline-isr1");
        String missing = TestTopics.unique("pushline-missing");
        admin.createTopics(List.of(
                new NewTopic(single, 2, (short) 1),
                new NewTopic(inherited, 2, (short) 3),   // inherits the broker default min ISR, 1
                new NewTopic(looser, 2, (short) 3).configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1"))))
                .all().get(30, TimeUnit.SECONDS);
        List<TopicSpec> specs = Stream.of(single, inherited, looser, missing)
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

    @Test
    void aFactorLargerThanTheClusterStopsStartUp(@TempDir Path stateDir) throws Exception {
        Pipeline.Settings settings = new Pipeline.Settings(cluster.bootstrapServers(), Map.of(), 2, Replication.Choice.factor(4),
                stateDir, TestTopics.unique("pushline-too-many"), 16);
        assertThatThrownBy(() -> Pipeline.start(settings, Set.of(ProcessRole.ROUTER), Map.of(), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("replication factor 4 was asked but the cluster has 3 brokers");
    }
}
