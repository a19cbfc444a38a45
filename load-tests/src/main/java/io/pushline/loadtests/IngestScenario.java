package io.pushline.loadtests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Topics;
import io.pushline.credentials.BearerTokens;
import io.pushline.ingest.IngestConfig;
import io.pushline.ingest.IngestMetrics;
import io.pushline.ingest.IngestServer;
import io.pushline.ingest.Publishers;
import io.pushline.loadtests.report.ProgressBar;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

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
                  Map<String, Long> saturationServerCounts, ReadBack readBack, boolean templated) {
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

    // ---------------------------------------------------------------------------------------------
    // Events

    /** The run's events: ids {@code RUN-LETTER-SEQ}, alternately a follow and a like. */
    static final class Events {
        final String run;
        private final CloudEventCodec codec = new CloudEventCodec();
        /** Whether the hand-built structured JSON is checked to carry the codec's exact data bytes (else the codec builds each). */
        final boolean templated;

        Events(String run) {
            this.run = run;
            boolean same = true;
            for (long seq = 0; seq < 4; seq++) {
                byte[] viaCodec = codec.toRecord(Topics.EVENTS, Envelope.of("x", SOURCE, Instant.now(), data(seq))).value();
                same &= new String(viaCodec, StandardCharsets.UTF_8).equals(dataJson(seq));
            }
            this.templated = same;
        }

        String id(Phase phase, long seq) {
            return run + "-" + phase.letter + "-" + seq;
        }

        static EventData data(long seq) {
            long a = seq % 100_000;
            long b = (seq * 7919 + 1) % 100_000;
            return seq % 2 == 0 ? new FollowCreated("user-" + a, "user-" + b)
                    : new LikeCreated("user-" + a, "post-" + seq, "user-" + b);
        }

        /** The data exactly as the codec writes it (checked in the constructor). */
        static String dataJson(long seq) {
            long a = seq % 100_000;
            long b = (seq * 7919 + 1) % 100_000;
            return seq % 2 == 0 ? "{\"followerId\":\"user-" + a + "\",\"followeeId\":\"user-" + b + "\"}"
                    : "{\"actorId\":\"user-" + a + "\",\"postId\":\"post-" + seq + "\",\"postOwnerId\":\"user-" + b + "\"}";
        }

        ProducerRecord<String, byte[]> record(Phase phase, long seq) {
            return codec.toRecord(Topics.EVENTS, Envelope.of(id(phase, seq), SOURCE, Instant.now(), data(seq)));
        }

        /** One event in structured mode. */
        void structured(StringBuilder out, Phase phase, long seq, String time) {
            EventData data = data(seq);
            String json = templated ? dataJson(seq)
                    : new String(codec.toRecord(Topics.EVENTS, Envelope.of(id(phase, seq), SOURCE, Instant.now(), data)).value(),
                    StandardCharsets.UTF_8);
            out.append("{\"specversion\":\"1.0\",\"id\":\"").append(id(phase, seq)).append("\",\"source\":\"").append(SOURCE)
                    .append("\",\"type\":\"").append(data.type().ceType())
                    .append("\",\"time\":\"").append(time).append("\",\"datacontenttype\":\"application/json\",\"data\":")
                    .append(json).append('}');
        }

        /** A request body: one event, or a batch of {@code count} from {@code seq}. */
        byte[] body(Phase phase, long seq, int count, boolean batch) {
            StringBuilder out = new StringBuilder(batch ? 256 * count : 256);
            String time = Instant.now().toString();
            if (!batch) {
                structured(out, phase, seq, time);
            } else {
                out.append('[');
                for (int i = 0; i < count; i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    structured(out, phase, seq + i, time);
                }
                out.append(']');
            }
            return out.toString().getBytes(StandardCharsets.UTF_8);
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

    // ---------------------------------------------------------------------------------------------
    // Baseline

    static Baseline baseline(Map<String, Object> producerConfig, Events events, int count, Duration limit, Ledger ledger,
                             AtomicLong completed) throws InterruptedException {
        // Warm-up: a tenth (at most 20,000) unmeasured, so that metadata, connections and the JIT are ready.
        int warmup = Math.min(20_000, Math.max(100, count / 10));
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(events.record(Phase.BASELINE, i));
        }
        ProducerRecord<String, byte[]> sample = records.get(0);
        int recordBytes = sample.value().length + sample.key().length();
        for (Header h : sample.headers()) {
            recordBytes += h.key().length() + h.value().length;
        }
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastAck = new AtomicLong();
        long sent = 0;
        long start;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < warmup; i++) {
                producer.send(events.record(Phase.BASELINE_WARMUP, i));
            }
            producer.flush();
            ProgressBar bar = new ProgressBar(System.out, "kafka produce (baseline)", count);
            start = System.nanoTime();
            long end = start + limit.toNanos();
            for (int i = 0; i < count; i++) {
                if ((i & 1023) == 0) {
                    if (System.nanoTime() - end > 0) {
                        break;
                    }
                    bar.update(acked.get());
                }
                int seq = i;
                try {
                    producer.send(records.get(i), (metadata, error) -> {
                        if (error == null) {
                            acked.incrementAndGet();
                            completed.incrementAndGet();
                            ledger.mark(Phase.BASELINE, seq, 1);
                        } else {
                            failed.incrementAndGet();
                        }
                        lastAck.accumulateAndGet(System.nanoTime(), Math::max);
                    });
                    sent++;
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                }
            }
            producer.flush();
            bar.finish(acked.get());
        }
        double seconds = (lastAck.get() - start) / 1e9;
        return new Baseline(sent, acked.get(), failed.get(), seconds, recordBytes);
    }

    // ---------------------------------------------------------------------------------------------
    // HTTP

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

    /** Which HTTP client the bench sends with. */
    enum Client {
        /** {@link Http1Connections}: plain keep-alive sockets, one write per request. */
        SOCKET,
        /** {@code java.net.http.HttpClient}, one shared by every sender (the bench's client before 2026-12-02). */
        JDK
    }

    /** Where and how to POST; {@link #close()} closes its kept-alive connections. */
    record Target(Client client, HttpClient http, Http1Connections sockets, URI uri, String token) implements AutoCloseable {
        static Target of(Client client, int port, String token) {
            URI uri = URI.create("http://127.0.0.1:" + port + IngestServer.PATH);
            if (client == Client.JDK) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
                return new Target(client, http, null, uri, token);
            }
            return new Target(client, null, new Http1Connections(new InetSocketAddress("127.0.0.1", port), IngestServer.PATH, REQUEST_TIMEOUT),
                    uri, token);
        }

        /** Status and Retry-After of one POST. */
        Http1Connections.Answer post(byte[] body, boolean batch) throws IOException, InterruptedException {
            String contentType = batch ? IngestServer.BATCH : IngestServer.SINGLE;
            if (sockets != null) {
                return sockets.post(token, contentType, body);
            }
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            return new Http1Connections.Answer(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null));
        }

        @Override
        public void close() {
            if (sockets != null) {
                sockets.close();
            }
        }
    }

    /** Sends one request and tallies it; latency from {@code intendedNanos}. */
    private static void post(Target target, Phase phase, Events events, long seq, int count, boolean batch, Tally tally,
                             Ledger ledger, AtomicLong completed, long intendedNanos) {
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
    static PhaseResult closedLoop(Target target, Phase phase, Events events, int clients, int batch, Duration length, long maxEvents,
                                  Ledger ledger, AtomicLong completed) throws InterruptedException {
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
     * for a free sender counts its wait. A request whose intended time is more than {@link #REQUEST_TIMEOUT} past the
     * phase's end is not sent (counted as not sent).
     */
    static PhaseResult openLoop(Target target, Phase phase, Events events, double ratePerSec, int senders, Duration length,
                                Ledger ledger, AtomicLong completed, long maxEvents) throws InterruptedException {
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

    // ---------------------------------------------------------------------------------------------
    // Read back

    /** Reads {@code pushline.events} to its end and compares the run's ids found with those accepted. */
    static ReadBack readBack(Map<String, Object> clientConfig, Events events, Ledger ledger, List<Phase> ingestPhases)
            throws InterruptedException {
        long began = System.nanoTime();
        Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-bench-ingest-read-back");
        Map<Phase, BitSet> found = new EnumMap<>(Phase.class);
        long duplicates = 0;
        long ofRun = 0;
        String prefix = events.run + "-";
        Instant deadline = Instant.now().plus(READ_BACK_LIMIT);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.EVENTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(Topics.EVENTS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long total = end.values().stream().mapToLong(Long::longValue).sum();
            ProgressBar bar = new ProgressBar(System.out, "read back pushline.events", total);
            long read = 0;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("could not read " + Topics.EVENTS + " to its end within " + READ_BACK_LIMIT);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    Header h = r.headers().lastHeader("ce_id");
                    if (h == null || h.value() == null) {
                        continue;
                    }
                    String id = new String(h.value(), StandardCharsets.UTF_8);
                    if (!id.startsWith(prefix) || id.length() < prefix.length() + 3) {
                        continue;
                    }
                    Phase phase = Phase.of(id.charAt(prefix.length()));
                    if (phase == null) {
                        continue;
                    }
                    int seq;
                    try {
                        seq = Integer.parseInt(id.substring(prefix.length() + 2));
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    ofRun++;
                    BitSet bits = found.computeIfAbsent(phase, p -> new BitSet());
                    if (bits.get(seq)) {
                        duplicates++;
                    }
                    bits.set(seq);
                }
                bar.update(read);
            }
            bar.finish(read);
        }
        long accepted = 0;
        long foundAccepted = 0;
        long lost = 0;
        long notAccepted = 0;
        for (Phase phase : ingestPhases) {
            BitSet a = ledger.of(phase);
            BitSet f = found.getOrDefault(phase, new BitSet());
            BitSet missing = (BitSet) a.clone();
            missing.andNot(f);
            BitSet both = (BitSet) a.clone();
            both.and(f);
            BitSet extra = (BitSet) f.clone();
            extra.andNot(a);
            accepted += a.cardinality();
            foundAccepted += both.cardinality();
            lost += missing.cardinality();
            notAccepted += extra.cardinality();
        }
        BitSet baselineAcked = ledger.of(Phase.BASELINE);
        BitSet baselineMissing = (BitSet) baselineAcked.clone();
        baselineMissing.andNot(found.getOrDefault(Phase.BASELINE, new BitSet()));
        return new ReadBack(ofRun, accepted, foundAccepted, lost, duplicates, notAccepted, baselineAcked.cardinality(),
                baselineMissing.cardinality(), (System.nanoTime() - began) / 1e9);
    }

    // ---------------------------------------------------------------------------------------------
    // The ingest under test

    /** The name of the bench's one publisher. */
    static final String PUBLISHER = "bench";

    /**
     * The HTTP ingest as {@code pushline run} serves it, through its public API, on 127.0.0.1 (a free port): one
     * publisher with {@code token}, allowed every publishable type at no rate limit; {@code config} differs from
     * {@code pushline run}'s only where the bench asks (handler threads; the saturation phase's limits).
     */
    record Ingest(IngestServer server, MeterRegistry registry) implements AutoCloseable {
        static Ingest start(Map<String, Object> clientConfig, String token, IngestConfig config) {
            ObjectNode publisher = new ObjectMapper().createObjectNode().put("name", PUBLISHER).put("token", token).put("eventsPerSecond", 0);
            publisher.putArray("types").add("*");
            ObjectNode file = new ObjectMapper().createObjectNode();
            file.putArray("publishers").add(publisher);
            Publishers publishers;
            try {
                publishers = Publishers.parse(file.toString(), System::nanoTime);
            } catch (BearerTokens.Invalid e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            MeterRegistry registry = new SimpleMeterRegistry();
            return new Ingest(IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, publishers, clientConfig, registry), registry);
        }

        int port() {
            return server.port();
        }

        /** The ingest's own count of events by result ({@code accepted}, {@code saturated}, {@code failed}, ...). */
        Map<String, Long> eventsByResult() {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (Counter c : registry.find(IngestMetrics.INGEST_EVENTS).counters()) {
                counts.merge(c.getId().getTag("result"), (long) c.count(), Long::sum);
            }
            return counts;
        }

        /** Answers new requests 503, lets those in flight finish, then closes the socket and the producer. */
        @Override
        public void close() {
            server.close();
        }
    }

    /** The ingest's own producer settings, for a baseline that writes the same records straight to Kafka. */
    static Map<String, Object> baselineProducerConfig(Map<String, Object> clientConfig, IngestConfig config) {
        Map<String, Object> p = IngestServer.producerConfig(clientConfig, config);
        p.put("client.id", "pushline-bench-baseline");
        return p;
    }

    // ---------------------------------------------------------------------------------------------
    // The run

    /** A fresh run tag: the id prefix of this run's events. */
    static String runTag() {
        return "ingest-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Result run(Map<String, Object> clientConfig, Settings s, AtomicLong completed) throws Exception {
        Events events = new Events(runTag());
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
        Baseline baseline = baseline(baselineProducerConfig(clientConfig, defaults), events, s.events(), phase, ledger, completed);
        System.out.printf("  baseline: %,.0f events/s (%,d acknowledged, %,d failed, %d bytes per record)%n", baseline.perSec(),
                baseline.acked(), baseline.failed(), baseline.recordBytes());

        PhaseResult single;
        PhaseResult batch;
        PhaseResult open;
        try (Ingest ingest = Ingest.start(clientConfig, token, defaults);
             Target target = Target.of(s.client(), ingest.port(), token)) {
            if (s.warmupSeconds() > 0) {
                System.out.printf("  warm-up: %d clients, single events, %d s (not measured)%n", s.clients(), s.warmupSeconds());
                closedLoop(target, Phase.WARMUP, events, s.clients(), 1, Duration.ofSeconds(s.warmupSeconds()), s.maxPhaseEvents(), ledger,
                        completed);
            }
            System.out.printf("  closed loop: %d clients, single events, %d s%n", s.clients(), s.seconds());
            single = closedLoop(target, Phase.SINGLE, events, s.clients(), 1, phase, s.maxPhaseEvents(), ledger, completed);
            print(single);
            System.out.printf("  closed loop: %d clients, batches of %d, %d s%n", s.clients(), s.batch(), s.seconds());
            batch = closedLoop(target, Phase.BATCH, events, s.clients(), s.batch(), phase, s.maxPhaseEvents(), ledger, completed);
            print(batch);
            double openRate = Math.max(1, s.openFraction() * single.requestsPerSec());
            System.out.printf("  open loop: single events at %,.0f/s (%.0f%% of the closed loop's %,.0f/s), %d senders, %d s%n", openRate,
                    100 * s.openFraction(), single.requestsPerSec(), s.openSenders(), s.seconds());
            open = openLoop(target, Phase.OPEN, events, openRate, s.openSenders(), phase, ledger, completed, s.maxPhaseEvents());
            print(open);
        }

        IngestConfig small = defaults.withLimits(1024, 1024, 1, s.saturationInFlightBytes());
        PhaseResult saturation;
        Map<String, Long> serverCounts;
        try (Ingest ingest = Ingest.start(clientConfig, token, small);
             Target target = Target.of(s.client(), ingest.port(), token)) {
            double rate = Math.max(10, s.saturationFactor() * single.requestsPerSec());
            System.out.printf("  beyond saturation: single events at %,.0f/s (%.1fx the closed loop), %d senders, in-flight bound %,d bytes, %d s%n",
                    rate, s.saturationFactor(), s.saturationClients(), s.saturationInFlightBytes(), s.seconds());
            saturation = openLoop(target, Phase.SATURATION, events, rate, s.saturationClients(), phase, ledger, completed, s.maxPhaseEvents());
            print(saturation);
            serverCounts = ingest.eventsByResult();
        }

        ReadBack readBack = readBack(clientConfig, events, ledger, List.of(Phase.WARMUP, Phase.SINGLE, Phase.BATCH, Phase.OPEN, Phase.SATURATION));
        System.out.printf("  read back: %,d of %,d accepted events on %s, lost %,d, duplicates %,d, on the topic without a 202 %,d "
                        + "(baseline: %,d acknowledged, %,d missing)%n", readBack.found(), readBack.accepted(), Topics.EVENTS, readBack.lost(),
                readBack.duplicates(), readBack.onTopicNotAccepted(), readBack.baselineAcked(), readBack.baselineLost());
        return new Result(baseline, single, batch, open, saturation, serverCounts, readBack, events.templated);
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
