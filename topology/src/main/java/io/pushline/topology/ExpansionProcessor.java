package io.pushline.topology;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.PushSubscription;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Partition-local audience expansion. Each stream task owns one partition of the follower-partitioned state: the
 * follow edges whose follower hashes to it and those followers' devices. A fanout job is written to every partition,
 * so each task expands exactly its own shard and together they reach the whole audience with no hot key.
 *
 * <p>The follow index is keyed {@code followee|follower}, so the followers of an author are one range scan. A job is
 * expanded in bounded pages (at most {@link TopologyConfig#pageSize()} devices and
 * {@link TopologyConfig#followersPerPage()} followers scanned per page, a page per {@link TopologyConfig#pageInterval()}),
 * with its cursor, the last follower scanned, in a changelog-backed store: memory and transactions stay bounded however
 * large the audience and however few of it have devices, the stream thread is never blocked for long, and after a crash
 * the job resumes from its last committed cursor. Followers who unfollow before their page is reached get no push.
 *
 * <p>Bans reach every partition too; {@link BanCascade} carries out their part here. It remembers the banned profiles
 * (this class then starts no fanout by one and tombstones an edge to or from one instead of indexing it), has this class
 * cancel the running fanouts by the profile, and removes the profile's follow edges in pages through the two indexes
 * this class keeps ({@link FollowIndexes}: the follow index, and a second one keyed {@code follower|followee}); each
 * removed edge is also tombstoned on the follows state topic.
 *
 * <p>Progress is visible per job and partition. Each partition counts the followers of every followee in its follow
 * index (changed exactly when the index gains or loses an edge, so a repeated follow or an unfollow of an absent edge
 * counts nothing), and a job records that count as its total when it starts; with its followers done, devices
 * expanded and start time it is checkpointed with the cursor, and exported as the {@code pushline.expansion.job.*}
 * gauges of {@link TopologyMetrics} while the job runs on the partition.
 */
final class ExpansionProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(ExpansionProcessor.class);

    static final String FOLLOW_INDEX = "follow-index";
    static final String FOLLOWS_BY_FOLLOWER = "follows-by-follower";
    static final String USER_DEVICES = "user-devices";
    static final String JOBS = "fanout-jobs";
    /** Followee → followers of it in this partition's follow index (no entry for none). */
    static final String FOLLOWER_COUNTS = "follower-counts";
    /**
     * In the follower counts once they have been counted from the follow index, which a version without them filled
     * (ids have no {@code |}, so this key is no followee).
     */
    static final String COUNTED = "|counted";
    /** Ends an id inside a compound key, so "a1|" never matches "a10|...". */
    private static final String PREFIX_END = "|";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CloudEventCodec codec;
    private final QuietHours quiet;
    private final TopologyConfig config;
    private final TopologyMetrics metrics;
    private ProcessorContext<byte[], byte[]> context;
    private FollowIndexes follows;
    private KeyValueStore<String, byte[]> userDevices;
    private KeyValueStore<String, byte[]> jobs;
    private BanCascade bans;
    /** Progress gauges of the jobs running on this task's partition that outlived their first page. */
    private final Map<String, TopologyMetrics.JobGauges> gauges = new HashMap<>();
    private Wakeup wakeup;
    /** Pages run so far on this task: which app starts the next page. */
    private long pages;

    /** What expansion needs of a device; kept small because there may be millions per instance. */
    /** A follower's device as the expansion keeps it; {@code webPush} for WEBPUSH devices only (absent: not written). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeviceRef(Platform platform, String appId, PushSubscription webPush) {}

    /**
     * A fanout on this partition: the post, and the last follower whose devices were emitted. {@code cancelledBy} is the
     * id of the ban that stopped it (null while it runs); a cancelled job is kept for the push TTL, then dropped.
     * {@code emitted} is the push tasks emitted so far, {@code followersDone} the followers the cursor has passed,
     * {@code followersTotal} the author's followers on this partition at the start and {@code startedAt} the wall-clock
     * start (epoch ms). Jobs stored by the version before progress lack the last three: they read as null, 0 and null
     * (unknown). {@code source} is the post event's {@code ce_source}: a job stored before push ids named the source
     * lacks it, and keeps its key (the bare event id) and its push ids (the legacy rule) to the end. Unknown fields are
     * ignored, so that a later version's fields do not stop this one. {@code appId} is the post's app (null: the default
     * app, also for jobs stored before apps had shares), by which pages are shared between apps.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Job(String eventId, String postId, String authorId, String title, String body, String cursor, long timestamp,
               long emitted, String cancelledBy, Long followersTotal, long followersDone, Long startedAt, String source,
               String appId) {
        Job withProgress(String newCursor, long newlyEmitted, long newlyDone) {
            return new Job(eventId, postId, authorId, title, body, newCursor, timestamp, emitted + newlyEmitted, cancelledBy,
                    followersTotal, followersDone + newlyDone, startedAt, source, appId);
        }

        Job cancelled(String banEventId) {
            return new Job(eventId, postId, authorId, title, body, cursor, timestamp, emitted, banEventId, followersTotal,
                    followersDone, startedAt, source, appId);
        }

        /** The job store's key: the event named by source and id (two sources may reuse an id). */
        String key() {
            return source == null ? eventId : PushIds.eventKey(source, eventId);
        }

        /** The push id of this post to device {@code token}. */
        String pushId(String token) {
            return source == null ? PushIds.legacyPushId(eventId, token) : PushIds.pushId(source, eventId, token);
        }

        JobProgress progress(int partition, Instant now) {
            return new JobProgress(eventId, authorId, partition,
                    cancelledBy == null ? JobProgress.State.RUNNING : JobProgress.State.CANCELLED,
                    followersTotal == null ? JobProgress.UNKNOWN : followersTotal, followersDone, emitted,
                    startedAt == null ? null : Instant.ofEpochMilli(startedAt), now, Double.NaN).at(now);
        }
    }

    ExpansionProcessor(CloudEventCodec codec, TopologyConfig config, TopologyMetrics metrics) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
        this.quiet = new QuietHours(codec, metrics, config.pageSize(), config.timelineCap(),
                config.quietHoursPassThrough().contains(QuietHours.CATEGORY));
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.follows = new FollowIndexes(context.getStateStore(FOLLOW_INDEX), context.getStateStore(FOLLOWS_BY_FOLLOWER),
                context.getStateStore(FOLLOWER_COUNTS));
        this.userDevices = context.getStateStore(USER_DEVICES);
        this.jobs = context.getStateStore(JOBS);
        this.bans = new BanCascade(context.getStateStore(BanCascade.BANNED), context.getStateStore(BanCascade.EDGE_JOBS),
                new IndexedEdges(), this::cancelFanouts, config.pageSize(), context.taskId().partition());
        long counted = follows.countOnce();
        if (counted > 0) {
            log.info("counted {} follow edges into follower counts on partition {}", counted, context.taskId().partition());
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        try (KeyValueIterator<String, byte[]> resumed = jobs.all()) {   // after a restart or a rebalance
            while (resumed.hasNext()) {
                Job job = readJob(resumed.next().value);
                if (job.cancelledBy() == null) {
                    track(job, now);
                }
            }
        }
        // Pages run while there is a job to page through, and nothing ticks on an idle partition (see Wakeup).
        wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, config.pageInterval(), this::runPages);
        wakeForWhatIsLeft(now.toEpochMilli());
        quiet.init(context, config.pageInterval());
    }

    private void runPages(long ts) {
        if (config.mayExpand().getAsBoolean()) {
            config.expanded().accept(expandPages(ts));
        }
        bans.removeEdgePages(context.currentSystemTimeMs());
        Instant at = Instant.ofEpochMilli(ts);
        gauges.values().forEach(g -> g.update(g.progress().at(at)));   // ETAs of jobs this page did not reach too
        wakeForWhatIsLeft(ts);
    }

    /**
     * Arms the next page if a fanout or a ban's edge removal is running here; a cancelled fanout only at the time its
     * job may be dropped. Jobs are few (one per running fanout), unlike their audiences.
     */
    private void wakeForWhatIsLeft(long now) {
        if (bans.removing()) {
            wakeup.at(now);
            return;
        }
        long next = Long.MAX_VALUE;
        try (KeyValueIterator<String, byte[]> all = jobs.all()) {
            while (all.hasNext() && next > now) {
                Job job = readJob(all.next().value);
                next = Math.min(next, job.cancelledBy() == null ? now : job.timestamp() + config.timelinePushTtl().toMillis() + 1);
            }
        }
        if (next != Long.MAX_VALUE) {
            wakeup.at(next);
        }
    }

    @Override
    public void close() {
        wakeup.disarm();
        quiet.close();
        // The partition may move to another thread or instance, which registers its own gauges for these jobs.
        gauges.values().forEach(TopologyMetrics.JobGauges::remove);
        gauges.clear();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        switch (origin.topic()) {
            case Topics.STATE_FOLLOWS -> onFollowEdge(record);
            case Topics.STATE_DEVICES -> onDevice(record, origin);
            case Topics.FANOUT_JOBS -> onJob(record, origin);
            case Topics.STATE_PREFERENCES -> quiet.onPreferences(record);
            default -> throw new IllegalStateException("expansion is not wired to " + origin.topic());
        }
    }

    private void onFollowEdge(Record<byte[], byte[]> record) {
        String edge = new String(record.key(), StandardCharsets.UTF_8);
        String follower = Keys.first(edge);
        String followee = Keys.second(edge);
        if (record.value() == null) {
            follows.remove(follower, followee);
        } else if (bans.isBanned(follower) || bans.isBanned(followee)) {
            // Created after the ban, or reached this partition after it: not an edge any more.
            removeEdge(follower, followee, record.timestamp());
        } else {
            follows.add(follower, followee);
        }
    }

    private void removeEdge(String follower, String followee, long timestamp) {
        follows.remove(follower, followee);
        context.forward(new Record<>(RouterProcessor.utf8(Keys.compound(follower, followee)), (byte[]) null, timestamp,
                new RecordHeaders()), PushlineTopology.EXPANSION_FOLLOWS_SINK);
        metrics.followEdgeRemoved();
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
                userDevices.put(key, JSON.writeValueAsBytes(new DeviceRef(device.platform(), device.appId(), device.subscription())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void onJob(Record<byte[], byte[]> record, RecordMetadata origin) {
        Envelope<?> envelope = decodeOrDeadLetter(record, origin);
        if (envelope != null && envelope.data() instanceof ProfileBanned ban) {
            bans.onBan(envelope.id(), ban.profileId(), record.timestamp());
            wakeup.soon();
            return;
        }
        if (envelope == null || !(envelope.data() instanceof TimelinePosted post)) {
            return;
        }
        String source = envelope.source().toString();
        if (jobs.get(PushIds.eventKey(source, envelope.id())) != null) {
            return;   // the same event again (a publisher's retry) while its expansion runs: one job, not two
        }
        if (bans.isBanned(post.authorId())) {
            metrics.jobRefused();
            return;
        }
        Job job = new Job(envelope.id(), post.postId(), post.authorId(), post.title(), post.body(), null, record.timestamp(), 0,
                null, follows.followers(post.authorId()), 0, context.currentSystemTimeMs(), source, post.appId());
        storeJob(job);
        metrics.jobStarted();
        // The first page at once, for latency (another app's running fanout does not delay it); the rest on the wake-up.
        metrics.appPushes(app(job), expand(job, config.pageSize(), config.followersPerPage()).devices());
        wakeup.soon();
    }

    /** A ban's part here: the running fanouts by {@code profileId} on this partition stop, emitting nothing more. */
    private void cancelFanouts(String profileId, String banEventId) {
        try (KeyValueIterator<String, byte[]> all = jobs.all()) {   // running fanouts: few, unlike their audiences
            while (all.hasNext()) {
                Job job = readJob(all.next().value);
                if (job.authorId().equals(profileId) && job.cancelledBy() == null) {
                    storeJob(job.cancelled(banEventId));
                    untrack(job.key());
                    metrics.jobCancelled();
                    log.atInfo().addKeyValue(DeadLetters.LOG_EVENT_ID, job.eventId())
                            .log("fanout {} by banned profile {} cancelled after {} pushes on partition {}", job.eventId(),
                            profileId, job.emitted(), context.taskId().partition());
                }
            }
        }
    }

    /**
     * One bounded page of the running jobs, so that no transaction and no stream-thread step grows with the audience:
     * the cursor (the last follower done) commits with the page's push tasks, and a crash resumes from it.
     *
     * <p>The page's budget is shared between the apps with running jobs by their weights ({@link AppWeights}), so one
     * app's million-device fanout takes its share of each page, not all of it, and another app's fanout expands beside
     * it. What an app cannot spend (its jobs ran out of followers) goes to the others in the same page, so an app alone
     * gets the whole page. The jobs of one app share its part in turn. Pending work costs nothing while it waits: it is
     * a cursor, not queued tasks, and the {@linkplain TopologyConfig#mayExpand() gate} keeps the tasks already in Kafka
     * to a short backlog, so that the share of each page is the share of delivery.
     *
     * @return the push tasks the page emitted
     */
    private long expandPages(long now) {
        Map<String, java.util.ArrayDeque<Job>> byApp = new java.util.TreeMap<>();
        try (KeyValueIterator<String, byte[]> running = jobs.all()) {
            while (running.hasNext()) {
                Job job = readJob(running.next().value);
                if (job.cancelledBy() != null) {
                    if (job.timestamp() + config.timelinePushTtl().toMillis() < now) {
                        jobs.delete(job.key());   // its pushes would have expired by now: a retry is harmless
                    }
                    continue;
                }
                byApp.computeIfAbsent(app(job), a -> new java.util.ArrayDeque<>()).add(job);
            }
        }
        if (byApp.isEmpty()) {
            return 0;
        }
        // Start each page at the next app, so that rounding favours no app for long.
        List<String> hungry = new ArrayList<>(byApp.keySet());
        java.util.Collections.rotate(hungry, -(int) (pages++ % hungry.size()));
        // The gate may spread what it allows over several smaller pages (see TopologyConfig#withExpansionGate).
        int budget = Math.max(1, Math.min(config.pageSize(), config.pageBudget().applyAsInt(config.pageSize())));
        int devices = budget;
        int followers = (int) Math.max(budget, (long) config.followersPerPage() * budget / config.pageSize());
        while (!hungry.isEmpty() && devices > 0 && followers > 0) {
            long weights = 0;
            for (String app : hungry) {
                weights += config.appWeights().weight(app);
            }
            int devicesThisRound = devices;
            int followersThisRound = followers;
            boolean progressed = false;
            for (java.util.Iterator<String> apps = hungry.iterator(); apps.hasNext() && devices > 0 && followers > 0; ) {
                String app = apps.next();
                int weight = config.appWeights().weight(app);
                int deviceShare = (int) Math.min(devices, Math.max(1, devicesThisRound * weight / weights));
                int followerShare = (int) Math.min(followers, Math.max(1, followersThisRound * weight / weights));
                Spent spent = expandApp(byApp.get(app), deviceShare, followerShare);
                devices -= spent.devices();
                followers -= spent.followers();
                progressed |= spent.followers() > 0;
                if (byApp.get(app).isEmpty()) {
                    apps.remove();   // every job of the app finished: the rest of the page goes to the others
                }
                metrics.appPushes(app, spent.devices());
            }
            if (!progressed) {
                break;
            }
        }
        return budget - devices;
    }

    /** Expands the jobs of one app, in turn, within its share; a job that finishes leaves {@code jobsOfApp}. */
    private Spent expandApp(java.util.ArrayDeque<Job> jobsOfApp, int deviceBudget, int followerBudget) {
        int devices = 0;
        int followers = 0;
        while (!jobsOfApp.isEmpty() && devices < deviceBudget && followers < followerBudget) {
            Job job = jobsOfApp.peekFirst();
            PageDone page = expand(job, deviceBudget - devices, followerBudget - followers);
            devices += page.devices();
            followers += page.followers();
            jobsOfApp.pollFirst();
            if (page.next() != null) {
                jobsOfApp.addLast(page.next());   // its next turn starts from the cursor this page left
                if (page.followers() == 0) {
                    break;
                }
            }
        }
        return new Spent(devices, followers);
    }

    private static String app(Job job) {
        return job.appId() == null ? AppWeights.DEFAULT_APP : job.appId();
    }

    /** The follow indexes as the ban cascade sees them. */
    private final class IndexedEdges implements BanCascade.Edges {
        @Override
        public List<String> ends(String profileId, BanCascade.EdgePhase phase, String after, int max) {
            return follows.ends(profileId, phase, after, max);
        }

        @Override
        public void remove(String follower, String followee, long timestamp) {
            removeEdge(follower, followee, timestamp);
        }
    }

    /** What one page of a job did: push tasks emitted, followers scanned, and the job as it goes on (null: finished). */
    private record PageDone(int devices, int followers, Job next) {}

    /** What an app's part of a page used: push tasks emitted, followers scanned. */
    private record Spent(int devices, int followers) {}

    /**
     * Expands {@code job} from its cursor until about {@code deviceBudget} devices are emitted (a follower's devices go
     * out together) or {@code followerBudget} followers are scanned, whichever comes first. The cursor moves to the last
     * follower scanned, with devices or not, so a page that found no device still moves the job on.
     */
    private PageDone expand(Job job, int deviceBudget, int followerBudget) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());   // the wall clock (a driver clock in tests)
        TimelinePosted post = new TimelinePosted(job.postId(), job.authorId(), job.title(), job.body());
        int emitted = 0;
        int followersDone = 0;
        String cursor = job.cursor();
        boolean exhausted = true;
        try (FollowIndexes.Followers followers = follows.followersAfter(job.authorId(), job.cursor())) {
            while (followers.hasNext()) {
                if (emitted >= deviceBudget || followersDone >= followerBudget) {
                    exhausted = false;
                    break;
                }
                String follower = followers.next();
                try (KeyValueIterator<String, byte[]> devices = userDevices.prefixScan(follower + PREFIX_END, Serdes.String().serializer())) {
                    while (devices.hasNext()) {
                        KeyValue<String, byte[]> device = devices.next();
                        DeviceRef ref = read(device.value, DeviceRef.class, USER_DEVICES);
                        emitPush(job, post, follower, Keys.second(device.key), ref, job.timestamp(), now);
                        emitted++;
                    }
                }
                cursor = follower;
                followersDone++;
            }
        }
        metrics.followersScanned(followersDone);
        Job next = job.withProgress(cursor, emitted, followersDone);
        if (exhausted) {
            jobs.delete(job.key());
            untrack(job.key());
            metrics.jobExpanded();
            log.debug("fanout {} finished on partition {}: {} of {} followers, {} devices", job.eventId(),
                    context.taskId().partition(), next.followersDone(), next.followersTotal(), next.emitted());
        } else {
            storeJob(next);
            track(next, Instant.ofEpochMilli(context.currentSystemTimeMs()));
        }
        return new PageDone(emitted, followersDone, exhausted ? null : next);
    }

    /** Shows {@code job}'s progress in its gauges, registering them the first time. */
    private void track(Job job, Instant now) {
        JobProgress progress = job.progress(context.taskId().partition(), now);
        TopologyMetrics.JobGauges jobGauges = gauges.get(job.key());
        if (jobGauges == null) {
            gauges.put(job.key(), metrics.jobGauges(progress));
        } else {
            jobGauges.update(progress);
        }
    }

    private void untrack(String eventId) {
        TopologyMetrics.JobGauges jobGauges = gauges.remove(eventId);
        if (jobGauges != null) {
            jobGauges.remove();
        }
    }

    /**
     * The progress of the jobs in a partition's job store (running and cancelled; finished ones have left it), with ETAs
     * at {@code now}. For a dashboard over interactive queries ({@link PushlineTopology#jobProgress}).
     */
    static List<JobProgress> progress(ReadOnlyKeyValueStore<String, byte[]> store, int partition, Instant now) {
        List<JobProgress> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            while (all.hasNext()) {
                out.add(read(all.next().value, Job.class, JOBS).progress(partition, now));
            }
        }
        return out;
    }

    private void storeJob(Job job) {
        jobs.put(job.key(), write(job));
    }

    private Job readJob(byte[] bytes) {
        return read(bytes, Job.class, JOBS);
    }

    private byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(byte[] bytes, Class<T> type, String store) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException(store + " store entry is unreadable", e);
        }
    }

    private void emitPush(Job job, TimelinePosted post, String userId, String token, DeviceRef device, long timestamp, Instant now) {
        String pushId = job.pushId(token);
        PushTask task = new PushTask(pushId, job.eventId(), userId, token, device.platform(), device.appId(),
                post.title(), post.body(), Map.of("postId", post.postId(), "authorId", post.authorId()),
                collapseKey(post.postId()), (int) config.timelinePushTtl().toSeconds(), Priority.NORMAL, Lane.BULK,
                null, null, null, device.webPush());
        RecordHeaders headers = new RecordHeaders();
        byte[] value = codec.encode(Envelope.of(pushId, config.source(), now, task), headers);
        if (job.appId() != null) {
            headers.add(PushTask.APP_HEADER, RouterProcessor.utf8(job.appId()));   // the workers share the lane by it
        }
        Record<byte[], byte[]> push = new Record<>(RouterProcessor.utf8(userId), value, timestamp, headers);
        // The recipient's quiet hours hold it, a muted category drops it (see QuietHours); else it goes now.
        if (quiet.admit(userId, job.key(), push, now.plus(config.timelinePushTtl()).toEpochMilli(), now.toEpochMilli())) {
            context.forward(push, PushlineTopology.PUSH_BULK_SINK);
        }
        metrics.deviceExpanded();
    }

    /** One notification per post on a device; APNs caps collapse ids at 64 bytes, so long post ids are hashed. */
    static String collapseKey(String postId) {
        String key = "post-" + postId;
        return key.length() <= 64 ? key
                : "post-" + java.util.UUID.nameUUIDFromBytes(postId.getBytes(StandardCharsets.UTF_8));
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
