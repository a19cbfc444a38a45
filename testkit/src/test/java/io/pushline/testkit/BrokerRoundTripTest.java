package io.pushline.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

@KafkaIntegrationTest
class BrokerRoundTripTest {

    @Test
    void createsTopicProducesAndConsumes(KafkaBroker broker) throws Exception {
        assertThat(broker.kind()).isIn("kraft-testkit", "testcontainers");
        assertThat(broker.clientConfig()).containsEntry("bootstrap.servers", broker.bootstrapServers());

        String topic = Clients.createTopic(broker, "round-trip", 3);
        TopicDescription description = broker.admin().describeTopics(List.of(topic)).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(topic);
        assertThat(description.partitions()).hasSize(3);

        try (KafkaProducer<String, byte[]> producer = producer(broker, Map.of())) {
            producer.send(new ProducerRecord<>(topic, "alice", "liked bob's post".getBytes(UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }

        ConsumerRecord<String, byte[]> record = Clients.consume(broker, topic, 1, Map.of()).get(0);
        assertThat(record.key()).isEqualTo("alice");
        assertThat(new String(record.value(), UTF_8)).isEqualTo("liked bob's post");
    }

    @Test
    void acceptsTwoMegabyteRecords(KafkaBroker broker) throws Exception {
        String topic = Clients.createTopic(broker, "large", 1);
        byte[] twoMegabytes = new byte[2 * 1024 * 1024];
        Arrays.fill(twoMegabytes, (byte) 'x');

        try (KafkaProducer<String, byte[]> producer =
                     producer(broker, Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, BrokerSettings.MAX_MESSAGE_BYTES))) {
            RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, "big", twoMegabytes)).get(30, TimeUnit.SECONDS);
            assertThat(metadata.serializedValueSize()).isEqualTo(twoMegabytes.length);
        }

        assertThat(Clients.consume(broker, topic, 1, Map.of()).get(0).value()).isEqualTo(twoMegabytes);
    }

    @Test
    void runsWithSingleNodeSettings(KafkaBroker broker) throws Exception {
        Node node = broker.admin().describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
        Config config = broker.admin().describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);

        assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
        assertThat(config.get("num.partitions").value()).isEqualTo("3");
        assertThat(Integer.parseInt(config.get("message.max.bytes").value())).isGreaterThanOrEqualTo(10_485_760);
        assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("1");
        assertThat(config.get("transaction.state.log.replication.factor").value()).isEqualTo("1");
        assertThat(config.get("transaction.state.log.min.isr").value()).isEqualTo("1");
        assertThat(config.get("group.initial.rebalance.delay.ms").value()).isEqualTo("0");
    }

    private static KafkaProducer<String, byte[]> producer(KafkaBroker broker, Map<String, Object> extra) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.putAll(extra);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }
}
