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
 * @param maxEventBytes   events larger than this are dead-lettered with {@code PAYLOAD_TOO_LARGE}
 * @param timelinePushTtl how long a timeline push stays worth sending; later it is dropped by the worker
 * @param source          the CloudEvents {@code source} of records this topology writes
 * @param meterRegistry   where the topology's counters go
 * @param pageSize        devices one expansion page emits at most (per partition and page); also the most follow edges
 *                        and the most content removals one page of ban work emits
 * @param pageInterval    how often each partition runs the next page of its running fanout and ban jobs
 * @param mayExpand       whether fanout pages may run now (see {@link #withExpansionGate})
 */
public record TopologyConfig(int maxEventBytes, Duration timelinePushTtl, URI source, MeterRegistry meterRegistry,
                             int pageSize, Duration pageInterval, java.util.function.BooleanSupplier mayExpand) {
    public static final int DEFAULT_MAX_EVENT_BYTES = CloudEventCodec.DEFAULT_MAX_EVENT_BYTES;
    public static final Duration DEFAULT_TIMELINE_PUSH_TTL = Duration.ofHours(6);
    public static final URI DEFAULT_SOURCE = URI.create("pushline://topology");
    public static final int DEFAULT_PAGE_SIZE = 2_000;
    public static final Duration DEFAULT_PAGE_INTERVAL = Duration.ofMillis(50);

    public TopologyConfig {
        if (maxEventBytes <= 0) {
            throw new IllegalArgumentException("maxEventBytes must be > 0, was " + maxEventBytes);
        }
        Objects.requireNonNull(timelinePushTtl, "timelinePushTtl");
        if (timelinePushTtl.isNegative() || timelinePushTtl.isZero()) {
            throw new IllegalArgumentException("timelinePushTtl must be positive, was " + timelinePushTtl);
        }
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be >= 1, was " + pageSize);
        }
        Objects.requireNonNull(pageInterval, "pageInterval");
        if (pageInterval.isNegative() || pageInterval.isZero()) {
            throw new IllegalArgumentException("pageInterval must be positive, was " + pageInterval);
        }
        Objects.requireNonNull(mayExpand, "mayExpand");
    }

    public static TopologyConfig defaults() {
        return new TopologyConfig(DEFAULT_MAX_EVENT_BYTES, DEFAULT_TIMELINE_PUSH_TTL, DEFAULT_SOURCE, new SimpleMeterRegistry(),
                DEFAULT_PAGE_SIZE, DEFAULT_PAGE_INTERVAL, () -> true);
    }

    public TopologyConfig withMeterRegistry(MeterRegistry registry) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, registry, pageSize, pageInterval, mayExpand);
    }

    public TopologyConfig withPaging(int size, Duration interval) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, size, interval, mayExpand);
    }

    /**
     * Fanout pages after a job's first run only while {@code gate} says so (checked once per punctuation): the app
     * closes it while the bulk lane's backlog is at its bound, so expansion keeps pace with delivery instead of
     * racing ahead of it for the same CPU. Ban cascades and edge removals are not gated.
     */
    public TopologyConfig withExpansionGate(java.util.function.BooleanSupplier gate) {
        return new TopologyConfig(maxEventBytes, timelinePushTtl, source, meterRegistry, pageSize, pageInterval, gate);
    }
}
