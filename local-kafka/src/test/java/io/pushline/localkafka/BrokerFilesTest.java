package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerFilesTest {

    @TempDir
    Path dir;

    @Test
    void serverPropertiesDescribeASingleNodeOnLoopback() throws Exception {
        Path file = dir.resolve("server.properties");
        BrokerFiles.writeServerProperties(file,
                BrokerFiles.serverConfig(dir, 19092, 19093, Map.of("log.retention.hours", "1", "num.partitions", "3")));

        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        }
        assertThat(props)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("node.id", "1")
                .containsEntry("controller.quorum.bootstrap.servers", "127.0.0.1:19093")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("inter.broker.listener.name", "PLAINTEXT")
                .containsEntry("controller.listener.names", "CONTROLLER")
                .containsEntry("log.dirs", dir.resolve("logs").toString())
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("group.initial.rebalance.delay.ms", "0")
                .containsEntry("auto.create.topics.enable", "false")
                .containsEntry("message.max.bytes", "10485760")
                .containsEntry("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024))
                .containsEntry("log.retention.hours", "1")
                .containsEntry("num.partitions", "3")
                .doesNotContainKey("controller.quorum.voters");
    }

    @Test
    void aClusterNodeIsAVoterOfTheStaticQuorumWithReplicatedDefaults() {
        Map<String, String> config = BrokerFiles.clusterNodeConfig(dir, 2, 19093, 19096,
                "1@127.0.0.1:19095,2@127.0.0.1:19096,3@127.0.0.1:19097", 3, 2, Map.of("num.partitions", "3"));

        assertThat(config)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("node.id", "2")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:19095,2@127.0.0.1:19096,3@127.0.0.1:19097")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:19093,CONTROLLER://127.0.0.1:19096")
                .containsEntry("offsets.topic.replication.factor", "3")
                .containsEntry("transaction.state.log.replication.factor", "3")
                .containsEntry("transaction.state.log.min.isr", "2")
                .containsEntry("default.replication.factor", "3")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("auto.create.topics.enable", "false")
                .containsEntry("num.partitions", "3")
                .doesNotContainKey("controller.quorum.bootstrap.servers");
    }

    @Test
    void classpathArgFileQuotesThePath() throws Exception {
        Path file = dir.resolve("cp.args");
        BrokerFiles.writeClasspathArgFile(file, "/a b/x.jar:/c/y.jar");

        assertThat(Files.readString(file)).isEqualTo("-cp\n\"/a b/x.jar:/c/y.jar\"\n");
    }
}
