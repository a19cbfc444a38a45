package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Topics;
import io.pushline.ingest.IngestConfig;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.time.Duration;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP ingest against raw Kafka produce, in the same run, on loopback. The events are the same in both: a
 * {@code FollowCreated} or a {@code LikeCreated} (alternately) with a unique id {@code RUN-PHASE-SEQ}, encoded by
 * {@link CloudEventCodec#toRecord}; the ingest receives them in CloudEvents structured mode (one event, or a batch) and
 * writes exactly that record.
 *
 * <ol>
 *   <li><b>Baseline</b>: the records straight to {@code pushline.events} with the ingest's own producer settings
 *       (idempotent, {@code acks=all}), as fast as the producer takes them, for {@code events} records or
 *       {@code seconds}, whichever comes first (encoded before the clock starts) → events/s.</li>
 *   <li><b>Closed loop</b>: {@code clients} threads, each POSTing one event (then, in a second phase, batches) and
 *       sending the next when answered, keep-alive HTTP/1.1 → accepted events/s, latency per request.</li>
 *   <li><b>Open loop below saturation</b>: single events at a fixed rate, a fraction of the closed loop's requests/s;
 *       latency from each request's <i>intended</i> send time (so a stalled sender does not hide the queue: coordinated
 *       omission is accounted for), and from its actual send time beside it.</li>
 *   <li><b>Beyond saturation</b>: a second ingest with a small in-flight byte bound, offered a multiple of the closed
 *       loop's rate by many more senders → counts of 202, 429 (with or without {@code Retry-After}), 503, other
 *       statuses, timeouts and I/O errors.</li>
 *   <li><b>Read back</b>: {@code pushline.events} from its beginning; every id answered 202 must be there.</li>
 * </ol>
 * Every loop stops at a count and at a time.
 *
 * <p>This class holds the run's order, its results and the lines it prints; the parts live beside it:
 * {@link IngestEvents} (the events and request bodies), {@link IngestBaseline} (raw produce), {@link BenchIngest} (the
 * ingest under test), {@link IngestLoad} with {@link IngestTarget} (the senders, closed and open loop) and
 * {@link IngestReadBack} (what arrived).
 */
final class IngestScenario {
    static final URI SOURCE = URI.create("urn:pushline:bench:ingest");
    /** The goals. */
    static final double GOAL_RATIO = 0.5;
    static final double GOAL_P99_MS = 20;
    /** A client gives up on a request after this long (a timeout in the counts). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long reading the events topic back may take. */
    static final Duration READ_BACK_LIMIT = Duration.ofMinutes(5);

    private IngestScenario() {
    }

    /** A phase of the run; its letter is part of each event id. */
    enum Phase {
        BASELINE_WARMUP('p'), BASELINE('b'), WARMUP('w'), SINGLE('s'), BATCH('m'), OPEN('o'), SATURATION('x');

        final char letter;

        Phase(char letter) {
            this.letter = letter;
        }

        static Phase of(char letter) {
            for (Phase p : values()) {
                if (p.letter == letter) {
                    return p;
                }
            }
            return null;
        }
    }

    /**
     * What the run is told.
     *
     * @param events baseline records (and the warm-up's tenth of them)
     * @param seconds length of each ingest phase, and the longest the baseline may take
     * @param clients closed-loop HTTP clients
     * @param batch events per batch request
     * @param warmupSeconds unmeasured closed loop of single events before the measured phases
     * @param maxPhaseEvents most events per ingest phase
     * @param openFraction the open loop's rate as a fraction of the closed loop's requests/s (single events)
     * @param saturationFactor the saturation phase's rate as a multiple of the closed loop's requests/s
     * @param saturationClients senders in the saturation phase
     * @param saturationInFlightBytes the saturation ingest's in-flight byte bound
     * @param ingestThreads the ingest's request-handling threads (pushline run: 16)
     * @param client the HTTP client the senders use
     */
    record Settings(int events, int seconds, int clients, int batch, int warmupSeconds, long maxPhaseEvents, double openFraction,
                    double saturationFactor, int saturationClients, int saturationInFlightBytes, int ingestThreads, Client client) {
        /** Open-loop senders: enough that the rate, not their number, sets the pace. */
        int openSenders() {
            return Math.min(512, Math.max(16, clients * 4));
        }
    }

    /** The baseline: records acknowledged per second from the first send to the last acknowledgement. */
    record Baseline(long sent, long acked, long failed, double seconds, int recordBytes) {
        double perSec() {
            return seconds <= 0 ? 0 : acked / seconds;
        }
    }

    /**
     * One ingest phase.
     *
     * @param requests requests answered or failed
     * @param events events in those requests
     * @param acceptedEvents events in requests answered 202
     * @param byStatus requests by HTTP status
     * @param retryAfter429 429 answers that carried {@code Retry-After}
     * @param timeouts requests the client gave up on after {@link #REQUEST_TIMEOUT}
     * @param ioErrors requests that failed otherwise (connection refused or reset)
     * @param ioErrorKinds those failures by exception and message
     * @param notSent open loop: requests whose intended time fell after the phase's hard end
     * @param seconds from the phase's start to its last answer
     * @param latencyMicros per request: closed loop from the send, open loop from the intended send time
     * @param serviceMicros per request from the actual send (the same as latency in the closed loop)
     * @param offeredPerSec open loop: the intended request rate; 0 in the closed loop
     */
    record PhaseResult(Phase phase, long requests, long events, long acceptedEvents, Map<Integer, Long> byStatus,
                       long retryAfter429, long timeouts, long ioErrors, Map<String, Long> ioErrorKinds, long notSent, double seconds, Histogram latencyMicros,
                       Histogram serviceMicros, double offeredPerSec) {
        double acceptedPerSec() {
            return seconds <= 0 ? 0 : acceptedEvents / seconds;
        }

        double requestsPerSec() {
            return seconds <= 0 ? 0 : requests / seconds;
        }

        long status(int code) {
            return byStatus.getOrDefault(code, 0L);
        }

        /** Answers other than 202 and 429, plus timeouts and I/O errors. */
        long errors() {
            long other = 0;
            for (Map.Entry<Integer, Long> e : byStatus.entrySet()) {
                if (e.getKey() != 202 && e.getKey() != 429) {
                    other += e.getValue();
                }
            }
            return other + timeouts + ioErrors;
        }
    }

    /** What reading the events topic back found. */
    record ReadBack(long recordsOfRun, long accepted, long found, long lost, long duplicates, long onTopicNotAccepted,
                    long baselineAcked, long baselineLost, double seconds) {}

    /** A run. */
    record Result(Baseline baseline, PhaseResult single, PhaseResult batch, PhaseResult open, PhaseResult saturation,
                  Map<String, Long> saturationServerCounts, ReadBack readBack, boolean templated,
                  Map<String, Double> singleCpuMicrosPerRequestByThreadGroup) {
        double singleRatio() {
            return baseline.perSec() <= 0 ? 0 : single.acceptedPerSec() / baseline.perSec();
        }

        double batchRatio() {
            return baseline.perSec() <= 0 ? 0 : batch.acceptedPerSec() / baseline.perSec();
        }

        boolean openGoalMet() {
            return open.latencyMicros().getTotalCount() > 0 && open.latencyMicros().getValueAtPercentile(99.0) <= GOAL_P99_MS * 1000;
        }

        /** Beyond saturation, 429s and nothing worse. */
        boolean saturationGoalMet() {
            return saturation.status(429) > 0 && saturation.errors() == 0;
        }
    }

    /** Which sequence numbers of each phase were accepted (or acknowledged, for the baseline). Thread-safe. */
    static final class Ledger {
        private final Map<Phase, BitSet> accepted = new EnumMap<>(Phase.class);

        void mark(Phase phase, long from, int count) {
            synchronized (accepted) {
                accepted.computeIfAbsent(phase, p -> new BitSet()).set((int) from, (int) (from + count));
            }
        }

        BitSet of(Phase phase) {
            synchronized (accepted) {
                return (BitSet) accepted.getOrDefault(phase, new BitSet()).clone();
            }
        }
    }

    /** Which HTTP client the bench sends with. */
    enum Client {
        /** {@link Http1Connections}: plain keep-alive sockets, one write per request. */
        SOCKET,
        /** {@code java.net.http.HttpClient}, one shared by every sender (the bench's client before 2026-12-02). */
        JDK
    }

    // ---------------------------------------------------------------------------------------------
    // The run

    /** A fresh run tag: the id prefix of this run's events. */
    static String runTag() {
        return "ingest-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Result run(Map<String, Object> clientConfig, Settings s, AtomicLong completed) throws Exception {
        IngestEvents events = new IngestEvents(runTag());
        if (!events.templated) {
            System.out.println("  note: the structured JSON is built by the codec for every event (the template did not match it)");
        }
        Ledger ledger = new Ledger();
        String token = "bench-" + UUID.randomUUID();
        IngestConfig runs = IngestConfig.defaults();
        IngestConfig defaults = runs.withThreads(s.ingestThreads(), runs.queue());
        Duration phase = Duration.ofSeconds(s.seconds());

        System.out.printf("  baseline: %,d records straight to %s (the ingest's producer settings), at most %d s%n", s.events(),
                Topics.EVENTS, s.seconds());
        Baseline baseline = IngestBaseline.run(IngestBaseline.producerConfig(clientConfig, defaults), events, s.events(), phase, ledger,
                completed);
        System.out.printf("  baseline: %,.0f events/s (%,d acknowledged, %,d failed, %d bytes per record)%n", baseline.perSec(),
                baseline.acked(), baseline.failed(), baseline.recordBytes());

        PhaseResult single;
        PhaseResult batch;
        PhaseResult open;
        Map<String, Double> singleByGroup;
        try (BenchIngest ingest = BenchIngest.start(clientConfig, token, defaults);
             IngestTarget target = IngestTarget.of(s.client(), ingest.port(), token)) {
            if (s.warmupSeconds() > 0) {
                System.out.printf("  warm-up: %d clients, single events, %d s (not measured)%n", s.clients(), s.warmupSeconds());
                IngestLoad.closedLoop(target, Phase.WARMUP, events, s.clients(), 1, Duration.ofSeconds(s.warmupSeconds()), s.maxPhaseEvents(),
                        ledger, completed);
            }
            System.out.printf("  closed loop: %d clients, single events, %d s%n", s.clients(), s.seconds());
            ThreadCpu singleCpu = ThreadCpu.start();
            single = IngestLoad.closedLoop(target, Phase.SINGLE, events, s.clients(), 1, phase, s.maxPhaseEvents(), ledger, completed);
            singleByGroup = ThreadCpu.perUnit(singleCpu.nanosByGroup(), single.requests());
            print(single);
            System.out.printf("  this JVM's CPU per single-event request by thread group (µs; the clients are the harness): %s%n", singleByGroup);
            System.out.printf("  closed loop: %d clients, batches of %d, %d s%n", s.clients(), s.batch(), s.seconds());
            batch = IngestLoad.closedLoop(target, Phase.BATCH, events, s.clients(), s.batch(), phase, s.maxPhaseEvents(), ledger,
                    completed);
            print(batch);
            double openRate = Math.max(1, s.openFraction() * single.requestsPerSec());
            System.out.printf("  open loop: single events at %,.0f/s (%.0f%% of the closed loop's %,.0f/s), %d senders, %d s%n", openRate,
                    100 * s.openFraction(), single.requestsPerSec(), s.openSenders(), s.seconds());
            open = IngestLoad.openLoop(target, Phase.OPEN, events, openRate, s.openSenders(), phase, ledger, completed,
                    s.maxPhaseEvents());
            print(open);
        }

        IngestConfig small = defaults.withLimits(1024, 1024, 1, s.saturationInFlightBytes());
        PhaseResult saturation;
        Map<String, Long> serverCounts;
        try (BenchIngest ingest = BenchIngest.start(clientConfig, token, small);
             IngestTarget target = IngestTarget.of(s.client(), ingest.port(), token)) {
            double rate = Math.max(10, s.saturationFactor() * single.requestsPerSec());
            System.out.printf("  beyond saturation: single events at %,.0f/s (%.1fx the closed loop), %d senders, in-flight bound %,d bytes, %d s%n",
                    rate, s.saturationFactor(), s.saturationClients(), s.saturationInFlightBytes(), s.seconds());
            saturation = IngestLoad.openLoop(target, Phase.SATURATION, events, rate, s.saturationClients(), phase, ledger, completed,
                    s.maxPhaseEvents());
            print(saturation);
            serverCounts = ingest.eventsByResult();
        }

        ReadBack readBack = IngestReadBack.read(clientConfig, events, ledger,
                List.of(Phase.WARMUP, Phase.SINGLE, Phase.BATCH, Phase.OPEN, Phase.SATURATION));
        System.out.printf("  read back: %,d of %,d accepted events on %s, lost %,d, duplicates %,d, on the topic without a 202 %,d "
                        + "(baseline: %,d acknowledged, %,d missing)%n", readBack.found(), readBack.accepted(), Topics.EVENTS, readBack.lost(),
                readBack.duplicates(), readBack.onTopicNotAccepted(), readBack.baselineAcked(), readBack.baselineLost());
        return new Result(baseline, single, batch, open, saturation, serverCounts, readBack, events.templated, singleByGroup);
    }

    private static void print(PhaseResult r) {
        Histogram h = r.latencyMicros();
        System.out.printf("    %s: %,d requests, %,.0f accepted events/s (%,.0f requests/s%s); latency p50 %.2f / p99 %.2f / p99.9 %.2f ms; "
                        + "statuses %s, 429 with Retry-After %,d, timeouts %,d, I/O errors %,d%s%n",
                r.phase().name().toLowerCase(java.util.Locale.ROOT), r.requests(), r.acceptedPerSec(), r.requestsPerSec(),
                r.offeredPerSec() > 0 ? String.format(", offered %,.0f/s", r.offeredPerSec()) : "",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0,
                r.byStatus(), r.retryAfter429(), r.timeouts(), r.ioErrors(), r.notSent() > 0 ? ", not sent " + r.notSent() : "");
    }
}
