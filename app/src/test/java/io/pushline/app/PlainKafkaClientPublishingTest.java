package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * A publisher with nothing but a stock Kafka command-line client and the schemas: the README's
 * {@code kafka-console-producer.sh} line, run through Kafka's own {@code ConsoleProducer} in a separate JVM, is
 * accepted by the router (the follow edge reaches the follow state; nothing is dead-lettered).
 */
@KafkaIntegrationTest
class PlainKafkaClientPublishingTest {
    /** Exactly the README's example line (headers, tab, key, tab, value). */
    static final String README_LINE = "ce_specversion:1.0,ce_id:7d1c0c3e-0001,ce_source:/my-service,"
            + "ce_type:io.pushline.follow.created.v1,ce_time:2026-11-22T10:00:00Z,content-type:application/json"
            + "\tuser-42\t{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}\n";

    @Test
    void theReadmeConsoleProducerLineIsAValidEvent(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme).as("the README shows this line").contains(README_LINE.replace("\t", "\\t").replace("\n", "\\n"));

        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        String appId = TestTopics.unique("pushline-plain");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, (short) 1, stateDir, appId, 16);
        try (Pipeline pipeline = Pipeline.start(settings, EnumSet.of(Role.ROUTER), Map.of(), new SimpleMeterRegistry())) {
            Process producer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.ConsoleProducer",
                    "--bootstrap-server", broker.bootstrapServers(), "--topic", Topics.EVENTS,
                    "--property", "parse.headers=true", "--property", "parse.key=true")
                    .redirectErrorStream(true)
                    .redirectOutput(stateDir.resolve("console-producer.log").toFile())
                    .start();
            try (OutputStream stdin = producer.getOutputStream()) {
                stdin.write(README_LINE.getBytes(StandardCharsets.UTF_8));
            }
            assertThat(producer.waitFor(60, TimeUnit.SECONDS)).as("console producer exits").isTrue();
            assertThat(producer.exitValue()).as(Files.readString(stateDir.resolve("console-producer.log"))).isZero();

            Map<String, Object> config = new HashMap<>(broker.clientConfig());
            config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("plain-reader"));
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
            assertThat(records.get(0).key()).isEqualTo("user-42|user-7");
        }
    }
}
