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
 * <p>The follow index is keyed {@code followee|follower}, so the followers of an author are one range scan. A job is
 * expanded in bounded pages (at most {@link TopologyConfig#pageSize()} devices per page, a page per
 * {@link TopologyConfig#pageInterval()}), with its cursor in a changelog-backed store: memory and transactions stay
 * bounded however large the audience, the stream thread is never blocked for long, and after a crash the job resumes
 * from its last committed cursor. Followers who unfollow before their page is reached get no push.
 */
final class ExpansionProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String FOLLOW_INDEX = "follow-index";
    static final String USER_DEVICES = "user-devices";
    static final String JOBS = "fanout-jobs";
    /** Sorts after every character an id may have ({@code [A-Za-z0-9._:@-]}), so it ends a prefix range. */
    private static final String RANGE_END = "~";
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
    private KeyValueStore<String, byte[]> jobs;

    /** What expansion needs of a device; kept small because there may be millions per instance. */
    record DeviceRef(Platform platform, String appId) {}

    /** A running fanout on this partition: the post, and the last follower whose devices were emitted. */
    record Job(String eventId, String postId, String authorId, String title, String body, String cursor, long timestamp,
               long emitted) {}

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
        this.jobs = context.getStateStore(JOBS);
        context.schedule(config.pageInterval(), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME, ts -> expandPages());
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
        if (jobs.get(envelope.id()) != null) {
            return;   // the same event again (a publisher's retry) while its expansion runs: one job, not two
        }
        Job job = new Job(envelope.id(), post.postId(), post.authorId(), post.title(), post.body(), null, record.timestamp(), 0);
        storeJob(job);
        metrics.jobStarted();
        expand(job, config.pageSize());   // the first page at once, for latency; the rest on the punctuator
    }

    /**
     * One bounded page of every running job, so that no transaction and no stream-thread step grows with the audience:
     * the cursor (the last follower done) commits with the page's push tasks, and a crash resumes from it.
     */
    private void expandPages() {
        int budget = config.pageSize();
        try (KeyValueIterator<String, byte[]> running = jobs.all()) {
            while (running.hasNext() && budget > 0) {
                budget -= expand(readJob(running.next().value), budget);
            }
        }
    }

    /** Expands up to about {@code budget} devices of {@code job} from its cursor; returns the devices emitted. */
    private int expand(Job job, int budget) {
        Instant now = Instant.now();
        TimelinePosted post = new TimelinePosted(job.postId(), job.authorId(), job.title(), job.body());
        String from = job.authorId() + PREFIX_END + (job.cursor() == null ? "" : job.cursor());
        String to = job.authorId() + PREFIX_END + RANGE_END;
        int emitted = 0;
        String cursor = job.cursor();
        boolean exhausted = true;
        try (KeyValueIterator<String, byte[]> followers = followIndex.range(from, to)) {
            while (followers.hasNext()) {
                String follower = Keys.second(followers.next().key);
                if (follower.equals(job.cursor())) {
                    continue;   // range() includes the cursor, which the previous page already did
                }
                if (emitted >= budget) {
                    exhausted = false;
                    break;
                }
                try (KeyValueIterator<String, byte[]> devices = userDevices.prefixScan(follower + PREFIX_END, Serdes.String().serializer())) {
                    while (devices.hasNext()) {
                        KeyValue<String, byte[]> device = devices.next();
                        emitPush(job.eventId(), post, follower, Keys.second(device.key), readRef(device.value), job.timestamp(), now);
                        emitted++;
                    }
                }
                cursor = follower;
            }
        }
        if (exhausted) {
            jobs.delete(job.eventId());
            metrics.jobExpanded();
        } else {
            storeJob(new Job(job.eventId(), job.postId(), job.authorId(), job.title(), job.body(), cursor, job.timestamp(),
                    job.emitted() + emitted));
        }
        return emitted;
    }

    private void storeJob(Job job) {
        try {
            jobs.put(job.eventId(), json.writeValueAsBytes(job));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Job readJob(byte[] bytes) {
        try {
            return json.readValue(bytes, Job.class);
        } catch (IOException e) {
            throw new UncheckedIOException("fanout-jobs store entry is unreadable", e);
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
