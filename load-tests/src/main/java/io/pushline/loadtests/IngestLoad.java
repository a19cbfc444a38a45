package io.pushline.loadtests;

import io.pushline.loadtests.IngestScenario.Ledger;
import io.pushline.loadtests.IngestScenario.Phase;
import io.pushline.loadtests.IngestScenario.PhaseResult;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import static io.pushline.loadtests.IngestScenario.REQUEST_TIMEOUT;

/**
 * The ingest bench's load generator: senders that POST the run's events to an {@link IngestTarget}, in a closed loop
 * (each sender waits for its answer) or an open loop (each request at its intended time, whatever the answers), and
 * tally statuses and latencies into a {@link PhaseResult}. Every loop stops at a count and at a time.
 */
final class IngestLoad {
    private IngestLoad() {
    }

    /** Counts and latencies of one phase, from any number of threads. */
    private static final class Tally {
        final Recorder latency = new Recorder(3);
        final Recorder service = new Recorder(3);
        final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
        final LongAdder requests = new LongAdder();
        final LongAdder events = new LongAdder();
        final LongAdder accepted = new LongAdder();
        final LongAdder retryAfter = new LongAdder();
        final LongAdder timeouts = new LongAdder();
        final LongAdder ioErrors = new LongAdder();
        final Map<String, LongAdder> ioErrorKinds = new ConcurrentHashMap<>();
        final LongAdder notSent = new LongAdder();
        final AtomicLong lastAnswer = new AtomicLong();

        PhaseResult result(Phase phase, long startNanos, double offered) {
            Map<Integer, Long> statuses = new TreeMap<>();
            byStatus.forEach((k, v) -> statuses.put(k, v.sum()));
            Map<String, Long> kinds = new TreeMap<>();
            ioErrorKinds.forEach((k, v) -> kinds.put(k, v.sum()));
            long last = lastAnswer.get();
            double seconds = last == 0 ? 0 : (last - startNanos) / 1e9;
            return new PhaseResult(phase, requests.sum(), events.sum(), accepted.sum(), statuses, retryAfter.sum(), timeouts.sum(),
                    ioErrors.sum(), kinds, notSent.sum(), seconds, latency.getIntervalHistogram(), service.getIntervalHistogram(), offered);
        }
    }

    /** Sends one request and tallies it; latency from {@code intendedNanos}. */
    private static void post(IngestTarget target, Phase phase, IngestEvents events, long seq, int count, boolean batch,
                             Tally tally, Ledger ledger, AtomicLong completed, long intendedNanos) {
        byte[] body = events.body(phase, seq, count, batch);
        long sent = System.nanoTime();
        long start = intendedNanos == 0 ? sent : Math.min(intendedNanos, sent);
        try {
            Http1Connections.Answer response = target.post(body, batch);
            long now = System.nanoTime();
            int status = response.status();
            tally.byStatus.computeIfAbsent(status, s -> new LongAdder()).increment();
            if (status == 202) {
                tally.accepted.add(count);
                ledger.mark(phase, seq, count);
                completed.addAndGet(count);
            } else if (status == 429 && response.retryAfter() != null) {
                tally.retryAfter.increment();
            }
            tally.latency.recordValue(Math.max(0, (now - start) / 1000));
            tally.service.recordValue(Math.max(0, (now - sent) / 1000));
            tally.lastAnswer.accumulateAndGet(now, Math::max);
        } catch (HttpTimeoutException | SocketTimeoutException e) {
            tally.timeouts.increment();
            tally.lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
        } catch (IOException e) {
            tally.ioErrors.increment();
            tally.ioErrorKinds.computeIfAbsent(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    k -> new LongAdder()).increment();
            tally.lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        tally.requests.increment();
        tally.events.add(count);
    }

    /**
     * Closed loop: {@code clients} threads, each sending its next request when the last is answered, until
     * {@code length} is over or {@code maxEvents} were sent.
     */
    static PhaseResult closedLoop(IngestTarget target, Phase phase, IngestEvents events, int clients, int batch, Duration length,
                                  long maxEvents, Ledger ledger, AtomicLong completed) throws InterruptedException {
        Tally tally = new Tally();
        AtomicLong next = new AtomicLong();
        int perRequest = Math.max(1, batch);
        boolean batched = batch > 1;
        long start = System.nanoTime();
        long end = start + length.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients, daemon("pushline-bench-ingest-" + phase.letter));
        try {
            for (int c = 0; c < clients; c++) {
                pool.execute(() -> {
                    while (System.nanoTime() - end < 0 && !Thread.currentThread().isInterrupted()) {
                        long seq = next.getAndAdd(perRequest);
                        if (seq >= maxEvents) {
                            return;
                        }
                        int count = (int) Math.min(perRequest, maxEvents - seq);
                        post(target, phase, events, seq, count, batched, tally, ledger, completed, 0);
                    }
                });
            }
        } finally {
            pool.shutdown();
            if (!pool.awaitTermination(length.toSeconds() + REQUEST_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        }
        return tally.result(phase, start, 0);
    }

    /**
     * Open loop: requests of single events at {@code ratePerSec} for {@code length}, each at its intended time
     * {@code start + n / rate} by one of {@code senders} threads; latency from the intended time, so a request that waited
     * for a free sender counts its wait. A request whose intended time is more than {@link IngestScenario#REQUEST_TIMEOUT} past the
     * phase's end is not sent (counted as not sent).
     */
    static PhaseResult openLoop(IngestTarget target, Phase phase, IngestEvents events, double ratePerSec, int senders,
                                Duration length, Ledger ledger, AtomicLong completed, long maxEvents) throws InterruptedException {
        Tally tally = new Tally();
        long total = Math.min(maxEvents, Math.max(1, (long) Math.ceil(ratePerSec * length.toNanos() / 1e9)));
        double interval = 1e9 / ratePerSec;
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        long hardEnd = start + length.toNanos() + REQUEST_TIMEOUT.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(senders, daemon("pushline-bench-ingest-" + phase.letter));
        try {
            for (int c = 0; c < senders; c++) {
                pool.execute(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        long n = next.getAndIncrement();
                        if (n >= total) {
                            return;
                        }
                        long intended = start + (long) (n * interval);
                        long now;
                        while ((now = System.nanoTime()) - intended < 0) {
                            LockSupport.parkNanos(intended - now);
                        }
                        if (now - hardEnd > 0) {
                            tally.notSent.increment();
                            continue;
                        }
                        post(target, phase, events, n, 1, false, tally, ledger, completed, intended);
                    }
                });
            }
        } finally {
            pool.shutdown();
            if (!pool.awaitTermination(length.toSeconds() + 2 * REQUEST_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        }
        return tally.result(phase, start, ratePerSec);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
