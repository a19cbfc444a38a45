package io.pushline.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.EventType;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Metric names of the topology, in one place. Every dead letter and every ignored record increments a counter.
 *
 * <p>Fanout progress is exported per running job and partition as the {@code pushline.expansion.job.*} gauges, tagged
 * {@link #TAG_JOB}, {@link #TAG_AUTHOR} and {@link #TAG_PARTITION}. They exist only while the job runs on that partition
 * (a job that finishes within its first page never gets them), so their cardinality is bounded by the running jobs.
 * The job tag is the post's event id, named {@code event_id} (not {@code job}, which is Prometheus's own target label).
 * Rate and ETA across partitions come from the time series; in PromQL:
 * <pre>
 *  devices per second of a job:  sum by (event_id) (rate(pushline_expansion_job_devices[1m]))
 *  followers per second:         sum by (event_id) (rate(pushline_expansion_job_followers_done[1m]))
 *  ETA in seconds:               sum by (event_id) (pushline_expansion_job_followers - pushline_expansion_job_followers_done)
 *                                  / sum by (event_id) (rate(pushline_expansion_job_followers_done[1m]))
 *  devices per second, all jobs: rate(pushline_expansion_devices_total[1m])
 * </pre>
 */
public final class TopologyMetrics {
    /** Events decoded and routed, tagged {@code type}. */
    public static final String EVENTS_ROUTED = "pushline.router.events";
    /** Records dead-lettered, tagged {@code reason}. */
    public static final String DEAD_LETTERS = "pushline.router.dead.letters";
    /** Device state changes ignored because a newer registration or invalidation already won, tagged {@code kind}. */
    public static final String DEVICE_STALE = "pushline.devices.stale";
    /** Fanout jobs started (one per job and partition). */
    public static final String JOBS_STARTED = "pushline.expansion.jobs.started";
    /** Fanout jobs expanded to the end (one per job and partition). */
    public static final String JOBS_EXPANDED = "pushline.expansion.jobs";
    /** Push tasks emitted by expansion. */
    public static final String DEVICES_EXPANDED = "pushline.expansion.devices";
    /**
     * Delivery policy decisions on timeline pushes, tag {@code decision}: {@code held} (in the recipient's quiet
     * hours), {@code released} (sent when they ended), {@code expired} (the TTL ran out while held), {@code muted} (the
     * recipient muted the category), {@code capped} (over the recipient's {@linkplain FrequencyCap cap}; per push),
     * {@code merged} (over the cap, merged into a digest; per push), {@code digest} (a digest push sent; per device).
     */
    public static final String POLICY = "pushline.expansion.policy";
    /**
     * Push tasks expanded per app (tag {@code app}: the post's app, {@code default} for posts naming none): each app's
     * pushes/s and its share of the bulk lane. The first {@link io.pushline.contracts.AppTags#MAX} apps seen get their own
     * series, later ones count as {@code other}, so that the series stay bounded however many apps there are.
     */
    public static final String APP_PUSHES = "pushline.expansion.app.pushes";
    public static final String TAG_APP = "app";
    /**
     * Followers expansion pages have passed, with devices or not. Pages are bounded by these as well as by devices
     * ({@link TopologyConfig#followersPerPage()}), so an audience without devices moves at this rate.
     */
    public static final String FOLLOWERS_SCANNED = "pushline.expansion.followers.scanned";
    /** Fanout jobs stopped because their author was banned (one per job and partition). */
    public static final String JOBS_CANCELLED = "pushline.expansion.jobs.cancelled";
    /** Fanout jobs not started because their author is banned (one per job and partition). */
    public static final String JOBS_REFUSED = "pushline.expansion.jobs.refused";
    /** Ban jobs started (one per banned profile). */
    public static final String BAN_JOBS_STARTED = "pushline.moderation.bans.started";
    /** Ban jobs that emitted a removal for every piece of the profile's indexed content. */
    public static final String BAN_JOBS_FINISHED = "pushline.moderation.bans.finished";
    /** Ban jobs running in this instance (a gauge). */
    public static final String BAN_JOBS_RUNNING = "pushline.moderation.bans.running";
    /** Bans of a profile that was already banned; ignored. */
    public static final String BANS_REPEATED = "pushline.moderation.bans.repeated";
    /** Content removal commands emitted, tagged {@code kind} ({@code POST}, {@code LIKE}). */
    public static final String REMOVALS_EMITTED = "pushline.moderation.removals";
    /** Follow edges removed because one of their ends is banned. */
    public static final String FOLLOW_EDGES_REMOVED = "pushline.moderation.follow.edges.removed";
    /** Posts and likes the content index forgot past {@link TopologyConfig#contentRetention()}: no ban reaches them. */
    public static final String CONTENT_EXPIRED = "pushline.moderation.content.expired";
    /** Invalidated tokens the device registry forgot past {@link TopologyConfig#invalidatedTokenRetention()}. */
    public static final String INVALIDATIONS_EXPIRED = "pushline.devices.invalidations.expired";

    /**
     * Followers of the author on the partition when the fanout started there, tagged {@code job}, {@code author},
     * {@code partition}; NaN for a job started by a version that did not count followers. A gauge per running job.
     * Followers who follow or unfollow while the job runs may make the job do a few more or fewer than this.
     */
    public static final String JOB_FOLLOWERS = "pushline.expansion.job.followers";
    /** Followers the fanout has passed on the partition (its cursor's progress), tagged like {@link #JOB_FOLLOWERS}. */
    public static final String JOB_FOLLOWERS_DONE = "pushline.expansion.job.followers.done";
    /** Push tasks the fanout has emitted on the partition, tagged like {@link #JOB_FOLLOWERS}. */
    public static final String JOB_DEVICES = "pushline.expansion.job.devices";
    /**
     * Seconds the fanout still needs on the partition at its own average rate since it started there (remaining
     * followers / followers done per second), tagged like {@link #JOB_FOLLOWERS}; NaN before any progress is measurable.
     * Base unit seconds, so Prometheus shows {@code pushline_expansion_job_eta_seconds}.
     */
    public static final String JOB_ETA = "pushline.expansion.job.eta";
    /** Tag of the per-job gauges: the event id of the {@code TimelinePosted} being expanded. */
    public static final String TAG_JOB = "event_id";
    /** Tag of the per-job gauges: the author of the post. */
    public static final String TAG_AUTHOR = "author";
    /** Tag of the per-job gauges: the partition (stream task) expanding this share of the audience. */
    public static final String TAG_PARTITION = "partition";

    private final MeterRegistry registry;
    private final Map<EventType, Counter> routed = new EnumMap<>(EventType.class);
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Counter staleRegistration;
    private final Counter staleInvalidation;
    private final Counter jobs;
    private final Counter jobsStarted;
    private final Counter devices;
    private final Counter jobsCancelled;
    private final Counter jobsRefused;
    private final Counter bansStarted;
    private final Counter bansFinished;
    private final Counter bansRepeated;
    private final AtomicLong bansRunning = new AtomicLong();
    private final Map<ContentKind, Counter> removals = new EnumMap<>(ContentKind.class);
    private final Counter edgesRemoved;
    private final Counter followersScanned;
    private final Counter contentExpired;
    private final Counter invalidationsExpired;

    private final Map<String, Counter> policy = new java.util.HashMap<>();
    private final Map<String, Counter> appPushes = new java.util.concurrent.ConcurrentHashMap<>();
    private final io.pushline.contracts.AppTags appTags = new io.pushline.contracts.AppTags();

    public TopologyMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (EventType type : EventType.values()) {
            routed.put(type, Counter.builder(EVENTS_ROUTED).tag("type", type.schemaName()).register(registry));
        }
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLetters.put(reason, Counter.builder(DEAD_LETTERS).tag("reason", reason.name()).register(registry));
        }
        staleRegistration = Counter.builder(DEVICE_STALE).tag("kind", "registration").register(registry);
        staleInvalidation = Counter.builder(DEVICE_STALE).tag("kind", "invalidation").register(registry);
        jobs = Counter.builder(JOBS_EXPANDED).register(registry);
        jobsStarted = Counter.builder(JOBS_STARTED).register(registry);
        devices = Counter.builder(DEVICES_EXPANDED).register(registry);
        jobsCancelled = Counter.builder(JOBS_CANCELLED).register(registry);
        jobsRefused = Counter.builder(JOBS_REFUSED).register(registry);
        bansStarted = Counter.builder(BAN_JOBS_STARTED).register(registry);
        bansFinished = Counter.builder(BAN_JOBS_FINISHED).register(registry);
        bansRepeated = Counter.builder(BANS_REPEATED).register(registry);
        Gauge.builder(BAN_JOBS_RUNNING, bansRunning, AtomicLong::get).register(registry);
        for (ContentKind kind : ContentKind.values()) {
            removals.put(kind, Counter.builder(REMOVALS_EMITTED).tag("kind", kind.name()).register(registry));
        }
        edgesRemoved = Counter.builder(FOLLOW_EDGES_REMOVED).register(registry);
        followersScanned = Counter.builder(FOLLOWERS_SCANNED).register(registry);
        contentExpired = Counter.builder(CONTENT_EXPIRED).register(registry);
        invalidationsExpired = Counter.builder(INVALIDATIONS_EXPIRED).register(registry);
        for (String decision : List.of("held", "released", "expired", "muted", "capped", "merged", "digest")) {
            policy.put(decision, Counter.builder(POLICY).tag("decision", decision).register(registry));
        }
    }

    /** Counts a delivery policy decision: held, released, expired, muted, capped, merged or digest. */
    void policy(String decision) { policy.get(decision).increment(); }

    /** {@code n} push tasks of {@code app} expanded (see {@link #APP_PUSHES}). */
    void appPushes(String app, int n) {
        if (n <= 0) {
            return;
        }
        appPushes.computeIfAbsent(appTags.of(app), t -> Counter.builder(APP_PUSHES).tag(TAG_APP, t).register(registry))
                .increment(n);
    }

    void routed(EventType type) { routed.get(type).increment(); }
    void deadLettered(DeadLetterReason reason) { deadLetters.get(reason).increment(); }
    void staleRegistration() { staleRegistration.increment(); }
    void staleInvalidation() { staleInvalidation.increment(); }
    void jobExpanded() { jobs.increment(); }
    void jobStarted() { jobsStarted.increment(); }
    void deviceExpanded() { devices.increment(); }
    void jobCancelled() { jobsCancelled.increment(); }
    void jobRefused() { jobsRefused.increment(); }
    void banStarted() { bansStarted.increment(); bansRunning.incrementAndGet(); }
    void banFinished() { bansFinished.increment(); bansRunning.decrementAndGet(); }
    void banRepeated() { bansRepeated.increment(); }
    /** Ban jobs a task took over ({@code +n}, resumed from its store) or gave up ({@code -n}, on close). */
    void bansRunning(long delta) { bansRunning.addAndGet(delta); }
    void removalEmitted(ContentKind kind) { removals.get(kind).increment(); }
    void followEdgeRemoved() { edgesRemoved.increment(); }
    void followersScanned(int followers) { followersScanned.increment(followers); }
    void contentExpired() { contentExpired.increment(); }
    void invalidationExpired() { invalidationsExpired.increment(); }

    /** Registers the progress gauges of a job running on a partition, showing {@code initial} until updated. */
    JobGauges jobGauges(JobProgress initial) {
        return new JobGauges(registry, initial);
    }

    /**
     * The progress gauges of one job on one partition. The stream thread that runs the job updates them; any thread may
     * read them (the progress is one volatile reference). They must be removed when the job stops running here, or the
     * task is closed, so that a later owner of the partition registers its own.
     */
    static final class JobGauges {
        private final MeterRegistry registry;
        private final List<Meter> meters;
        private volatile JobProgress progress;

        private JobGauges(MeterRegistry registry, JobProgress initial) {
            this.registry = registry;
            this.progress = initial;
            Tags tags = Tags.of(TAG_JOB, initial.eventId(), TAG_AUTHOR, initial.authorId(),
                    TAG_PARTITION, Integer.toString(initial.partition()));
            this.meters = List.of(
                    gauge(JOB_FOLLOWERS, tags, null, p -> p.followersTotal() < 0 ? Double.NaN : p.followersTotal()),
                    gauge(JOB_FOLLOWERS_DONE, tags, null, JobProgress::followersDone),
                    gauge(JOB_DEVICES, tags, null, JobProgress::devicesExpanded),
                    gauge(JOB_ETA, tags, "seconds", JobProgress::etaSeconds));
        }

        private Meter gauge(String name, Tags tags, String baseUnit, ToDoubleFunction<JobProgress> value) {
            // A strong reference: the registry, not only the processor's map, keeps the gauge alive until removed.
            return Gauge.builder(name, this, g -> value.applyAsDouble(g.progress)).tags(tags).baseUnit(baseUnit)
                    .strongReference(true).register(registry);
        }

        JobProgress progress() {
            return progress;
        }

        void update(JobProgress latest) {
            progress = latest;
        }

        void remove() {
            meters.forEach(registry::remove);
        }
    }
}
