package io.pushline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Replication;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.testkit.KafkaCluster;
import io.pushline.testkit.TestTopics;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
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
 * Every topic a pipeline creates on a cluster of three brokers, left to auto: the catalogue, the workers' retry topics
 * and the Streams applications' internal topics, each with three copies and min ISR 2.
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
        }
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
