package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.ContentRemoval;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.Keys;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;

/**
 * The content side of the ban cascade. Each stream task owns one partition of the profile-keyed content events, so it
 * holds the content index of the profiles that hash to it: keys {@code profile|post|postId} (the profile's posts) and
 * {@code profile|like|postId} (its likes; the value is the post's owner). A profile's content is one range scan.
 *
 * <p>A {@link ProfileBanned} marks the profile banned and starts a ban job that pages through its index: at most
 * {@link TopologyConfig#pageSize()} {@link ContentRemoval} commands per page, a page per
 * {@link TopologyConfig#pageInterval()}, each item deleted from the index as its command is emitted. The job's cursor
 * (the last index key done) lives in a changelog-backed store and, under {@code exactly_once_v2}, commits in the same
 * transaction as the page it ends, so every removal is emitted once and a restarted job resumes from its cursor.
 * Memory and transactions stay bounded however much content the profile has. Command ids are deterministic
 * ({@link ContentRemoval#removalId}), so a replay is recognisable downstream.
 *
 * <p>Content of a banned profile that arrives after the ban (a late like, a replayed post) is removed at once and never
 * indexed. A second ban of a banned profile is ignored and counted. Unbanning is not supported.
 *
 * <p>The index keeps content for {@link TopologyConfig#contentRetention()} from its event time (the record timestamp;
 * a repeat of the same post or like keeps its first time), so it holds a bounded window of posts and likes, not the
 * deployment's history. A second store, {@value #CONTENT_EXPIRY}, indexes the content by time ({@link ExpiryIndex}):
 * when the oldest item is due the wake-up forgets what is due, at most a page of it per wake-up, and sleeps until the
 * next item is due; nothing ticks while nothing is due. Content older than the retention when it arrives is not
 * indexed. A ban therefore removes only the content still indexed, that of the last retention; content indexed by a
 * version without the time index is given the time of a one-time sweep (in pages), so it goes one retention later.
 */
final class ModerationProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(ModerationProcessor.class);

    static final String CONTENT_INDEX = "content-index";
    static final String BAN_JOBS = "ban-jobs";
    static final String BANNED = "banned-profiles";
    /** The content index's keys by event time, for the retention. */
    static final String CONTENT_EXPIRY = "content-index-by-time";
    /** Sorts after every character an id or kind may have, so it ends a prefix range. */
    private static final String RANGE_END = "~";
    private static final String SEPARATOR = String.valueOf(Keys.SEPARATOR);
    private static final byte[] NO_OWNER = new byte[0];

    private final CloudEventCodec codec;
    private final TopologyConfig config;
    private final TopologyMetrics metrics;
    private final ObjectMapper json = new ObjectMapper();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> index;
    private KeyValueStore<String, byte[]> banJobs;
    private KeyValueStore<String, byte[]> banned;
    private ExpiryIndex expiry;
    private long retentionMs;
    /** Jobs this task counts in the running gauge, so close() can hand them back. */
    private long running;
    private Wakeup wakeup;

    /** A running ban on this partition: the ban event, the profile, and the last index key whose removal was emitted. */
    record BanJob(String banEventId, String profileId, String cursor, long timestamp, long emitted) {}

    ModerationProcessor(CloudEventCodec codec, TopologyConfig config, TopologyMetrics metrics) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.index = context.getStateStore(CONTENT_INDEX);
        this.banJobs = context.getStateStore(BAN_JOBS);
        this.banned = context.getStateStore(BANNED);
        this.expiry = new ExpiryIndex(context.getStateStore(CONTENT_EXPIRY));
        this.retentionMs = config.contentRetention().toMillis();
        expiry.skipSweepIfEmpty(index);
        try (KeyValueIterator<String, byte[]> resumed = banJobs.all()) {
            while (resumed.hasNext()) {
                resumed.next();
                running++;
            }
        }
        metrics.bansRunning(running);
        // Pages run while a ban is running here or content is due to expire, and nothing ticks otherwise (see Wakeup).
        wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, config.pageInterval(), now -> {
                    removePages();
                    expirePage(now);
                    wakeForWhatIsDue(now);
                });
        wakeForWhatIsDue(context.currentSystemTimeMs());
    }

    /** Arms the next page while a ban runs or the sweep is unfinished, else for when the oldest content is due. */
    private void wakeForWhatIsDue(long now) {
        if (running > 0 || !expiry.swept()) {
            wakeup.soon();
            return;
        }
        long oldest = expiry.oldest();
        if (oldest != Long.MAX_VALUE) {
            wakeup.at(dueAt(oldest));
        }
    }

    /** One page of content forgotten past the retention (and, once after an upgrade, one page of the sweep). */
    private void expirePage(long now) {
        if (!expiry.swept()) {
            expiry.sweep(index, config.pageSize(), (key, value) -> expiry.add(key, now));
        }
        expiry.expire(now - retentionMs, config.pageSize(), (key, at) -> {
            if (index.delete(key) != null) {   // else a ban removed it already
                metrics.contentExpired();
            }
        });
    }

    private long dueAt(long at) {
        return at > Long.MAX_VALUE - retentionMs ? Long.MAX_VALUE : at + retentionMs;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Invalid invalid) {
            // Only the router writes this topic, so this is a bug or a foreign writer: keep the bytes, say why.
            deadLetter(record, origin, invalid.reason(), invalid.detail());
            return;
        }
        Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
        EventData data = envelope.data();
        if (data instanceof PostCreated post) {
            onContent(post.authorId(), ContentKind.POST, post.postId(), post.authorId(), record);
        } else if (data instanceof LikeCreated like) {
            onContent(like.actorId(), ContentKind.LIKE, like.postId(), like.postOwnerId(), record);
        } else if (data instanceof ProfileBanned ban) {
            onBan(envelope.id(), ban, record);
        } else {
            deadLetter(record, origin, DeadLetterReason.UNKNOWN_TYPE,
                    "ce_type " + envelope.type().ceType() + " does not belong on " + origin.topic());
        }
    }

    @Override
    public void close() {
        wakeup.disarm();
        metrics.bansRunning(-running);
        running = 0;
    }

    private void onContent(String profileId, ContentKind kind, String postId, String postOwnerId, Record<byte[], byte[]> record) {
        byte[] ban = banned.get(profileId);
        if (ban != null) {
            emitRemoval(new ContentRemoval(profileId, kind, postId, postOwnerId, new String(ban, StandardCharsets.UTF_8)),
                    record.timestamp(), Instant.now());
            return;
        }
        long at = record.timestamp();
        if (dueAt(at) <= context.currentSystemTimeMs()) {
            return;   // older than the retention already: no ban would reach it
        }
        String key = indexKey(profileId, kind, postId);
        if (index.putIfAbsent(key, kind == ContentKind.LIKE ? RouterProcessor.utf8(postOwnerId) : NO_OWNER) == null) {
            expiry.add(key, at);
            wakeup.at(dueAt(at));
        }
    }

    private void onBan(String banEventId, ProfileBanned ban, Record<byte[], byte[]> record) {
        if (banned.get(ban.profileId()) != null) {
            metrics.banRepeated();   // a retry of the ban, or another ban of a banned profile: its removals are done or running
            return;
        }
        banned.put(ban.profileId(), RouterProcessor.utf8(banEventId));
        BanJob job = new BanJob(banEventId, ban.profileId(), null, record.timestamp(), 0);
        storeJob(job);
        running++;
        metrics.banStarted();
        log.atInfo().addKeyValue(DeadLetters.LOG_EVENT_ID, banEventId).log("ban {} of profile {} started", banEventId, ban.profileId());
        removePage(job, config.pageSize());   // the first page at once; the rest on the wake-up
        wakeForWhatIsDue(context.currentSystemTimeMs());
    }

    /** One bounded page over every running ban job, so no transaction and no stream-thread step grows with the content. */
    private void removePages() {
        int budget = config.pageSize();
        try (KeyValueIterator<String, byte[]> jobs = banJobs.all()) {
            while (jobs.hasNext() && budget > 0) {
                budget -= removePage(readJob(jobs.next().value), budget);
            }
        }
    }

    /** Emits up to {@code budget} removals of {@code job} from its cursor; returns how many. */
    private int removePage(BanJob job, int budget) {
        Instant now = Instant.now();
        String prefix = job.profileId() + SEPARATOR;
        String from = job.cursor() == null ? prefix : job.cursor();
        int emitted = 0;
        String cursor = job.cursor();
        boolean exhausted = true;
        try (KeyValueIterator<String, byte[]> items = index.range(from, prefix + RANGE_END)) {
            while (items.hasNext()) {
                KeyValue<String, byte[]> item = items.next();
                if (item.key.equals(job.cursor())) {
                    continue;   // done by the previous page
                }
                if (emitted >= budget) {
                    exhausted = false;
                    break;
                }
                emitRemoval(removalOf(job, item), job.timestamp(), now);
                index.delete(item.key);
                cursor = item.key;
                emitted++;
            }
        }
        if (exhausted) {
            banJobs.delete(job.profileId());
            running--;
            metrics.banFinished();
            log.atInfo().addKeyValue(DeadLetters.LOG_EVENT_ID, job.banEventId())
                    .log("ban {} of profile {} finished: {} removals", job.banEventId(), job.profileId(), job.emitted() + emitted);
        } else {
            storeJob(new BanJob(job.banEventId(), job.profileId(), cursor, job.timestamp(), job.emitted() + emitted));
        }
        return emitted;
    }

    private static String indexKey(String profileId, ContentKind kind, String postId) {
        return profileId + SEPARATOR + kind.name().toLowerCase(Locale.ROOT) + SEPARATOR + postId;
    }

    /** The command for index entry {@code profile|kind|postId}. */
    private static ContentRemoval removalOf(BanJob job, KeyValue<String, byte[]> item) {
        String kindAndPost = item.key.substring(job.profileId().length() + 1);
        ContentKind kind = ContentKind.valueOf(Keys.first(kindAndPost).toUpperCase(Locale.ROOT));
        String owner = kind == ContentKind.LIKE ? new String(item.value, StandardCharsets.UTF_8) : job.profileId();
        return new ContentRemoval(job.profileId(), kind, Keys.second(kindAndPost), owner, job.banEventId());
    }

    private void emitRemoval(ContentRemoval removal, long timestamp, Instant now) {
        String id = ContentRemoval.removalId(removal.banEventId(), removal.kind(), removal.postId());
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(Envelope.of(id, config.source(), now, removal), headers);
        context.forward(new Record<>(RouterProcessor.utf8(removal.profileId()), value, timestamp, headers),
                PushlineTopology.REMOVALS_SINK);
        metrics.removalEmitted(removal.kind());
    }

    private void storeJob(BanJob job) {
        try {
            banJobs.put(job.profileId(), json.writeValueAsBytes(job));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private BanJob readJob(byte[] bytes) {
        try {
            return json.readValue(bytes, BanJob.class);
        } catch (IOException e) {
            throw new UncheckedIOException("ban-jobs store entry is unreadable", e);
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, RecordMetadata origin, DeadLetterReason reason, String detail) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.addTo(headers, reason, detail, origin.topic(), origin.partition(), origin.offset(), Instant.now());
        metrics.deadLettered(reason);
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers),
                PushlineTopology.MODERATION_DEAD_LETTER_SINK);
    }
}
