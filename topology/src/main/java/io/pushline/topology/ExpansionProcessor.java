package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * Partition-local audience expansion. Each stream task owns one partition of the follower-partitioned state: the
 * follow edges whose follower hashes to it and those followers' devices. A fanout job is written to every partition,
 * so each task expands exactly its own shard and together they reach the whole audience with no hot key.
 *
 * <p>The follow index is keyed {@code followee|follower}, so the followers of an author are one prefix range scan.
 */
final class ExpansionProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String FOLLOW_INDEX = "follow-index";
    static final String USER_DEVICES = "user-devices";
    private static final byte[] PRESENT = new byte[0];
    /** Ends an id inside a compound key, so "a1|" never matches "a10|...". */
    private static final String PREFIX_END = "|";

    private final CloudEventCodec codec;
    private final TopologyConfig config;
    private final TopologyMetrics metrics;
    private final ObjectMapper json = new ObjectMapper();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> followIndex;
    private KeyValueStore<String, byte[]> userDevices;

    /** What expansion needs of a device; kept small because there may be millions per instance. */
    record DeviceRef(Platform platform, String appId) {}

    ExpansionProcessor(CloudEventCodec codec, TopologyConfig config, TopologyMetrics metrics) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.followIndex = context.getStateStore(FOLLOW_INDEX);
        this.userDevices = context.getStateStore(USER_DEVICES);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        switch (origin.topic()) {
            case Topics.STATE_FOLLOWS -> onFollowEdge(record);
            case Topics.STATE_DEVICES -> onDevice(record, origin);
            case Topics.FANOUT_JOBS -> onJob(record, origin);
            default -> throw new IllegalStateException("expansion is not wired to " + origin.topic());
        }
    }

    private void onFollowEdge(Record<byte[], byte[]> record) {
        String edge = new String(record.key(), StandardCharsets.UTF_8);
        String indexKey = Keys.compound(Keys.second(edge), Keys.first(edge));
        if (record.value() == null) {
            followIndex.delete(indexKey);
        } else {
            followIndex.put(indexKey, PRESENT);
        }
    }

    private void onDevice(Record<byte[], byte[]> record, RecordMetadata origin) {
        String key = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            userDevices.delete(key);
            return;
        }
        Envelope<?> envelope = decodeOrDeadLetter(record, origin);
        if (envelope != null && envelope.data() instanceof DeviceRegistered device) {
            try {
                userDevices.put(key, json.writeValueAsBytes(new DeviceRef(device.platform(), device.appId())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void onJob(Record<byte[], byte[]> record, RecordMetadata origin) {
        Envelope<?> envelope = decodeOrDeadLetter(record, origin);
        if (envelope == null || !(envelope.data() instanceof TimelinePosted post)) {
            return;
        }
        metrics.jobExpanded();
        Instant now = Instant.now();
        try (KeyValueIterator<String, byte[]> followers = followIndex.prefixScan(post.authorId() + PREFIX_END, Serdes.String().serializer())) {
            while (followers.hasNext()) {
                String follower = Keys.second(followers.next().key);
                try (KeyValueIterator<String, byte[]> devices = userDevices.prefixScan(follower + PREFIX_END, Serdes.String().serializer())) {
                    while (devices.hasNext()) {
                        KeyValue<String, byte[]> device = devices.next();
                        emitPush(envelope.id(), post, follower, Keys.second(device.key), readRef(device.value), record.timestamp(), now);
                    }
                }
            }
        }
    }

    private void emitPush(String eventId, TimelinePosted post, String userId, String token, DeviceRef device, long timestamp, Instant now) {
        String pushId = PushIds.pushId(eventId, token);
        PushTask task = new PushTask(pushId, eventId, userId, token, device.platform(), device.appId(),
                post.title(), post.body(), Map.of("postId", post.postId(), "authorId", post.authorId()),
                collapseKey(post.postId()), (int) config.timelinePushTtl().toSeconds(), Priority.NORMAL, Lane.BULK);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(Envelope.of(pushId, config.source(), now, task), headers);
        context.forward(new Record<>(RouterProcessor.utf8(userId), value, timestamp, headers), PushlineTopology.PUSH_BULK_SINK);
        metrics.deviceExpanded();
    }

    /** One notification per post on a device; APNs caps collapse ids at 64 bytes, so long post ids are hashed. */
    static String collapseKey(String postId) {
        String key = "post-" + postId;
        return key.length() <= 64 ? key
                : "post-" + java.util.UUID.nameUUIDFromBytes(postId.getBytes(StandardCharsets.UTF_8));
    }

    private DeviceRef readRef(byte[] bytes) {
        try {
            return json.readValue(bytes, DeviceRef.class);
        } catch (IOException e) {
            throw new UncheckedIOException("user-devices store entry is unreadable", e);
        }
    }

    private Envelope<?> decodeOrDeadLetter(Record<byte[], byte[]> record, RecordMetadata origin) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Ok ok) {
            return ok.envelope();
        }
        Decoded.Invalid invalid = (Decoded.Invalid) decoded;
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.addTo(headers, invalid.reason(), invalid.detail(), origin.topic(), origin.partition(), origin.offset(), Instant.now());
        metrics.deadLettered(invalid.reason());
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), PushlineTopology.EXPANSION_DEAD_LETTER_SINK);
        return null;
    }
}
