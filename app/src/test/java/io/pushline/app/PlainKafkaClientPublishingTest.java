package io.pushline.app;

import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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

        StockClientPublishing.expectTheRouterToAcceptOneFollow(broker, stateDir, "user-42|user-7", bootstrapServers ->
                StockClientPublishing.run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.ConsoleProducer",
                        "--bootstrap-server", bootstrapServers, "--topic", Topics.EVENTS,
                        "--property", "parse.headers=true", "--property", "parse.key=true"),
                        README_LINE, stateDir.resolve("console-producer.log"), Duration.ofSeconds(60)));
    }
}
