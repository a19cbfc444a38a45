package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the publishing tests with stock command-line clients ({@link PlainKafkaClientPublishingTest},
 * {@link KcatPublishingTest}) share: the router running against the test kit's broker on fresh topics, a client
 * process fed on stdin with a bounded wait, and the check that the router accepted the one follow it published.
 */
final class StockClientPublishing {

    /** Publishes to the broker whose bootstrap servers it is given. */
    interface Publish {
        void to(String bootstrapServers) throws Exception;
    }

    private StockClientPublishing() {
    }

    /**
     * Runs the router on fresh Pushline topics, lets {@code publish} publish one {@code FollowCreated}, and checks that
     * the router accepted it: the edge {@code expectedFollowKey} ({@code follower|followee}) reaches the follow state,
     * and nothing reaches the dead letters. The topics have {@link #PARTITIONS} partitions and are left as they are.
     */
    static void expectTheRouterToAcceptOneFollow(KafkaBroker broker, Path stateDir, String expectedFollowKey, Publish publish)
            throws Exception {
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        String appId = TestTopics.unique("pushline-stock-client");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), PARTITIONS, Replication.Choice.AUTO, stateDir, appId, 16);
        try (Pipeline pipeline = Pipeline.start(settings, EnumSet.of(ProcessRole.ROUTER), Map.of(), new SimpleMeterRegistry())) {
            publish.to(broker.bootstrapServers());

            Map<String, Object> config = new HashMap<>(broker.clientConfig());
            config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("stock-client-reader"));
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(Topics.STATE_FOLLOWS, Topics.DEAD_LETTERS));
                await().atMost(Duration.ofMinutes(1)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                    return !records.isEmpty();
                });
            }
            assertThat(records).hasSize(1);
            assertThat(records.get(0).topic()).isEqualTo(Topics.STATE_FOLLOWS);
            assertThat(records.get(0).key()).isEqualTo(expectedFollowKey);
        }
    }

    /** Partitions of the Pushline topics {@link #expectTheRouterToAcceptOneFollow} creates. */
    static final int PARTITIONS = 3;

    /** Whether {@code program} is an executable on the PATH. */
    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code command}, writes {@code stdin} to it and closes it, and waits at most {@code timeout} for it to exit
     * with 0; its output goes to {@code log}, and is quoted when it fails.
     */
    static void run(List<String> command, String stdin, Path log, Duration timeout) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("%s exits within %s", command.get(0), timeout).isTrue();
            assertThat(process.exitValue()).as("exit code of %s; its output:%n%s", command, Files.readString(log)).isZero();
        } finally {
            process.destroyForcibly();
        }
    }
}
