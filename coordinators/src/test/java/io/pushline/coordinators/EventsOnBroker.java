package io.pushline.coordinators;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.testkit.KafkaBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Events written to the real broker as a publishing service writes them (binary-mode CloudEvents, acknowledged). */
final class EventsOnBroker implements AutoCloseable {
    private final CloudEventCodec codec = new CloudEventCodec();
    private final KafkaProducer<byte[], byte[]> producer;

    EventsOnBroker(KafkaBroker broker) {
        producer = new KafkaProducer<>(broker.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Writes {@code e} under {@code key} (to {@code partition}, or the key's), and waits for the acknowledgement. */
    void publish(String topic, Integer partition, String key, Envelope<?> e) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(e, headers);
        producer.send(new ProducerRecord<>(topic, partition, null, key.getBytes(StandardCharsets.UTF_8), value, headers))
                .get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        producer.close();
    }
}
