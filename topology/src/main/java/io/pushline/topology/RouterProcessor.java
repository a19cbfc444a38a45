package io.pushline.topology;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.UserPreferencesUpdated;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Decodes and validates every record on the events topic and routes it: bad input to the dead-letter topic (original
 * bytes untouched, reason and origin in headers), device events to the token-keyed device registry, follow edges to
 * the follower-partitioned state topic, fanout triggers to every partition of the jobs topic, and content and bans to
 * the profile-keyed content topic. A ban also goes to every partition of the jobs topic (each partition drops its
 * follow edges to the profile and its fanouts by it) and to the compacted banned-profiles topic.
 *
 * <p>It never throws for bad input, so one bad record cannot stop its partition.
 */
final class RouterProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(RouterProcessor.class);

    private final CloudEventCodec codec;
    private final TopologyMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;

    RouterProcessor(CloudEventCodec codec, TopologyMetrics metrics) {
        this.codec = codec;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Invalid invalid) {
            deadLetter(record, invalid.reason(), invalid.detail());
            return;
        }
        Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
        EventType type = envelope.type();
        switch (type) {
            case DEVICE_REGISTERED -> forwardByToken(record, ((DeviceRegistered) envelope.data()).token());
            case DEVICE_UNREGISTERED -> forwardByToken(record, ((DeviceUnregistered) envelope.data()).token());
            case FOLLOW_CREATED -> {
                FollowCreated follow = (FollowCreated) envelope.data();
                context.forward(new Record<>(utf8(Keys.compound(follow.followerId(), follow.followeeId())),
                        record.value(), record.timestamp(), copy(record)), PushlineTopology.FOLLOWS_SINK);
            }
            case FOLLOW_REMOVED -> {
                FollowRemoved unfollow = (FollowRemoved) envelope.data();
                // A tombstone: compaction forgets the edge, the expander removes it from its index.
                context.forward(new Record<>(utf8(Keys.compound(unfollow.followerId(), unfollow.followeeId())),
                        (byte[]) null, record.timestamp(), copy(record)), PushlineTopology.FOLLOWS_SINK);
            }
            case TIMELINE_POSTED -> {
                TimelinePosted post = (TimelinePosted) envelope.data();
                context.forward(new Record<>(utf8(post.authorId()), record.value(), record.timestamp(), copy(record)),
                        PushlineTopology.JOBS_SINK);
            }
            case POST_CREATED -> forwardByProfile(record, ((PostCreated) envelope.data()).authorId());
            case LIKE_CREATED -> forwardByProfile(record, ((LikeCreated) envelope.data()).actorId());
            case PROFILE_BANNED -> {
                String profileId = ((ProfileBanned) envelope.data()).profileId();
                forwardByProfile(record, profileId);
                context.forward(new Record<>(utf8(profileId), record.value(), record.timestamp(), copy(record)),
                        PushlineTopology.JOBS_SINK);
                context.forward(new Record<>(utf8(profileId), record.value(), record.timestamp(), copy(record)),
                        PushlineTopology.BANNED_SINK);
            }
            case USER_PREFERENCES_UPDATED -> context.forward(new Record<>(utf8(((UserPreferencesUpdated) envelope.data()).userId()),
                    record.value(), record.timestamp(), copy(record)), PushlineTopology.PREFERENCES_SINK);
            case PUSH_TASK, PUSH_RECEIPT, CONTENT_REMOVAL, TIMELINE_ENTRY_UPDATED, ACTIVITY_RECORDED, NOTIFICATION_UPDATED -> {
                deadLetter(record, DeadLetterReason.UNKNOWN_TYPE,
                        "ce_type " + type.ceType() + " is internal to Pushline and is not accepted on the events topic");
                return;
            }
            default -> {
                // Valid events that no stage of this version acts on stay on the events topic for the consumers
                // that do; they are counted, not dropped silently.
            }
        }
        metrics.routed(type);
    }

    private void forwardByToken(Record<byte[], byte[]> record, String token) {
        context.forward(new Record<>(utf8(token), record.value(), record.timestamp(), copy(record)),
                PushlineTopology.DEVICE_EVENTS_SINK);
    }

    /** A like is keyed by the post's owner on the events topic; the content index needs it with its actor. */
    private void forwardByProfile(Record<byte[], byte[]> record, String profileId) {
        context.forward(new Record<>(utf8(profileId), record.value(), record.timestamp(), copy(record)),
                PushlineTopology.CONTENT_EVENTS_SINK);
    }

    private void deadLetter(Record<byte[], byte[]> record, DeadLetterReason reason, String detail) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        RecordHeaders headers = copy(record);
        DeadLetters.addTo(headers, reason, detail, origin.topic(), origin.partition(), origin.offset(), Instant.now());
        metrics.deadLettered(reason);
        log.atWarn().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers()))
                .log("dead-lettered {}-{}@{}: {} ({})", origin.topic(), origin.partition(), origin.offset(), reason, detail);
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), PushlineTopology.DEAD_LETTER_SINK);
    }

    private static RecordHeaders copy(Record<?, ?> record) {
        return record.headers() == null ? new RecordHeaders() : new RecordHeaders(record.headers().toArray());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
