package io.pushline.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transactions and Kafka Streams exactly_once_v2 need the single-node transaction log settings. */
@KafkaIntegrationTest
class ExactlyOnceTest {

    private static final Map<String, Object> READ_COMMITTED = Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");

    @Test
    void readCommittedSeesCommittedTransactionsOnly(KafkaBroker broker) throws Exception {
        String topic = Clients.createTopic(broker, "txn", 1);
        Map<String, Object> config = broker.clientConfig();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TestTopics.unique("txn-producer"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }

        assertThat(Clients.consume(broker, topic, 1, READ_COMMITTED))
                .extracting(r -> new String(r.value(), UTF_8))
                .containsExactly("committed");
    }

    @Test
    void kafkaStreamsRunsWithExactlyOnceV2(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        String input = Clients.createTopic(broker, "eos-in", 3);
        String output = Clients.createTopic(broker, "eos-out", 3);

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> v.toUpperCase())
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        Properties props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, TestTopics.unique("eos-app"));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);

        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> streams.state() == KafkaStreams.State.RUNNING);

            try (KafkaProducer<String, String> producer =
                         new KafkaProducer<>(broker.clientConfig(), new StringSerializer(), new StringSerializer())) {
                for (String user : new String[] {"alice", "bob", "carol"}) {
                    producer.send(new ProducerRecord<>(input, user, user + " posted")).get(30, TimeUnit.SECONDS);
                }
            }

            assertThat(Clients.consume(broker, output, 3, READ_COMMITTED))
                    .extracting(r -> new String(r.value(), UTF_8))
                    .containsExactlyInAnyOrder("ALICE POSTED", "BOB POSTED", "CAROL POSTED");
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            streams.close(Duration.ofSeconds(30));
        }
    }
}
