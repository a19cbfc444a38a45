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
 */
final class ExpansionGate implements BooleanSupplier, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExpansionGate.class);
    /** Default bound: about a minute of delivery at this machine's rate. */
    static final long DEFAULT_MAX_AHEAD = 200_000;
    static final String BACKLOG = ProcessMetrics.EXPANSION_BACKLOG;
    static final String HELD = ProcessMetrics.EXPANSION_HELD;

    private final Admin admin;
    private final String group;
    private final long maxAhead;
    private final ScheduledExecutorService timer;
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean open = true;
    private volatile long lastWarning;

    ExpansionGate(Map<String, Object> clientConfig, String group, long maxAhead, Duration every, MeterRegistry registry) {
        if (maxAhead < 1) {
            throw new IllegalArgumentException("maxAhead must be >= 1, was " + maxAhead);
        }
        this.admin = Admin.create(clientConfig);
        this.group = group;
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
        timer.scheduleWithFixedDelay(this::check, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            long lag = new ConsumerLag(admin).lag(group, List.of(Topics.PUSH_BULK));
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
    }

    @Override
    public boolean getAsBoolean() {
        return open;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(5));
    }
}
