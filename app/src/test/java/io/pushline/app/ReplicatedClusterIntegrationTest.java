package io.pushline.app;

import io.pushline.localkafka.ClusterNode;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite on a replicated cluster: three brokers as child processes (one KRaft quorum), Pushline's topics and every
 * Kafka Streams internal topic at replication factor 3 with {@code min.insync.replicas} 2 (the default, auto).
 *
 * <ul>
 *   <li>Case c): the broker leading most of the bulk lane's partitions is SIGKILLed mid-fanout and stays down; the
 *       fanout completes on the other two. Then it is started again and rejoins every partition's in-sync replicas.</li>
 *   <li>Case d): a rolling restart of all three (each stopped, started, and back in sync before the next) while a
 *       fanout and a stream of likes run at once.</li>
 * </ul>
 *
 * Both on one cluster and one pipeline, one after the other (the second begins when the first has healed): nothing
 * lost, duplicates within the in-flight window, no Pushline loop gives up, ready again after each.
 *
 * <p>Not in a fault lane: with a cluster of its own it runs in the sequential chain of the shared broker's classes,
 * which are shorter than either lane (see {@link FaultRig}).
 */
@Tag("integration")
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ReplicatedClusterIntegrationTest {
    private static final int DEVICES = 2_000;
    private static final int OWNERS = 100;
    private static final int LIKES = 600;

    @Test
    void aLeaderKilledThenARollingRestartLoseNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.startOnCluster("replicated", dir, 3, FaultRig.Setup.defaults())) {
            List<String> tokens = rig.seedAudience(DEVICES);

            // c) the bulk lane's leader killed mid-fanout, not restarted until the fanout is done
            Set<String> fanout = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 4, Duration.ofMinutes(2));
            ClusterNode leader = rig.cluster().node(leaderOfMost(rig, io.pushline.contracts.Topics.PUSH_BULK));
            rig.markFault();
            leader.kill();
            FaultRig.Outcome killed = rig.awaitEveryPush(fanout, Duration.ofMinutes(4), FaultRig.IN_FLIGHT);
            System.out.printf("ReplicatedClusterIntegrationTest: broker %d (leader of most of %s) SIGKILLed mid-fanout; on two brokers: lost %d, duplicates %d%n",
                    leader.id(), io.pushline.contracts.Topics.PUSH_BULK, killed.lost(), killed.duplicates());
            leader.restart();
            awaitEveryReplicaInSync(rig);

            // d) a rolling restart during a fanout and likes
            Set<String> second = new HashSet<>(rig.post(tokens));
            TestAudience.Likes likes = TestAudience.likes(tokens, OWNERS, LIKES);
            second.addAll(likes.pushIds());
            Thread publisher = new Thread(() -> TestAudience.publishPaced(rig.bootstrapServers(), likes.events(), 40), "likes");
            publisher.start();
            for (ClusterNode node : rig.cluster().nodes()) {
                node.stop();
                node.restart();
                awaitEveryReplicaInSync(rig);
            }
            publisher.join(TimeUnit.MINUTES.toMillis(2));
            assertThat(publisher.isAlive()).as("the likes were published").isFalse();
            FaultRig.Outcome rolled = rig.awaitEveryPush(second, Duration.ofMinutes(4), FaultRig.IN_FLIGHT);
            System.out.printf("ReplicatedClusterIntegrationTest: rolling restart of 3 brokers during a fanout and %d likes: lost %d, duplicates %d%n",
                    LIKES, rolled.lost(), rolled.duplicates());
        }
    }

    /** The broker that leads most partitions of {@code topic}. */
    private static int leaderOfMost(FaultRig rig, String topic) throws Exception {
        TopicDescription description = rig.admin().describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        Map<Integer, Long> led = description.partitions().stream().map(TopicPartitionInfo::leader)
                .collect(Collectors.groupingBy(Node::id, Collectors.counting()));
        return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** Every partition of every topic has all its replicas in sync again. */
    private static void awaitEveryReplicaInSync(FaultRig rig) {
        Waits.until(() -> {
            try {
                Set<String> topics = rig.admin().listTopics().names().get(10, TimeUnit.SECONDS);
                return rig.admin().describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .flatMap(d -> d.partitions().stream()).allMatch(p -> p.isr().size() == p.replicas().size());
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofMinutes(2), "every replica back in sync");
    }
}
