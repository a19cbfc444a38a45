package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Starts real brokers as child processes, on free ports in temporary data dirs. */
@Tag("integration")
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LocalBrokerTest {
    /** The three child-broker classes run beside each other on two cores: a broker may take well over a minute to start. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);


    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dataDir;

    @Test
    void servesClientsStopsCleanlyAndKeepsTopicsAcrossRestarts() throws Exception {
        long pid;
        int port;
        try (LocalBroker broker = onFreePorts(dataDir).start()) {
            pid = broker.pid();
            port = Integer.parseInt(broker.bootstrapServers().substring("127.0.0.1:".length()));
            assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(EarlierBroker.readPid(BrokerFiles.pidFile(dataDir))).hasValue(pid);

            createTopic(broker, "likes");
            produce(broker, "likes", "alice", "liked bob's post");
            assertThat(consume(broker, "likes", 1)).containsExactly("alice=liked bob's post");
        }

        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("broker process after close").isEmpty();
        assertThat(Ports.isFree(port)).as("port %s free after close", port).isTrue();
        assertThat(BrokerFiles.pidFile(dataDir)).doesNotExist();
        // The child logs warnings and errors, plus Kafka's one "started" line, into the log file.
        List<String> log = Files.readAllLines(dataDir.resolve("broker.log"));
        assertThat(log).anyMatch(line -> line.contains("Kafka Server started"));
        assertThat(log).filteredOn(line -> line.contains(" INFO ") || line.contains(" DEBUG "))
                .allMatch(line -> line.contains("kafka.server.KafkaRaftServer"));

        // The same data dir, on new ports: the topic and its record are still there.
        try (LocalBroker again = onFreePorts(dataDir).start()) {
            assertThat(again.pid()).isNotEqualTo(pid);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", again.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("likes");
            }
            assertThat(consume(again, "likes", 1)).containsExactly("alice=liked bob's post");
        }
    }

    @Test
    void aTakenPortFailsBeforeLaunchingNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            LocalBroker broker = LocalBroker.builder().port(port).controllerPort(0).dataDir(dataDir).build();

            assertThatThrownBy(broker::start)
                    .isInstanceOf(LocalBrokerException.class)
                    .hasMessage("port " + port + " on 127.0.0.1 is already in use (is another broker running? use"
                            + " --kafka-port to choose another)");
            assertThat(BrokerFiles.pidFile(dataDir)).doesNotExist();
            assertThat(BrokerFiles.serverProperties(dataDir)).doesNotExist();
        }
    }

    @Test
    void aTakenControllerPortFailsToo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            LocalBroker broker = LocalBroker.builder().port(0).controllerPort(port).dataDir(dataDir).build();

            assertThatThrownBy(broker::start)
                    .isInstanceOf(LocalBrokerException.class)
                    .hasMessageStartingWith("controller port " + port + " on 127.0.0.1 is already in use");
        }
    }

    @Test
    void aStalePidFileFromACrashedRunIsReplaced() throws Exception {
        LocalBroker crashed = onFreePorts(dataDir).start();
        long crashedPid = crashed.pid();
        createTopic(crashed, "follows");
        ProcessHandle.of(crashedPid).orElseThrow().destroyForcibly(); // kill -9: no clean shutdown, pid file left
        ProcessHandle.of(crashedPid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        assertThat(EarlierBroker.readPid(BrokerFiles.pidFile(dataDir))).hasValue(crashedPid);

        try (LocalBroker restarted = onFreePorts(dataDir).start()) {
            assertThat(EarlierBroker.readPid(BrokerFiles.pidFile(dataDir))).hasValue(restarted.pid());
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", restarted.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("follows");
            }
            crashed.close(); // must not remove the pid file of the broker that took over
            assertThat(EarlierBroker.readPid(BrokerFiles.pidFile(dataDir))).hasValue(restarted.pid());
        }
    }

    @Test
    void refusesToStartWhileABrokerFromAnEarlierRunStillServesTheDataDir() throws Exception {
        try (LocalBroker earlier = onFreePorts(dataDir).start()) {
            long pid = earlier.pid();

            assertThatThrownBy(() -> onFreePorts(dataDir).start())
                    .isInstanceOf(LocalBrokerException.class)
                    .hasMessage("a broker from an earlier run is still running (pid " + pid + ", data dir " + dataDir
                            + "); stop it with `kill " + pid + "` or use another --data-dir");

            // Even without its pid file, Kafka's lock on the data dir gives it away.
            Files.delete(BrokerFiles.pidFile(dataDir));
            assertThatThrownBy(() -> onFreePorts(dataDir).start())
                    .isInstanceOf(LocalBrokerException.class)
                    .hasMessageContaining("the data dir " + dataDir + " is in use by another process");

            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("the earlier broker").isPresent();
        }
    }

    @Test
    void aChildThatDiesQuotesTheEndOfItsLog(@TempDir Path emptyClasspath) {
        LocalBroker broker = LocalBroker.builder().port(0).dataDir(dataDir).classpath(emptyClasspath.toString()).build();

        assertThatThrownBy(broker::start)
                .isInstanceOf(LocalBrokerException.class)
                .hasMessageContaining("failed (exit code 1); last lines of " + dataDir.resolve("broker.log"))
                .hasMessageContaining("Could not find or load main class kafka.tools.StorageTool")
                .hasMessageContaining("pass it with LocalBroker.builder().classpath(...)");
        assertThat(BrokerFiles.pidFile(dataDir)).doesNotExist();
    }

    private static LocalBroker onFreePorts(Path dataDir) {
        return LocalBroker.builder().port(0).controllerPort(0).dataDir(dataDir).heap("256m").startTimeout(START_TIMEOUT).build();
    }

    private static void createTopic(LocalBroker broker, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all()
                    .get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static void produce(LocalBroker broker, String topic, String key, String value) throws Exception {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static List<String> consume(LocalBroker broker, String topic, int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(r.key() + "=" + r.value()));
            }
        }
        return records;
    }
}
