package io.pushline.observability;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The operations dashboard's history: a {@link SampleReader} read once a second into a ring of the last ten minutes
 * ({@value #CAPACITY} samples), so that a page opened mid-run still shows what happened before. What a sample holds is
 * {@link DashboardView}'s, how it is read {@link SampleReader}'s, and its JSON {@link DashboardJson}'s.
 *
 * <p>{@link #sample(Instant)} is what the sampling thread calls with the injected clock's instant; tests call it
 * themselves with instants of their own. A sample that cannot be read (a meter throwing) is skipped with a warning at most
 * once a minute; the thread goes on.
 *
 * <p>Thread-safe: sampling and reading the ring hold this object's lock. Lifecycle: {@link #start()} at most once, then
 * {@link #close()}, which stops the thread and waits (bounded) for it.
 */
final class DashboardSampler implements AutoCloseable {
    /** Samples kept: ten minutes at one a second. */
    static final int CAPACITY = 600;
    /** Time between samples. */
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(DashboardSampler.class);

    private final SampleReader reader;
    private final int capacity;
    private final Clock clock;
    private final ArrayDeque<DashboardView.Sample> samples = new ArrayDeque<>();
    private ScheduledExecutorService thread;
    private long lastWarning;

    /**
     * A sampler of {@code registry} keeping the last {@code capacity} samples; it samples only when told to, or once a
     * second after {@link #start()}.
     */
    DashboardSampler(MeterRegistry registry, int capacity, Clock clock) {
        Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        this.capacity = capacity;
        this.reader = new SampleReader(registry);
    }

    /** Samples now and then every {@link #INTERVAL}, on a daemon thread of its own, until {@link #close()}. */
    synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("the dashboard sampler is already started");
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pushline-dashboard-sampler");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleAtFixedRate(this::sampleSafely, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The sampler's clock's current instant. */
    Instant now() {
        return clock.instant();
    }

    int capacity() {
        return capacity;
    }

    private void sampleSafely() {
        try {
            sample(clock.instant());
        } catch (RuntimeException e) {
            long now = System.currentTimeMillis();
            if (now - lastWarning > 60_000) {
                lastWarning = now;
                log.warn("cannot sample the meters for the dashboard ({}); the dashboard misses this sample", e.toString());
            }
        }
    }

    /**
     * Reads the meters as of {@code now} (as {@link SampleReader#read} says) and appends the sample, dropping the oldest
     * beyond the capacity.
     */
    synchronized DashboardView.Sample sample(Instant now) {
        DashboardView.Sample sample = reader.read(now);
        samples.addLast(sample);
        while (samples.size() > capacity) {
            samples.removeFirst();
        }
        return sample;
    }

    /** The samples held, oldest first. */
    synchronized List<DashboardView.Sample> samples() {
        return List.copyOf(samples);
    }

    /** The samples taken after {@code epochMillis}, oldest first. */
    synchronized List<DashboardView.Sample> samplesAfter(long epochMillis) {
        List<DashboardView.Sample> newer = new ArrayList<>();
        for (DashboardView.Sample s : samples) {
            if (s.at().toEpochMilli() > epochMillis) {
                newer.add(s);
            }
        }
        return newer;
    }

    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
