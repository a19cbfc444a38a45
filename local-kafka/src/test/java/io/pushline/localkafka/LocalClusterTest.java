package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.pushline.testkit.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-node cluster of child processes, killed, restarted, stalled and resumed for real. One scenario, so the
 * cluster starts once.
 */
@Tag("integration")
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LocalClusterTest {

    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Three broker JVMs starting at once on 2 cores: 25 s on a quiet machine, 79 s and once over 120 s on one shared
     * with other builds (load average 20 to 29).
     */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    /** Kafka's defaults (30 s for consumers) would wait that long for a stalled broker that accepted the connection. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(6);
    private static final String TOPIC = "orders";
    private static final String GROUP = "readers";
    /**
     * The controllers fence a broker whose heartbeats stop after 5 s instead of 9 s (Kafka's default, which the demo
     * keeps): the killed and the stalled leader each cost that long.
     */
    private static final Map<String, String> FAST_FENCING = Map.of(
            "broker.session.timeout.ms", "5000", "broker.heartbeat.interval.ms", "1000");
    /** SIGKILL's exit value as the JDK reports it: 128 + 9. */
    private static final int SIGKILL_EXIT = 137;

    @TempDir
    Path dataDir;

    @Test
    void servesThroughAKilledLeaderAndAStalledNodeAndTakesThemBack() throws Exception {
        List<Long> pids;
        List<Integer> ports;
        try (LocalCluster cluster = LocalCluster.builder().dataDir(dataDir).heap("256m").extraConfig(FAST_FENCING)
                .startTimeout(START_TIMEOUT).build().start();
             Admin admin = Admin.create(cluster.clientConfig());
             KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(cluster), new StringSerializer(),
                     new StringSerializer())) {
            List<ClusterNode> nodes = cluster.nodes();
            pids = nodes.stream().map(ClusterNode::pid).toList();
            ports = nodes.stream().map(ClusterNode::port).toList();
            assertThat(nodes).extracting(ClusterNode::id).containsExactly(1, 2, 3);
            assertThat(pids).doesNotHaveDuplicates().allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isPresent());
            assertThat(cluster.bootstrapServers()).isEqualTo(String.join(",", nodes.stream().map(ClusterNode::address).toList()));
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).extracting(Node::id)
                    .containsExactlyInAnyOrder(1, 2, 3);
            assertThat(nodes).allSatisfy(node -> assertThat(node.dataDir()).isEqualTo(dataDir.resolve("node-" + node.id())));

            // RF 3 and min ISR 2 are the cluster's defaults: the topic names neither.
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) -1))).all().get(30, TimeUnit.SECONDS);
            // The controller has created it; the broker the admin asks may learn of it a moment later
            // (UnknownTopicOrPartitionException until then).
            Waits.until(() -> {
                try {
                    return partition(admin).replicas().size() == 3;
                } catch (Exception e) {
                    return false;
                }
            }, CLIENT_TIMEOUT, () -> TOPIC + " described with 3 replicas");
            assertThat(admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC))).all()
                    .get(30, TimeUnit.SECONDS).values().iterator().next().get("min.insync.replicas").value()).isEqualTo("2");
            List<String> sent = new ArrayList<>(produce(producer, 0, 50));
            assertThat(consume(cluster, sent.size())).isEqualTo(sent); // creates the group's offsets topic while all are up

            // SIGKILL the partition's leader: the other two elect a new one, and acks=all writes go on with ISR 2.
            int leader = partition(admin).leader().id();
            ClusterNode killed = cluster.node(leader);
            long killedPid = killed.pid();
            killed.kill();
            assertThat(killed.isAlive()).isFalse();
            assertThat(killed.exitCode()).as("exit code of node %d after kill()", leader).hasValue(SIGKILL_EXIT);
            sent.addAll(produce(producer, 50, 100));
            assertThat(partition(admin).leader().id()).isNotEqualTo(leader);
            assertThat(partition(admin).isr()).extracting(Node::id).doesNotContain(leader).hasSize(2);
            assertThat(consume(cluster, sent.size())).isEqualTo(sent);

            // Restarted on the same data dir and port, it catches up and is back in the ISR.
            killed.restart();
            assertThat(killed.pid()).isNotEqualTo(killedPid);
            assertThat(killed.port()).isEqualTo(ports.get(leader - 1));
            awaitFullIsr(admin);

            // SIGSTOP a node (the leader, the harder case): once it is fenced the others serve; SIGCONT, it comes back.
            ClusterNode stalled = cluster.node(partition(admin).leader().id());
            stalled.stall();
            assertThat(stalled.isStalled()).isTrue();
            assertThat(processState(stalled.pid())).as("/proc state of the stalled node").isIn("T", "t", "?");
            sent.addAll(produce(producer, 100, 110));
            assertThat(consume(cluster, sent.size())).isEqualTo(sent);
            stalled.resume();
            cluster.awaitAllRegistered(CLIENT_TIMEOUT);
            awaitFullIsr(admin);
            sent.addAll(produce(producer, 110, 120));
            assertThat(consume(cluster, sent.size())).isEqualTo(sent);
        }

        // close() stops every child and frees every port.
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        assertThat(ports).allSatisfy(port -> assertThat(Ports.isFree(port)).as("port %d after close", port).isTrue());
        assertThat(dataDir.resolve("node-1").resolve("broker.pid")).doesNotExist();
    }

    private static Map<String, Object> producerConfig(LocalCluster cluster) {
        Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        // A request to a stalled broker is answered by nobody: give up on it soon and ask the new leader.
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        return config;
    }

    private static List<String> produce(KafkaProducer<String, String> producer, int from, int to) throws Exception {
        List<String> values = IntStream.range(from, to).mapToObj(i -> "order-" + i).toList();
        for (String value : values) {
            producer.send(new ProducerRecord<>(TOPIC, value));
        }
        producer.flush();
        // acks=all: get() fails unless min ISR replicas have each record.
        producer.send(new ProducerRecord<>(TOPIC, "marker-" + to)).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        List<String> all = new ArrayList<>(values);
        all.add("marker-" + to);
        return all;
    }

    /** Reads the topic from its start in a consumer group: the offsets topic (RF 3) must serve the group too. */
    private static List<String> consume(LocalCluster cluster, int count) {
        Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP + "-" + count); // a new group each time, to read from the start
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        List<String> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(r.value()));
            }
            consumer.commitSync(CLIENT_TIMEOUT); // the group's coordinator (offsets topic) is up
        }
        return records;
    }

    private static TopicPartitionInfo partition(Admin admin) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
        return description.partitions().get(0);
    }

    private static void awaitFullIsr(Admin admin) {
        Waits.until(() -> {
            try {
                return partition(admin).isr().size() == 3;
            } catch (Exception e) {
                return false;
            }
        }, CLIENT_TIMEOUT, () -> "the ISR of " + TOPIC + " is not back to 3 replicas");
    }

    /** The state letter in /proc/PID/stat (T = stopped), or "?" where there is no /proc. */
    private static String processState(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return "?";
        }
        String text = Files.readString(stat);
        return text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    }
}
