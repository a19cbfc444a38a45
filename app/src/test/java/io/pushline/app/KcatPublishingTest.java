package io.pushline.app;

import io.pushline.testkit.RequiredProgram;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A publisher that is not Java at all: the README's {@code kcat} command (librdkafka's command-line client, Debian's
 * {@code kcat} package), run by bash exactly as written there but for the broker's address, publishes a follow that the
 * router accepts (the edge reaches the follow state; nothing is dead-lettered). The event keeps its {@code ce_*}
 * headers, and {@code partitioner=murmur2_random} puts it on the partition a Java producer would have chosen for the
 * key. Skipped, saying why, where kcat is not installed.
 */
@KafkaIntegrationTest
class KcatPublishingTest {
    /** The README's broker address, replaced by the test broker's. */
    static final String README_BOOTSTRAP = "127.0.0.1:19092";
    /** Exactly the README's command. */
    static final String README_COMMAND = """
            echo '{"followerId":"user-42","followeeId":"user-7"}' |
              kcat -P -b 127.0.0.1:19092 -t pushline.events -X partitioner=murmur2_random -k user-42 \\
                -H ce_specversion=1.0 -H ce_id=7d1c0c3e-0002 -H ce_source=/my-service \\
                -H ce_type=io.pushline.follow.created.v1 -H ce_time=2026-11-22T10:00:00Z \\
                -H content-type=application/json
            """;

    @Test
    void theReadmeShowsTheCommand() throws Exception {
        assertThat(Files.readString(Path.of("..", "README.md"))).as("the README shows this command").contains(README_COMMAND);
    }

    @Test
    void theReadmeKcatCommandPublishesAValidEvent(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        RequiredProgram.require(StockClientPublishing.onPath("kcat"), "kcat is not installed (Debian: apt-get install -y kcat); CI installs it");

        StockClientPublishing.expectTheRouterToAcceptOneFollow(broker, stateDir, "user-42|user-7", bootstrapServers ->
                StockClientPublishing.run(List.of("bash", "-c", README_COMMAND.replace(README_BOOTSTRAP, bootstrapServers)), "",
                        stateDir.resolve("kcat.log"), Duration.ofSeconds(60)));

        ConsumerRecord<String, String> event = theOnlyEvent(broker);
        assertThat(event.key()).isEqualTo("user-42");
        assertThat(event.value()).isEqualTo("{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}");
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : event.headers()) {
            headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        assertThat(headers).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ce_specversion", "1.0", "ce_id", "7d1c0c3e-0002", "ce_source", "/my-service",
                "ce_type", "io.pushline.follow.created.v1", "ce_time", "2026-11-22T10:00:00Z",
                "content-type", "application/json"));
        int javaPartition = Utils.toPositive(Utils.murmur2("user-42".getBytes(StandardCharsets.UTF_8))) % StockClientPublishing.PARTITIONS;
        assertThat(event.partition()).as("the partition Kafka's Java producer chooses for the key").isEqualTo(javaPartition);
    }

    private static ConsumerRecord<String, String> theOnlyEvent(KafkaBroker broker) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("kcat-reader"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.EVENTS));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return !records.isEmpty();
            });
        }
        assertThat(records).as("events on " + Topics.EVENTS).hasSize(1);
        return records.get(0);
    }
}
