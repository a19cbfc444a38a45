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
 * Keeps fanout expansion a short time ahead of delivery: open while the bulk workers' lag on {@code pushline.push.bulk}
 * (read with the AdminClient every {@code every}) is below the {@linkplain Bound bound}, closed above it. The bound is
 * time, not a count: the workers' delivery rate, measured from their committed offsets between readings, times
 * {@link Bound#ahead()} (within a floor and a ceiling of tasks). Expansion that races ahead gains nothing (the tasks
 * wait in Kafka) but takes the CPU delivery and the high lane need when they share a machine; pushes it expands early
 * miss the audience edits made meanwhile; and, above all, a task in Kafka is first in, first out: another app's fanout
 * that starts now waits behind everything already expanded. The pages that are not yet expanded are where apps share
 * the lane by weight (see {@code ExpansionProcessor}), so the less that waits in Kafka, the closer delivery follows
 * those shares. If the lag cannot be read the gate opens (a monitoring failure must not stop fanouts) and says so, at
 * most once a minute.
 *
 * <p>It reads only while there is something to gate: an expansion asked within the last {@link #IDLE_AFTER}, or the
 * last reading found a backlog (so that the backlog gauge follows the delivery down to zero). An idle pipeline then
 * sends the broker no lag requests at all (they were two or three every 500 ms). The first page of a job after a
 * quiet spell is judged by the last reading, which found no backlog; the next reading follows within {@code every}.
 */
final class ExpansionGate implements BooleanSupplier, java.util.function.LongConsumer, java.util.function.IntUnaryOperator,
        AutoCloseable {
    /**
     * What one page may take of what the gate allows: a quarter of the headroom (the bound less the backlog counted),
     * so that the partitions' pages, run one after another on a stream thread, spread it over several rounds instead
     * of taking it in one burst (a page of 2,000 devices on each of six partitions is 12,000 tasks produced in one
     * transaction, which another app's post waits behind: in {@code bench tenants} B's tasks reached the bulk topic
     * 1.33 s after its post without this, 0.39 s with it); never below {@link #MIN_PAGE} devices. An eighth kept B
     * closer still (1.46 against 1.72 of its time alone) but cost A more of its pace (0.91 against 0.94).
     */
    static final int SPREAD = 4;
    static final int MIN_PAGE = 100;
    private static final Logger log = LoggerFactory.getLogger(ExpansionGate.class);
    static final String BACKLOG = ProcessMetrics.EXPANSION_BACKLOG;
    static final String HELD = ProcessMetrics.EXPANSION_HELD;
    static final String BOUND = ProcessMetrics.EXPANSION_BACKLOG_BOUND;

    /**
     * How far expansion may run ahead of delivery: {@code ahead} of the measured delivery rate, but never fewer than
     * {@code min} tasks (the workers' in-flight windows count as backlog until committed, and a start has no rate yet)
     * nor more than {@code max}.
     */
    record Bound(Duration ahead, long min, long max) {
        /**
         * One second of delivery: the gate reads every half second, so the workers never run dry, and the backlog (with
         * at most a page per stream thread beyond it) stays within the workers' read-ahead (20,000 tasks), so that a
         * second app's tasks, behind it in the partitions, are read at once and served at their app's share. The floor
         * covers both lanes' in-flight windows (512 each by default) several times; the ceiling is the old fixed bound.
         */
        static final Bound DEFAULT = new Bound(Duration.ofSeconds(1), 5_000, 200_000);

        Bound {
            if (ahead.isNegative() || min < 1 || max < min) {
                throw new IllegalArgumentException("bound: ahead >= 0 and 1 <= min <= max, were " + ahead + ", " + min + ", " + max);
            }
        }

        /** A bound of {@code tasks}, whatever the rate. */
        static Bound fixed(long tasks) {
            return new Bound(Duration.ZERO, tasks, tasks);
        }

        long at(double tasksPerSecond) {
            long ofRate = (long) Math.min(Long.MAX_VALUE / 2.0, tasksPerSecond * ahead.toNanos() / 1e9);
            return Math.max(min, Math.min(max, ofRate));
        }
    }

    /** How long after the last question from an expansion the gate goes on reading while the backlog is zero. */
    static final Duration IDLE_AFTER = Duration.ofSeconds(5);

    private final Admin admin;
    private final java.util.function.Supplier<ConsumerLag.Backlog> read;
    private final java.util.function.LongSupplier nanoTime;
    private volatile long lastAsked;
    private final Bound bound;
    private final AtomicLong allowed = new AtomicLong();
    /** The backlog at the last reading plus the tasks expanded since (in this process): what the bound is held to. */
    private final AtomicLong counted = new AtomicLong();
    /** Whether the last reading failed: the gate is open without a bound until one succeeds. */
    private volatile boolean unread;
    /** The last reading and when it was taken, for the rate; the rate's moving average (tasks/s, NaN before two). */
    private ConsumerLag.Backlog last;
    private long lastReadAt;
    private double rate = Double.NaN;
    private final ScheduledExecutorService timer;
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean open = true;
    private volatile long lastWarning;

    ExpansionGate(Map<String, Object> clientConfig, String group, Bound bound, Duration every, MeterRegistry registry) {
        this(Admin.create(clientConfig), group, bound, registry, System::nanoTime);
        timer.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** For tests: a fixed bound, lag read by {@code readLag}, time from {@code nanoTime}; nothing scheduled. */
    ExpansionGate(java.util.function.LongSupplier readLag, long maxAhead, MeterRegistry registry, java.util.function.LongSupplier nanoTime) {
        this(null, () -> new ConsumerLag.Backlog(readLag.getAsLong(), 0), Bound.fixed(requireMaxAhead(maxAhead)), registry, nanoTime);
    }

    /** For tests: the backlog read by {@code read}, time from {@code nanoTime}; nothing scheduled ({@link #check} by hand). */
    ExpansionGate(java.util.function.Supplier<ConsumerLag.Backlog> read, Bound bound, MeterRegistry registry,
                  java.util.function.LongSupplier nanoTime) {
        this(null, read, bound, registry, nanoTime);
    }

    private ExpansionGate(Admin admin, String group, Bound bound, MeterRegistry registry, java.util.function.LongSupplier nanoTime) {
        this(admin, () -> new ConsumerLag(admin).backlog(group, List.of(Topics.PUSH_BULK)), bound, registry, nanoTime);
    }

    private ExpansionGate(Admin admin, java.util.function.Supplier<ConsumerLag.Backlog> read, Bound bound, MeterRegistry registry,
                          java.util.function.LongSupplier nanoTime) {
        this.admin = admin;
        this.read = read;
        this.nanoTime = nanoTime;
        this.lastAsked = nanoTime.getAsLong();
        this.bound = bound;
        this.allowed.set(bound.at(0));
        Gauge.builder(BACKLOG, backlog, AtomicLong::get).description("bulk push tasks expanded but not yet delivered")
                .register(registry);
        Gauge.builder(HELD, this, g -> g.open ? 0 : 1).description("1 while fanout expansion waits for delivery")
                .register(registry);
        Gauge.builder(BOUND, allowed, AtomicLong::get).description("the bulk backlog the expansion gate allows now")
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
            ConsumerLag.Backlog reading = read.get();
            long at = nanoTime.getAsLong();
            if (last != null && at > lastReadAt && reading.committed() >= last.committed()) {
                double now = (reading.committed() - last.committed()) * 1e9 / (at - lastReadAt);
                rate = Double.isNaN(rate) ? now : 0.5 * rate + 0.5 * now;   // commits come in steps: smooth them
            }
            last = reading;
            lastReadAt = at;
            long limit = bound.at(Double.isNaN(rate) ? 0 : rate);
            allowed.set(limit);
            backlog.set(reading.lag());
            counted.set(reading.lag());
            unread = false;
            open = reading.lag() < limit;
        } catch (RuntimeException e) {
            open = true;
            unread = true;
            long now = System.currentTimeMillis();
            if (now - lastWarning > 60_000) {
                lastWarning = now;
                log.warn("cannot read the bulk lane's lag ({}); expansion runs ungated until it can", e.getMessage());
            }
        }
        return true;
    }

    /**
     * Whether a page may run: the last reading was below the bound, and so is that reading plus what pages expanded
     * since. Pages of all partitions run between two readings (half a second, some hundreds of pages), and the
     * expansion is many times faster than delivery: without counting them the backlog overshoots the bound by what
     * the expansion can do in half a second.
     */
    @Override
    public boolean getAsBoolean() {
        lastAsked = nanoTime.getAsLong();
        return open && (unread || counted.get() < allowed.get());
    }

    /** The devices a page may emit now: its share of the headroom (see {@link #SPREAD}), or all of it ungated. */
    @Override
    public int applyAsInt(int pageSize) {
        if (unread) {
            return pageSize;
        }
        long share = (allowed.get() - counted.get()) / SPREAD;
        return (int) Math.max(Math.min(MIN_PAGE, pageSize), Math.min(pageSize, share));
    }

        /** A page expanded {@code tasks} push tasks. */
    @Override
    public void accept(long tasks) {
        counted.addAndGet(tasks);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
