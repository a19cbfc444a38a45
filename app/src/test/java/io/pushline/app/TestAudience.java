package io.pushline.app;

import io.pushline.pipeline.Pipeline;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** An author with a large audience for fanout tests: followers with one APNs and one FCM device each, published as events. */
final class TestAudience {
    static final String AUTHOR = "author-0";
    private static final URI SOURCE = URI.create("test://audience");
    private static final CloudEventCodec CODEC = new CloudEventCodec();

    private TestAudience() {
    }

    /** Publishes {@code devices / 2} followers of {@link #AUTHOR} with two devices each; returns the tokens. */
    static List<String> seed(String bootstrapServers, int devices) {
        Map<String, Object> config = new HashMap<>(Pipeline.producerConfig(Map.of("bootstrap.servers", bootstrapServers)));
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        List<String> tokens = new ArrayList<>(devices);
        Instant registeredAt = Instant.now();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (int d = 0; d < devices; d += 2) {
                String user = String.format("follower-%07d", d / 2);
                publish(producer, new FollowCreated(user, AUTHOR), registeredAt);
                String apnsToken = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
                String fcmToken = UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
                tokens.add(apnsToken);
                tokens.add(fcmToken);
                publish(producer, new DeviceRegistered(user, apnsToken, Platform.APNS, "io.pushline.test", registeredAt), registeredAt);
                publish(producer, new DeviceRegistered(user, fcmToken, Platform.FCM, "io.pushline.test.android", registeredAt), registeredAt);
            }
            producer.flush();
        }
        return tokens;
    }

    /** Publishes a TimelinePosted by {@link #AUTHOR}; returns its event id. */
    static String post(String bootstrapServers) throws Exception {
        String eventId = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(Map.of("bootstrap.servers", bootstrapServers)),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CODEC.toRecord(Topics.EVENTS, Envelope.of(eventId, SOURCE, Instant.now(),
                    new TimelinePosted("post-0", AUTHOR, AUTHOR + " posted", "Something new")))).get(30, TimeUnit.SECONDS);
        }
        return eventId;
    }

    /** The push ids the post must produce, one per token. */
    static Set<String> pushIds(String eventId, List<String> tokens) {
        Set<String> ids = new HashSet<>(tokens.size() * 2);
        tokens.forEach(token -> ids.add(PushIds.pushId(SOURCE.toString(), eventId, token)));
        return ids;
    }

    /** Likes and the pushes they must produce: one per device of each liked post's owner. */
    record Likes(List<Envelope<LikeCreated>> events, Set<String> pushIds) {
    }

    /**
     * {@code count} likes of posts owned by the first {@code owners} followers (follower-i owns {@code tokens} 2i and
     * 2i+1, as {@link #seed} made them), each by another actor.
     */
    static Likes likes(List<String> tokens, int owners, int count) {
        List<Envelope<LikeCreated>> events = new ArrayList<>(count);
        Set<String> pushIds = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int owner = i % owners;
            Envelope<LikeCreated> like = Envelope.of(UUID.randomUUID().toString(), URI.create("test://likes"), Instant.now(),
                    new LikeCreated(String.format("actor-%05d", i), String.format("post-%05d", i), String.format("follower-%07d", owner)));
            events.add(like);
            pushIds.add(PushIds.pushId(like.source().toString(), like.id(), tokens.get(2 * owner)));
            pushIds.add(PushIds.pushId(like.source().toString(), like.id(), tokens.get(2 * owner + 1)));
        }
        return new Likes(List.copyOf(events), Set.copyOf(pushIds));
    }

    /** Publishes {@code events} at {@code perSecond}, on the calling thread. */
    static void publishPaced(String bootstrapServers, List<? extends Envelope<?>> events, int perSecond) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(Map.of("bootstrap.servers", bootstrapServers)),
                new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long every = 1_000_000_000L / perSecond;
            for (int i = 0; i < events.size(); i++) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, start + i * every - System.nanoTime()));   // pacing
                producer.send(CODEC.toRecord(Topics.EVENTS, events.get(i)));
            }
            producer.flush();
        }
    }

    private static void publish(KafkaProducer<String, byte[]> producer, EventData data, Instant time) {
        producer.send(CODEC.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, time, data)));
    }
}
