package io.pushline.pipeline;

import io.pushline.observability.ConsumerLag;
import io.pushline.observability.ProcessMetrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Keeps a fanout's expansion at most {@code maxAhead} push tasks ahead of its delivery: open while the bulk workers'
 * lag on {@code pushline.push.bulk} (read with the AdminClient every {@code every}) is below the bound, closed above it.
 * Expansion that races ahead gains nothing (the tasks wait in Kafka) but takes the CPU delivery and the high lane need
 * when they share a machine, and pushes it expands early miss the audience edits made meanwhile. If the lag cannot be
 * read the gate opens (a monitoring failure must not stop fanouts) and says so, at most once a minute.
 *
 * <p>It reads only while there is something to gate: an expansion asked within the last {@link #IDLE_AFTER}, or the
 * last reading found a backlog (so that the backlog gauge follows the delivery down to zero). An idle pipeline then
 * sends the broker no lag requests at all (they were two or three every 500 ms). The first page of a job after a
 * quiet spell is judged by the last reading, which found no backlog; the next reading follows within {@code every}.
 */
final class ExpansionGate implements BooleanSupplier, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExpansionGate.class);
    /** Default bound: about a minute of delivery at this machine's rate. */
    static final long DEFAULT_MAX_AHEAD = 200_000;
    static final String BACKLOG = ProcessMetrics.EXPANSION_BACKLOG;
    static final String HELD = ProcessMetrics.EXPANSION_HELD;

    /** How long after the last question from an expansion the gate goes on reading while the backlog is zero. */
    static final Duration IDLE_AFTER = Duration.ofSeconds(5);

    private final Admin admin;
    private final java.util.function.LongSupplier readLag;
    private final java.util.function.LongSupplier nanoTime;
    private volatile long lastAsked;
    private final long maxAhead;
    private final ScheduledExecutorService timer;
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean open = true;
    private volatile long lastWarning;

    ExpansionGate(Map<String, Object> clientConfig, String group, long maxAhead, Duration every, MeterRegistry registry) {
        this(Admin.create(clientConfig), group, requireMaxAhead(maxAhead), registry, System::nanoTime);
        timer.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** For tests: lag read by {@code readLag}, time from {@code nanoTime}; nothing scheduled ({@link #check} by hand). */
    ExpansionGate(java.util.function.LongSupplier readLag, long maxAhead, MeterRegistry registry, java.util.function.LongSupplier nanoTime) {
        this(null, readLag, requireMaxAhead(maxAhead), registry, nanoTime);
    }

    private ExpansionGate(Admin admin, String group, long maxAhead, MeterRegistry registry, java.util.function.LongSupplier nanoTime) {
        this(admin, () -> new ConsumerLag(admin).lag(group, List.of(Topics.PUSH_BULK)), maxAhead, registry, nanoTime);
    }

    private ExpansionGate(Admin admin, java.util.function.LongSupplier readLag, long maxAhead, MeterRegistry registry,
                          java.util.function.LongSupplier nanoTime) {
        this.admin = admin;
        this.readLag = readLag;
        this.nanoTime = nanoTime;
        this.lastAsked = nanoTime.getAsLong();
        this.maxAhead = maxAhead;
        Gauge.builder(BACKLOG, backlog, AtomicLong::get).description("bulk push tasks expanded but not yet delivered")
                .register(registry);
        Gauge.builder(HELD, this, g -> g.open ? 0 : 1).description("1 while fanout expansion waits for delivery")
                .register(registry);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pushline-expansion-gate");
            t.setDaemon(true);
            return t;
        });
    }

    private static long requireMaxAhead(long maxAhead) {
        if (maxAhead < 1) {
            throw new IllegalArgumentException("maxAhead must be >= 1, was " + maxAhead);
        }
        return maxAhead;
    }

    /** One reading, unless there is nothing to gate (see the class comment); returns whether it read. */
    boolean check() {
        if (backlog.get() == 0 && nanoTime.getAsLong() - lastAsked > IDLE_AFTER.toNanos()) {
            return false;
        }
        try {
            long lag = readLag.getAsLong();
            backlog.set(lag);
            open = lag < maxAhead;
        } catch (RuntimeException e) {
            open = true;
            long now = System.currentTimeMillis();
            if (now - lastWarning > 60_000) {
                lastWarning = now;
                log.warn("cannot read the bulk lane's lag ({}); expansion runs ungated until it can", e.getMessage());
            }
        }
        return true;
    }

    @Override
    public boolean getAsBoolean() {
        lastAsked = nanoTime.getAsLong();
        return open;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
