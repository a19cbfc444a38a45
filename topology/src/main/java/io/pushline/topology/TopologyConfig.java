package io.pushline.topology;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the Pushline topology. Immutable; validated on construction.
 *
 * @param maxEventBytes       events larger than this are dead-lettered with {@code PAYLOAD_TOO_LARGE}
 * @param timelinePushTtl     how long a timeline push stays worth sending; later it is dropped by the worker
 * @param source              the CloudEvents {@code source} of records this topology writes
 * @param meterRegistry       where the topology's counters go
 * @param pageSize            devices one expansion page emits at most (per partition and page); also the most follow
 *                            edges and the most content removals one page of ban work emits, and the most entries one
 *                            page of retention work forgets
 * @param pageInterval        how often each partition runs the next page of its running fanout and ban jobs
 * @param mayExpand           whether fanout pages may run now (see {@link #withExpansionGate})
 * @param followersPerPage    followers one expansion page scans at most (per partition and page), devices or not: an
 *                            author whose followers mostly have no device would otherwise make one page scan them all
 * @param contentRetention    how long the moderation content index keeps a post or a like (from its event time), that
 *                            is how far back a ban reaches; see {@link #DEFAULT_CONTENT_RETENTION}
 * @param invalidatedTokenRetention how long the device registry remembers that a token was invalidated (from when it
 *                            learned of it); see {@link #DEFAULT_INVALIDATED_TOKEN_RETENTION}
 * @param appWeights          how apps share each expansion page, and so the bulk lane (see {@link AppWeights})
 * @param expanded            told the push tasks each gated page emitted, so that the gate counts them against its
 *                            bound before its next reading of the backlog (see {@link #withExpansionGate})
 * @param timelineCap         at most so many timeline notifications per user in a rolling window, or null for none
 * @param quietHoursPassThrough categories whose pushes ignore quiet hours (mutes still apply); the expansion's is
 *                            {@code timeline}
 * @param pageBudget          given {@code pageSize}, the devices a fanout page may emit now (see {@link #withExpansionGate})
 */
public record TopologyConfig(int maxEventBytes, Duration timelinePushTtl, URI source, MeterRegistry meterRegistry,
                             int pageSize, Duration pageInterval, java.util.function.BooleanSupplier mayExpand,
                             int followersPerPage, Duration contentRetention, Duration invalidatedTokenRetention,
                             AppWeights appWeights, java.util.function.LongConsumer expanded, FrequencyCap timelineCap,
                             java.util.Set<String> quietHoursPassThrough, java.util.function.IntUnaryOperator pageBudget) {
    public static final int DEFAULT_MAX_EVENT_BYTES = CloudEventCodec.DEFAULT_MAX_EVENT_BYTES;
    public static final Duration DEFAULT_TIMELINE_PUSH_TTL = Duration.ofHours(6);
    public static final URI DEFAULT_SOURCE = URI.create("pushline://topology");
    public static final int DEFAULT_PAGE_SIZE = 2_000;
    public static final Duration DEFAULT_PAGE_INTERVAL = Duration.ofMillis(50);
    /**
     * Followers an expansion page may scan per device it may emit, by default. A follower without a device costs one
     * step of the follow index and one seek of the device store; a device costs a push task built, encoded and produced
     * in the page's transaction, several times more. So a page that scans five followers per device of its budget
     * stays within about twice the time of a full page of devices, and an audience that has devices pages as before.
     */
    public static final int FOLLOWERS_PER_DEVICE = 5;
    public static final int DEFAULT_FOLLOWERS_PER_PAGE = DEFAULT_PAGE_SIZE * FOLLOWERS_PER_DEVICE;
    /**
     * The content index exists only so that a ban can find the banned profile's posts and likes. What a ban must take
     * down is what people still see: timelines, activity (kept 7 days) and notifications show recent content, and 90
     * days reaches well past them. It bounds the index at 90 days of posts and likes instead of the deployment's whole
     * history. A ban does not reach content older than this: the content service removes that by its own means.
     */
    public static final Duration DEFAULT_CONTENT_RETENTION = Duration.ofDays(90);
    /**
     * An invalidation is remembered so that a registration older than it, arriving late, loses the race (see
     * {@code DeviceRegistryProcessor}). Events wait at most 7 days on the events topic and 1 day on the device-events
     * topic, so no registration older than that is in flight; 30 days leaves room for publishers that retry late and
     * devices that queue their registration while offline. Without a bound, every token ever invalidated stays forever.
     */
    public static final Duration DEFAULT_INVALIDATED_TOKEN_RETENTION = Duration.ofDays(30);

    public TopologyConfig {
        if (maxEventBytes <= 0) {
            throw new IllegalArgumentException("maxEventBytes must be > 0, was " + maxEventBytes);
        }
        positive(timelinePushTtl, "timelinePushTtl");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be >= 1, was " + pageSize);
        }
        positive(pageInterval, "pageInterval");
        Objects.requireNonNull(mayExpand, "mayExpand");
        if (followersPerPage < 1) {
            throw new IllegalArgumentException("followersPerPage must be >= 1, was " + followersPerPage);
        }
        positive(contentRetention, "contentRetention");
        positive(invalidatedTokenRetention, "invalidatedTokenRetention");
        Objects.requireNonNull(appWeights, "appWeights");
        Objects.requireNonNull(expanded, "expanded");
        Objects.requireNonNull(pageBudget, "pageBudget");
        quietHoursPassThrough = java.util.Set.copyOf(Objects.requireNonNull(quietHoursPassThrough, "quietHoursPassThrough"));
    }

    private static void positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    public static TopologyConfig defaults() {
        return new TopologyConfig(DEFAULT_MAX_EVENT_BYTES, DEFAULT_TIMELINE_PUSH_TTL, DEFAULT_SOURCE, new SimpleMeterRegistry(),
                DEFAULT_PAGE_SIZE, DEFAULT_PAGE_INTERVAL, () -> true, DEFAULT_FOLLOWERS_PER_PAGE, DEFAULT_CONTENT_RETENTION,
                DEFAULT_INVALIDATED_TOKEN_RETENTION, AppWeights.EQUAL, n -> { }, null, java.util.Set.of(), size -> size);
    }

    public TopologyConfig withMeterRegistry(MeterRegistry registry) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, registry, pageSize, pageInterval, mayExpand,
                followersPerPage, contentRetention, invalidatedTokenRetention, appWeights, expanded, timelineCap, quietHoursPassThrough, pageBudget);
    }

    /**
     * Pages of {@code size} devices each {@code interval}, scanning at most {@link #FOLLOWERS_PER_DEVICE} times
     * {@code size} followers; call {@link #withFollowersPerPage} after this for another bound.
     */
    public TopologyConfig withPaging(int size, Duration interval) {
        int followers = (int) Math.min(Integer.MAX_VALUE, (long) size * FOLLOWERS_PER_DEVICE);
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, size, interval, mayExpand,
                followers, contentRetention, invalidatedTokenRetention, appWeights, expanded, timelineCap, quietHoursPassThrough, pageBudget);
    }

    /** Expansion pages that scan at most {@code followers} followers (see {@link #followersPerPage()}). */
    public TopologyConfig withFollowersPerPage(int followers) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, mayExpand,
                followers, contentRetention, invalidatedTokenRetention, appWeights, expanded, timelineCap, quietHoursPassThrough, pageBudget);
    }

    /** See {@link #contentRetention()} and {@link #invalidatedTokenRetention()}. */
    public TopologyConfig withRetention(Duration content, Duration invalidatedTokens) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, mayExpand,
                followersPerPage, content, invalidatedTokens, appWeights, expanded, timelineCap, quietHoursPassThrough, pageBudget);
    }

    /**
     * Fanout pages after a job's first run only while {@code gate} says so (checked once per punctuation): the app
     * closes it while the bulk lane's backlog is at its bound, so expansion keeps pace with delivery instead of
     * racing ahead of it for the same CPU. Ban cascades and edge removals are not gated.
     */
    public TopologyConfig withExpansionGate(java.util.function.BooleanSupplier gate) {
        return withExpansionGate(gate, n -> { });
    }

    /** As above, and {@code expanded} is told how many push tasks each gated page emitted. */
    public TopologyConfig withExpansionGate(java.util.function.BooleanSupplier gate, java.util.function.LongConsumer expanded) {
        return withExpansionGate(gate, expanded, pageBudget);
    }

    /**
     * As above, and each gated page emits at most {@code budget.applyAsInt(pageSize)} devices (at least one, at most
     * the page size): the gate spreads what it allows over several pages, so that no page is a burst that keeps the
     * stream thread (and another app's post behind it) waiting.
     */
    public TopologyConfig withExpansionGate(java.util.function.BooleanSupplier gate, java.util.function.LongConsumer expanded,
                                            java.util.function.IntUnaryOperator budget) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, gate,
                followersPerPage, contentRetention, invalidatedTokenRetention, appWeights, expanded, timelineCap, quietHoursPassThrough, budget);
    }

    /** Apps share each expansion page by these weights (see {@link AppWeights}). */
    public TopologyConfig withAppWeights(AppWeights weights) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, mayExpand,
                followersPerPage, contentRetention, invalidatedTokenRetention, weights, expanded, timelineCap, quietHoursPassThrough, pageBudget);
    }

    /** At most {@code cap} timeline notifications per user in its rolling window; null for none. */
    public TopologyConfig withTimelineCap(FrequencyCap cap) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, mayExpand,
                followersPerPage, contentRetention, invalidatedTokenRetention, appWeights, expanded, cap, quietHoursPassThrough, pageBudget);
    }

    /** Pushes of these categories ignore quiet hours (mutes still apply): for the expansion, {@code timeline}. */
    public TopologyConfig withQuietHoursPassThrough(java.util.Set<String> categories) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, mayExpand,
                followersPerPage, contentRetention, invalidatedTokenRetention, appWeights, expanded, timelineCap, categories, pageBudget);
    }
}
