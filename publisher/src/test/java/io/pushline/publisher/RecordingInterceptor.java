package io.pushline.publisher;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A real producer hook, configured like any user's ({@code interceptor.classes}): it records the configuration the
 * Publisher's {@code KafkaProducer} was built with, and counts the records handed to {@code KafkaProducer.send}
 * (Kafka calls {@link #onSend} before any metadata wait or network I/O). Keyed by {@code client.id}, so each test
 * reads its own producer's.
 */
public final class RecordingInterceptor implements ProducerInterceptor<String, byte[]> {
    private static final Map<String, Map<String, Object>> CONFIGS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> SENDS = new ConcurrentHashMap<>();

    private AtomicInteger sends;

    /** The configuration the producer with {@code clientId} received. */
    static Map<String, Object> configOf(String clientId) {
        return CONFIGS.get(clientId);
    }

    /** How many records the producer with {@code clientId} was asked to send. */
    static int sendsOf(String clientId) {
        AtomicInteger n = SENDS.get(clientId);
        return n == null ? 0 : n.get();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        String clientId = String.valueOf(configs.get(ProducerConfig.CLIENT_ID_CONFIG));
        CONFIGS.put(clientId, Map.copyOf(configs));
        sends = SENDS.computeIfAbsent(clientId, id -> new AtomicInteger());
    }

    @Override
    public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
        sends.incrementAndGet();
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    }

    @Override
    public void close() {
    }
}
