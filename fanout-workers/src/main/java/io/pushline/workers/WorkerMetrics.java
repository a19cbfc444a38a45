package io.pushline.workers;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import java.util.function.Supplier;

/** Metric names of the fanout workers, in one place. Every drop, retry, dedup and dead letter is counted. */
public final class WorkerMetrics {
    /** Push outcomes, tagged {@code lane}, {@code platform}, {@code outcome} (delivered, rejected, expired, failed). */
    public static final String PUSHES = "pushline.worker.pushes";
    /** Retry-later outcomes given another attempt (written to a retry topic), tagged {@code lane}, {@code platform}. */
    public static final String RETRIES = "pushline.worker.retries";
    /**
     * Retry records written to the retry topics, tagged {@code lane} and {@code delay}: the delay of the retry topic
     * the wait fell into ({@code 5s}, {@code 30s}, {@code 5m} by default; see {@link RetryTopics}).
     */
    public static final String RETRIES_SCHEDULED = "pushline.worker.retries.scheduled";
    /**
     * Retry records read and held in memory until their not-before instant, tagged {@code lane} (a gauge; bounded by
     * {@link WorkerConfig#maxRetriesWaiting()} plus one poll). Retries not read yet show as the retry topics' lag.
     */
    public static final String RETRIES_WAITING = "pushline.worker.retries.waiting";
    /** Pushes still answered retry-later at their last allowed attempt, then dead-lettered, tagged {@code lane}, {@code platform}. */
    public static final String RETRIES_EXHAUSTED = "pushline.worker.retries.exhausted";
    /** Tasks skipped because a receipt for their push id exists, tagged {@code lane}. */
    public static final String DEDUPLICATED = "pushline.worker.deduplicated";
    /** Tasks dead-lettered (undecodable, or out of retries), tagged {@code lane}, {@code reason}. */
    public static final String DEAD_LETTERS = "pushline.worker.dead.letters";
    /** Token invalidations published as DeviceUnregistered, tagged {@code platform}. */
    public static final String TOKENS_INVALIDATED = "pushline.worker.tokens.invalidated";
    /** Pushes in flight to providers, tagged {@code lane}. */
    public static final String IN_FLIGHT = "pushline.worker.in.flight";
    /** Partitions paused, for want of demand or until their head retry record is due, tagged {@code lane}. */
    public static final String PAUSED_PARTITIONS = "pushline.worker.paused.partitions";
    /** Bulk-lane pushes allowed in flight now: {@link LaneGovernor} narrows it while the high lane waits (a gauge). */
    public static final String BULK_LIMIT = "pushline.worker.bulk.limit";

    /**
     * Receipts (push ids) held in memory for duplicate checks, tagged {@code lane} (a gauge): those of the receipts
     * partitions whose numbers the worker owns, within the receipts retention, so it grows and shrinks with the
     * assignment. The lanes of a process share one {@link ReceiptIndex}: where both own a number its receipts count in
     * both lanes but are held once; {@link #RECEIPTS_INDEXED} counts them once.
     */
    public static final String RECEIPTS_HELD = "pushline.worker.receipts.held";
    /**
     * Time to restore the receipts of newly assigned partition numbers, from the assignment to their being restored
     * (read from the retention boundary to their end offsets, or at once if the other lane holds them already), tagged
     * {@code lane} (a timer, one sample per restore); the partitions' tasks wait, paused, meanwhile.
     */
    public static final String RECEIPTS_RESTORE = "pushline.worker.receipts.restore";
    /** Receipts held by the process's shared {@link ReceiptIndex}, each once (a gauge, no tags). */
    public static final String RECEIPTS_INDEXED = "pushline.worker.receipts.indexed";
    /** Heap bytes of the receipts {@link #RECEIPTS_INDEXED} counts (a gauge, no tags; the tables exact, Strings estimated). */
    public static final String RECEIPTS_INDEXED_BYTES = "pushline.worker.receipts.indexed.bytes";

    /**
     * Pushes still in flight when their partition was revoked, or the worker closed, after the drain timeout, tagged
     * {@code lane}: their records stay uncommitted, so the next owner may send them again. Each possible duplicate
     * is counted here; 0 unless a provider held an answer longer than the drain timeout.
     */
    public static final String HANDED_OVER = "pushline.worker.handed.over.in.flight";

    /**
     * Keys a check holds, tagged {@code lane} and {@code check} ({@code devices}: unregistered lately, {@code bans},
     * {@code unfollows}; a gauge): bounded by time (the device gate lookback) and by
     * {@link WorkerConfig#keySetMaxEntries()}.
     */
    public static final String CHECK_KEYS = "pushline.worker.checks.keys";
    /** Keys a check dropped because their time passed out of its lookback, tagged {@code lane}, {@code check}. */
    public static final String CHECK_EXPIRED = "pushline.worker.checks.expired";
    /**
     * 1 while a check cannot answer (not loaded yet, retrying a failure, full, stopped) and the worker holds the pushes
     * it guards, else 0, tagged {@code lane} (a gauge); the reason is the worker's readiness message.
     */
    public static final String CHECKS_HOLDING = "pushline.worker.checks.holding";
    /**
     * Per app (tag {@code app}, the task's {@code pushline_app}: {@code default} if none; the first 200 apps by name,
     * later ones {@code other}) and lane: how long each task waited from when it was written to when it was dispatched
     * to its provider, the app's queue age. Its count's rate is the app's pushes/s through the worker.
     */
    public static final String APP_WAIT = "pushline.worker.app.wait";
    /** Tasks read ahead and waiting for their app's turn (see {@link WorkerConfig#readAhead()}). */
    public static final String BACKLOG = "pushline.worker.backlog";

    private final MeterRegistry registry;
    private final String lane;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final java.util.Map<String, Timer> appWaits = new java.util.HashMap<>();   // poll thread only
    private final io.pushline.contracts.AppTags appTags = new io.pushline.contracts.AppTags();
    /** What each gauge or function counter registered through {@link #rebind} reads now, by name and tags. */
    private final ConcurrentMap<String, AtomicReference<Supplier<Number>>> bound = new ConcurrentHashMap<>();

    WorkerMetrics(MeterRegistry registry, String lane) {
        this.registry = registry;
        this.lane = lane;
        // The counters that alerts and dashboards divide by or watch for increases exist from the start, at 0: a series
        // that appears only at its first increment hides that increase from rate() and shows "no data" until then.
        for (io.pushline.contracts.Platform p : io.pushline.contracts.Platform.values()) {
            for (String outcome : new String[]{"delivered", "rejected", "failed", "expired"}) {
                counter(PUSHES, "platform", p.name(), "outcome", outcome);
            }
            counter(RETRIES, "platform", p.name());
            counter(RETRIES_EXHAUSTED, "platform", p.name());
            counter(TOKENS_INVALIDATED, "platform", p.name());
        }
        counter(DEDUPLICATED);
        counter(HANDED_OVER);
    }

    void gauges(Supplier<Number> inFlight, Supplier<Number> paused, Supplier<Number> retriesWaiting) {
        gauge(IN_FLIGHT, inFlight);
        gauge(PAUSED_PARTITIONS, paused);
        gauge(RETRIES_WAITING, retriesWaiting);
    }

    void backlogGauge(Supplier<Number> backlog) {
        gauge(BACKLOG, backlog);
    }

    /** A task of {@code app} dispatched {@code millis} after it was written; poll thread only. */
    void appWait(String app, long millis) {
        Timer timer = appWaits.computeIfAbsent(appTags.of(app),
                t -> Timer.builder(APP_WAIT).tag("lane", lane).tag("app", t).register(registry));
        timer.record(Math.max(0, millis), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    void receiptGauge(Supplier<Number> held) {
        gauge(RECEIPTS_HELD, held);
    }

    /** The gauges of one check; a worker started again (after a failed start) rebinds them to its new check. */
    void checkGauges(String check, Supplier<Number> keys, Supplier<Number> expired) {
        rebind(CHECK_KEYS, check, keys, false);
        rebind(CHECK_EXPIRED, check, expired, true);
    }

    void holdingGauge(Supplier<Number> holding) {
        rebind(CHECKS_HOLDING, null, holding, false);
    }

    // A meter registered once per name and tags (the registry keeps the first), reading whatever was bound last.
    private void rebind(String name, String check, Supplier<Number> value, boolean counter) {
        AtomicReference<Supplier<Number>> source = bound.computeIfAbsent(name + "|" + check, k -> {
            AtomicReference<Supplier<Number>> ref = new AtomicReference<>(value);
            ToDoubleFunction<AtomicReference<Supplier<Number>>> read = r -> r.get().get().doubleValue();
            Tags tags = check == null ? Tags.of("lane", lane) : Tags.of("lane", lane, "check", check);
            if (counter) {
                FunctionCounter.builder(name, ref, read).tags(tags).register(registry);
            } else {
                Gauge.builder(name, ref, read).tags(tags).strongReference(true).register(registry);
            }
            return ref;
        });
        source.set(value);
    }

    void receiptsRestored(Duration took) {
        Timer.builder(RECEIPTS_RESTORE).tag("lane", lane).register(registry).record(took);
    }

    // Strong references: the suppliers are method references nothing else holds, and a registry's default weak
    // reference would let them be collected, turning the gauge into NaN.
    private void gauge(String name, Supplier<Number> value) {
        Gauge.builder(name, value).tag("lane", lane).strongReference(true).register(registry);
    }

    void outcome(String platform, String outcome) {
        counter(PUSHES, "platform", platform, "outcome", outcome).increment();
    }

    void retry(String platform) {
        counter(RETRIES, "platform", platform).increment();
    }

    void retryScheduled(String delay) {
        counter(RETRIES_SCHEDULED, "delay", delay).increment();
    }

    void retriesExhausted(String platform) {
        counter(RETRIES_EXHAUSTED, "platform", platform).increment();
    }

    void deduplicated() {
        counter(DEDUPLICATED).increment();
    }

    void deadLettered(String reason) {
        counter(DEAD_LETTERS, "reason", reason).increment();
    }

    void handedOver(int pushes) {
        counter(HANDED_OVER).increment(pushes);
    }

    void tokenInvalidated(String platform) {
        counter(TOKENS_INVALIDATED, "platform", platform).increment();
    }

    private Counter counter(String name, String... tags) {
        String id = name + String.join(",", tags);
        return counters.computeIfAbsent(id, k -> Counter.builder(name).tag("lane", lane).tags(tags).register(registry));
    }
}
