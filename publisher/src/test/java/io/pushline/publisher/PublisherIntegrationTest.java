package io.pushline.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Topics;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: what a {@link Publisher} writes is what Pushline's router reads (the contracts' codec
 * decodes it to the same event), on the key of the README's table, from an idempotent producer.
 */
@KafkaIntegrationTest
class PublisherIntegrationTest {
    private static final URI SOURCE = URI.create("urn:example:service:publisher-test");

    private final CloudEventCodec codec = new CloudEventCodec();
    private EventsTopic events;

    @BeforeEach
    void openTopic(KafkaBroker broker) {
        events = EventsTopic.open(broker);
    }

    @AfterEach
    void closeTopic() {
        events.close();
    }

    private static Publisher.Builder publisherFor(KafkaBroker broker) {
        return Publisher.builder().bootstrapServers(broker.bootstrapServers()).source(SOURCE);
    }

    @Test
    void everyPublicTypeArrivesAsTheSameEventOnItsKey(KafkaBroker broker) throws Exception {
        Map<EventType, Events.Sample> samples = Events.publishable();
        Map<EventType, String> ids = new EnumMap<>(EventType.class);
        Map<EventType, CompletableFuture<Published>> futures = new EnumMap<>(EventType.class);
        try (Publisher publisher = publisherFor(broker).clock(Clock.fixed(Events.T0, ZoneOffset.UTC)).build()) {
            samples.forEach((type, sample) -> {
                String id = type.schemaName() + "-" + UUID.randomUUID();
                ids.put(type, id);
                futures.put(type, publisher.publish(id, sample.data()));
            });
            CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        assertThat(futures.keySet()).hasSize(10);
        for (Map.Entry<EventType, Events.Sample> e : samples.entrySet()) {
            EventType type = e.getKey();
            String key = e.getValue().key();
            Published published = futures.get(type).join();
            assertThat(published.eventId()).isEqualTo(ids.get(type));
            assertThat(published.type()).isEqualTo(type);
            assertThat(published.key()).as(type + " key").isEqualTo(key);
            assertThat(published.topic()).isEqualTo(Topics.EVENTS);
            // Kafka's default partitioner, by the key: where Pushline expects everything about that entity.
            assertThat(published.partition()).as(type + " partition").isEqualTo(Keys.partitionFor(key, EventsTopic.PARTITIONS));

            ConsumerRecord<String, byte[]> record = events.read(published);
            assertThat(record.key()).isEqualTo(key);
            assertThat(record.timestamp()).isEqualTo(published.timestamp().toEpochMilli());
            Headers headers = record.headers();
            assertThat(header(headers, "ce_specversion")).isEqualTo("1.0");
            assertThat(header(headers, "ce_id")).isEqualTo(ids.get(type));
            assertThat(header(headers, "ce_source")).isEqualTo(SOURCE.toString());
            assertThat(header(headers, "ce_type")).isEqualTo(type.ceType());
            assertThat(header(headers, "ce_time")).isEqualTo("2026-11-22T10:00:00.123Z");
            assertThat(header(headers, "ce_dataschema")).endsWith("/" + type.schemaName() + ".schema.json");
            assertThat(header(headers, "content-type")).isEqualTo("application/json");

            Decoded decoded = codec.decode(record);
            assertThat(decoded).as(type + " decodes").isInstanceOf(Decoded.Ok.class);
            Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
            assertThat(envelope.id()).isEqualTo(ids.get(type));
            assertThat(envelope.source()).isEqualTo(SOURCE);
            assertThat(envelope.time()).isEqualTo(Events.T0);
            assertThat(envelope.data()).isEqualTo(e.getValue().data());
        }
    }

    @Test
    void anEventWithoutAnIdGetsARandomUuid(KafkaBroker broker) throws Exception {
        Published first;
        Published second;
        try (Publisher publisher = publisherFor(broker).build()) {
            first = publisher.publish(new FollowCreated("user-2", "user-1")).get(30, TimeUnit.SECONDS);
            second = publisher.publish(new FollowCreated("user-2", "user-1")).get(30, TimeUnit.SECONDS);
        }
        assertThat(first.eventId()).isEqualTo(UUID.fromString(first.eventId()).toString()).isNotEqualTo(second.eventId());
        assertThat(header(events.read(first).headers(), "ce_id")).isEqualTo(first.eventId());
        assertThat(header(events.read(second).headers(), "ce_id")).isEqualTo(second.eventId());
    }

    @Test
    void theSameIdPublishedTwiceIsTwoRecordsWithOneCeId(KafkaBroker broker) throws Exception {
        String id = "retry-" + UUID.randomUUID();
        LikeCreated like = new LikeCreated("user-2", "post-9", "user-1");
        List<Published> published = new ArrayList<>();
        try (Publisher publisher = publisherFor(broker).build()) {
            published.add(publisher.publish(id, like).get(30, TimeUnit.SECONDS));
            published.add(publisher.publish(id, like).get(30, TimeUnit.SECONDS));
        }
        // Deduplicating a caller's retry is the pipeline's job (same ce_id, same push ids), not the producer's.
        assertThat(published).extracting(Published::partition).containsOnly(published.get(0).partition());
        assertThat(published.get(1).offset()).isGreaterThan(published.get(0).offset());
        ConsumerRecord<String, byte[]> a = events.read(published.get(0));
        ConsumerRecord<String, byte[]> b = events.read(published.get(1));
        assertThat(header(a.headers(), "ce_id")).isEqualTo(id);
        assertThat(header(b.headers(), "ce_id")).isEqualTo(id);
        assertThat(b.value()).isEqualTo(a.value());
        assertThat(((Decoded.Ok) codec.decode(b)).envelope().data()).isEqualTo(like);
    }

    @Test
    void theBrokerSeesAnIdempotentProducer(KafkaBroker broker) throws Exception {
        List<Published> published = new ArrayList<>();
        String follower = "idempotent-" + UUID.randomUUID();   // one key: one partition, sequences 0, 1, 2
        try (Publisher publisher = publisherFor(broker).build()) {
            for (int i = 0; i < 3; i++) {
                published.add(publisher.publish(new FollowCreated(follower, "user-" + i)).get(30, TimeUnit.SECONDS));
            }
        }
        assertThat(published).extracting(Published::partition).containsOnly(published.get(0).partition());
        TopicPartition tp = new TopicPartition(Topics.EVENTS, published.get(0).partition());
        List<ProducerState> producers = broker.admin().describeProducers(List.of(tp)).partitionResult(tp)
                .get(30, TimeUnit.SECONDS).activeProducers();
        // Only idempotent producers have a producer id and sequence numbers; ours wrote sequences 0, 1, 2 here.
        assertThat(producers).anySatisfy(p -> {
            assertThat(p.producerId()).isNotNegative();
            assertThat(p.lastSequence()).isEqualTo(2);
            assertThat(p.lastTimestamp()).isEqualTo(published.get(2).timestamp().toEpochMilli());
            assertThat(p.currentTransactionStartOffset()).isEmpty();
        });
    }

    @Test
    void flushWaitsForEveryPendingEvent(KafkaBroker broker) {
        List<CompletableFuture<Published>> futures = new ArrayList<>();
        try (Publisher publisher = publisherFor(broker).property(ProducerConfig.LINGER_MS_CONFIG, 60_000).build()) {
            for (int i = 0; i < 20; i++) {
                futures.add(publisher.publish(new FollowCreated("flusher-" + i, "user-1")));
            }
            publisher.flush(); // with a linger of a minute, only flush sends them now
            assertThat(futures).isNotEmpty().allSatisfy(f -> assertThat(f).isCompleted());
        }
        assertThat(futures).isNotEmpty().allSatisfy(f -> assertThat(f.join().offset()).isNotNegative());
    }

    @Test
    void closeSendsWhatIsPending(KafkaBroker broker) {
        List<CompletableFuture<Published>> futures = new ArrayList<>();
        Publisher publisher = publisherFor(broker).property(ProducerConfig.LINGER_MS_CONFIG, 60_000).build();
        for (int i = 0; i < 20; i++) {
            futures.add(publisher.publish(new FollowCreated("closer-" + i, "user-1")));
        }
        publisher.close(Duration.ofSeconds(30));
        assertThat(futures).isNotEmpty().allSatisfy(f -> assertThat(f.join().offset()).isNotNegative());
    }

    private static String header(Headers headers, String key) {
        List<Header> all = new ArrayList<>();
        headers.headers(key).forEach(all::add);
        assertThat(all).as("header " + key).hasSize(1);
        return new String(all.get(0).value(), StandardCharsets.UTF_8);
    }
}
