package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation and defaults, without starting anything. */
class LocalClusterBuilderTest {

    @TempDir
    Path dir;

    @Test
    void replicationFollowsTheNodeCount() {
        assertThat(LocalCluster.builder().nodes(1).dataDir(dir).build().replicationFactor()).isEqualTo(1);
        assertThat(LocalCluster.builder().nodes(1).dataDir(dir).build().minInsyncReplicas()).isEqualTo(1);
        assertThat(LocalCluster.builder().nodes(2).dataDir(dir).build().minInsyncReplicas()).isEqualTo(1);
        LocalCluster three = LocalCluster.builder().dataDir(dir).build();
        assertThat(three.replicationFactor()).isEqualTo(3);
        assertThat(three.minInsyncReplicas()).isEqualTo(2);
        LocalCluster five = LocalCluster.builder().nodes(5).dataDir(dir).build();
        assertThat(five.replicationFactor()).isEqualTo(3);
        assertThat(five.minInsyncReplicas()).isEqualTo(2);
    }

    @Test
    void badValuesAreNamed() throws Exception {
        assertThatThrownBy(() -> LocalCluster.builder().nodes(0).build())
                .hasMessage("nodes must be between 1 and 9, was 0");
        assertThatThrownBy(() -> LocalCluster.builder().nodes(10).build())
                .hasMessage("nodes must be between 1 and 9, was 10");
        assertThatThrownBy(() -> LocalCluster.builder().port(-1).build())
                .hasMessage("port must be between 0 and 65535 (0 picks free ports), was -1");
        assertThatThrownBy(() -> LocalCluster.builder().port(65_531).build())
                .hasMessage("port 65531 leaves no room for the 6 ports of 3 nodes (client and controller ports run up to port + 5)");
        assertThatThrownBy(() -> LocalCluster.builder().heap("lots").build())
                .hasMessage("heap must be a JVM -Xmx size such as 512m or 2g, was 'lots'");
        assertThatThrownBy(() -> LocalCluster.builder().extraConfig(Map.of("controller.quorum.voters", "1@x:1")).build())
                .hasMessageStartingWith("extraConfig may not set controller.quorum.voters, which LocalCluster manages");
        Path file = Files.createFile(dir.resolve("a-file"));
        assertThatThrownBy(() -> LocalCluster.builder().dataDir(file).build())
                .hasMessage("dataDir must be a directory, was the file " + file);
    }

    @Test
    void notStartedHasNoNodes() {
        LocalCluster cluster = LocalCluster.builder().dataDir(dir).build();
        assertThatThrownBy(cluster::bootstrapServers).isInstanceOf(IllegalStateException.class)
                .hasMessage("the cluster has not been started");
        cluster.close();
        cluster.close();
    }
}
