package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBrokerBuilderTest {

    @TempDir
    Path dir;

    @Test
    void defaults() {
        LocalBroker broker = LocalBroker.builder().build();

        assertThat(broker.dataDir()).isEqualTo(Path.of(".pushline", "kafka").toAbsolutePath().normalize());
        assertThat(broker.toString()).contains("127.0.0.1:19092");
    }

    @Test
    void rejectsPortsOutOfRangeNamingFieldAndValue() {
        assertThatThrownBy(() -> LocalBroker.builder().port(70_000).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be between 0 and 65535 (0 picks a free port), was 70000");
        assertThatThrownBy(() -> LocalBroker.builder().port(-1).build())
                .hasMessageContaining("port must be between 0 and 65535").hasMessageContaining("was -1");
        assertThatThrownBy(() -> LocalBroker.builder().controllerPort(65_536).build())
                .hasMessageContaining("controllerPort must be between 0 and 65535").hasMessageContaining("was 65536");
    }

    @Test
    void controllerPortDefaultsToTheNextPortAndMustDiffer() {
        assertThatThrownBy(() -> LocalBroker.builder().port(65_535).build())
                .hasMessageContaining("controllerPort defaults to port + 1 = 65536");
        assertThatThrownBy(() -> LocalBroker.builder().port(20_000).controllerPort(20_000).build())
                .hasMessage("controllerPort must differ from port, both were 20000");
        LocalBroker.builder().port(0).controllerPort(0).build();
    }

    @Test
    void rejectsOtherBadValuesNamingThem() {
        assertThatThrownBy(() -> LocalBroker.builder().heap("lots").build())
                .hasMessage("heap must be a JVM -Xmx size such as 512m or 2g, was 'lots'");
        assertThatThrownBy(() -> LocalBroker.builder().startTimeout(Duration.ZERO).build())
                .hasMessage("startTimeout must be positive, was PT0S");
        assertThatThrownBy(() -> LocalBroker.builder().dataDir(null).build())
                .hasMessage("dataDir must be set, was null");
        assertThatThrownBy(() -> LocalBroker.builder().javaExecutable(dir.resolve("no-java")).build())
                .hasMessage("javaExecutable must be an executable file, was " + dir.resolve("no-java"));
        assertThatThrownBy(() -> LocalBroker.builder().classpath(" ").build())
                .hasMessageContaining("classpath must name the jars holding kafka_2.13");
    }

    @Test
    void rejectsADataDirThatIsAFile() throws Exception {
        Path file = Files.createFile(dir.resolve("not-a-dir"));

        assertThatThrownBy(() -> LocalBroker.builder().dataDir(file).build())
                .hasMessage("dataDir must be a directory, was the file " + file);
    }

    @Test
    void extraConfigMayNotTakeOverListenersOrStorage() {
        assertThatThrownBy(() -> LocalBroker.builder().extraConfig(Map.of("listeners", "PLAINTEXT://0.0.0.0:9092")).build())
                .hasMessage("extraConfig may not set listeners, which LocalBroker manages (use port, controllerPort or dataDir)");
        assertThatThrownBy(() -> LocalBroker.builder().extraConfig(Map.of("log.dirs", "/tmp")).build())
                .hasMessageContaining("extraConfig may not set log.dirs");
        LocalBroker.builder().extraConfig(Map.of("log.retention.hours", "1")).build();
    }

    @Test
    void accessorsNeedAStartedBroker() {
        LocalBroker broker = LocalBroker.builder().dataDir(dir).build();

        assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class)
                .hasMessage("the broker has not been started");
        assertThatThrownBy(broker::pid).isInstanceOf(IllegalStateException.class);
        broker.close();
        broker.close();
    }

    @Test
    void relativeClasspathEntriesAreResolvedBeforeTheChildChangesDirectory() {
        String cwd = Path.of("").toAbsolutePath().toString();

        assertThat(LocalBroker.absoluteClasspath("app.jar:lib/*::/abs/x.jar"))
                .isEqualTo(cwd + "/app.jar:" + cwd + "/lib/*:/abs/x.jar");
    }
}
