package io.pushline.loadtests;

import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.TopicSpec;
import io.pushline.contracts.Replication;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.LatencyMs;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import io.pushline.localkafka.LocalBroker;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import static io.pushline.loadtests.Reports.latencyFigure;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/** {@code pushline bench ingest}: the HTTP ingest's accepted events/s against raw Kafka produce, in the same run. */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The HTTP ingest (POST /v1/events on 127.0.0.1) against raw Kafka produce of the same events in the",
                "same run. Baseline: --events FollowCreated/LikeCreated records straight to pushline.events with the ingest's",
                "producer settings (idempotent, acks=all). Then, each for --seconds: --clients closed-loop clients POSTing",
                "single events, then batches of --batch; an open loop of single events at --open-fraction of the closed",
                "loop's rate (latency from the intended send time); and a second ingest with a small in-flight bound offered",
                "--saturation-factor times the closed loop's rate. Last, every id answered 202 is looked for on",
                "pushline.events. Goals: ratio >= 0.5, open-loop p99 <= 20 ms, beyond saturation 429s and no errors or",
                "timeouts. Only a broker runs (no pipeline role). With the defaults it takes about 3 minutes."})
final class IngestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--events", paramLabel = "N", defaultValue = "100000", description = "Baseline records, 1000..10000000 (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "30",
            description = "Seconds of each ingest phase, and the most the baseline may take, 1..3600 (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--clients", paramLabel = "C", defaultValue = "32", description = "Closed-loop HTTP clients, 1..1024 (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "50", description = "Events per batch request, 2..500 (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "5",
            description = "Unmeasured closed loop of single events first, 0..600 (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--max-phase-events", paramLabel = "N", defaultValue = "5000000",
            description = "Most events per ingest phase, 100..100000000 (default: ${DEFAULT-VALUE}).")
    long maxPhaseEvents;

    @Option(names = "--open-fraction", paramLabel = "F", defaultValue = "0.5",
            description = "Open-loop rate as a fraction of the closed loop's requests/s, 0.01..0.99 (default: ${DEFAULT-VALUE}).")
    double openFraction;

    @Option(names = "--saturation-factor", paramLabel = "X", defaultValue = "3",
            description = "Rate beyond saturation as a multiple of the closed loop's requests/s, 1.1..50 (default: ${DEFAULT-VALUE}).")
    double saturationFactor;

    @Option(names = "--saturation-clients", paramLabel = "N", defaultValue = "256",
            description = "Senders beyond saturation, 1..2048 (default: ${DEFAULT-VALUE}).")
    int saturationClients;

    @Option(names = "--saturation-in-flight-bytes", paramLabel = "BYTES", defaultValue = "4096",
            description = "The saturation ingest's in-flight byte bound, 1024..33554432 (default: ${DEFAULT-VALUE}; pushline run's is 32 MiB).")
    int saturationInFlightBytes;

    @Option(names = "--ingest-threads", paramLabel = "N", defaultValue = "16",
            description = "The ingest's request-handling threads, 1..1024 (default: ${DEFAULT-VALUE}, pushline run's).")
    int ingestThreads;

    @Option(names = "--client", paramLabel = "socket|jdk", defaultValue = "socket",
            description = {"The senders' HTTP client: socket (keep-alive sockets, one write per request; default) or jdk (one shared",
                    "java.net.http.HttpClient, which itself tops out near 1,200 requests/s on 2 cores: the bench's client before)."})
    String client;

    @Override
    public Integer call() throws Exception {
        validate();
        IngestScenario.Settings settings = new IngestScenario.Settings(events, seconds, clients, batch, warmupSeconds, maxPhaseEvents,
                openFraction, saturationFactor, saturationClients, saturationInFlightBytes, ingestThreads, client());
        System.out.printf("pushline bench ingest: %,d records straight to Kafka, then %d s each of %d HTTP clients (single events, "
                + "batches of %d), an open loop and beyond saturation%n", events, seconds, clients, batch);
        String loadBefore = loadAverage();
        Instant start = Instant.now();
        Recording recording = new Recording();
        AtomicLong completed = new AtomicLong();
        LocalBroker broker = null;
        try {
            Map<String, Object> clientConfig = new HashMap<>();
            if (options.bootstrapServers != null) {
                clientConfig.put("bootstrap.servers", options.bootstrapServers);
                options.requireReachableBroker();
                System.out.printf("  using the Kafka cluster at %s%n", options.bootstrapServers);
            } else {
                Path runDir = options.dataDir.toAbsolutePath().resolve("run-" + Instant.now().toEpochMilli());
                Files.createDirectories(runDir);
                System.out.print("  starting Kafka broker (KRaft, child process) ... ");
                LocalBroker b = LocalBroker.builder().port(0).controllerPort(0).dataDir(runDir.resolve("kafka")).shutdownHook(false).build();
                broker = b;
                Runtime.getRuntime().addShutdownHook(new Thread(b::close, "pushline-bench-shutdown"));
                b.start();
                clientConfig.putAll(b.clientConfig());
                System.out.printf("up at %s (pid %d)%n", b.bootstrapServers(), b.pid());
            }
            try (Admin admin = Admin.create(clientConfig)) {
                Replication replication = Replication.Choice.AUTO.resolve(admin, Duration.ofSeconds(60));
                List<TopicSpec> eventsTopic = Topics.catalogue(options.partitions, replication).stream()
                        .filter(t -> t.name().equals(Topics.EVENTS)).toList();
                new TopicProvisioner(admin, Duration.ofSeconds(60)).ensure(eventsTopic);
            }
            IngestScenario.Result r;
            try (Sampler ignored = new Sampler(recording, completed::get, null)) {
                r = IngestScenario.run(clientConfig, settings, completed);
            }
            // The headline latency is the open loop's (the goal's), from each request's intended send time.
            Histogram openLatency = r.open().latencyMicros();
            recording.latencyMicros();
            BenchReport report = report(r, start, recording, openLatency, loadBefore);
            Reports.writeAndShow(options.report, report, recording);
            System.out.printf("  ingest accepted %,.0f events/s single (ratio %.3f), %,.0f events/s in batches of %d (ratio %.3f) against "
                            + "%,.0f/s raw Kafka produce; goal ratio >= %.1f: %s%n", r.single().acceptedPerSec(), r.singleRatio(),
                    r.batch().acceptedPerSec(), batch, r.batchRatio(), r.baseline().perSec(), IngestScenario.GOAL_RATIO,
                    goals(r.singleRatio() >= IngestScenario.GOAL_RATIO, r.batchRatio() >= IngestScenario.GOAL_RATIO));
            System.out.printf("  open loop at %,.0f/s: p50 %s / p99 %s / p99.9 %s ms from the intended send time; goal p99 <= %.0f ms %s%n",
                    r.open().offeredPerSec(), ms(openLatency, 50), ms(openLatency, 99), ms(openLatency, 99.9), IngestScenario.GOAL_P99_MS,
                    r.openGoalMet() ? "met" : "NOT met");
            System.out.printf("  beyond saturation: 202 %,d, 429 %,d (with Retry-After %,d), other statuses %s, timeouts %,d, I/O errors %,d: %s%n",
                    r.saturation().status(202), r.saturation().status(429), r.saturation().retryAfter429(), others(r.saturation()),
                    r.saturation().timeouts(), r.saturation().ioErrors(), r.saturationGoalMet() ? "429s and nothing worse (goal met)"
                            : r.saturation().status(429) == 0 ? "no 429 (not saturated, or refused otherwise): goal NOT met" : "goal NOT met");
            System.out.printf("  every accepted event on %s: %s (%,d of %,d; machine load before %s, after %s)%n", Topics.EVENTS,
                    r.readBack().lost() == 0 ? "yes" : "NO, " + r.readBack().lost() + " lost", r.readBack().found(), r.readBack().accepted(),
                    loadBefore, loadAverage());
            Reports.printWhere(options.report);
            return r.readBack().lost() == 0 && r.readBack().duplicates() == 0 ? 0 : 1;
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    private void validate() {
        options.validate(spec.commandLine());
        between("--events", events, 1000, 10_000_000);
        between("--seconds", seconds, 1, 3600);
        between("--clients", clients, 1, 1024);
        between("--batch", batch, 2, 500);
        between("--warmup-seconds", warmupSeconds, 0, 600);
        between("--max-phase-events", maxPhaseEvents, 100, 100_000_000);
        between("--ingest-threads", ingestThreads, 1, 1024);
        between("--saturation-clients", saturationClients, 1, 2048);
        between("--saturation-in-flight-bytes", saturationInFlightBytes, 1024, 32 << 20);
        if (!client.equals("socket") && !client.equals("jdk")) {
            throw new ParameterException(spec.commandLine(), "--client must be socket or jdk, was " + client);
        }
        if (!(openFraction >= 0.01 && openFraction <= 0.99)) {
            throw new ParameterException(spec.commandLine(), "--open-fraction must be between 0.01 and 0.99, was " + openFraction);
        }
        if (!(saturationFactor >= 1.1 && saturationFactor <= 50)) {
            throw new ParameterException(spec.commandLine(), "--saturation-factor must be between 1.1 and 50, was " + saturationFactor);
        }
        // Baseline (at most --seconds), warm-up, four phases, each phase's stragglers, and the read back.
        long needed = warmupSeconds + 5L * seconds + 4 * IngestScenario.REQUEST_TIMEOUT.toSeconds() + IngestScenario.READ_BACK_LIMIT.toSeconds();
        if (needed > options.timeout().toSeconds()) {
            throw new ParameterException(spec.commandLine(), "--timeout (" + options.timeoutMinutes + " minutes) is too short for the "
                    + "baseline, --warmup-seconds, four phases of --seconds and the read back (" + needed + " s): raise --timeout");
        }
    }

    private IngestScenario.Client client() {
        return client.equals("jdk") ? IngestScenario.Client.JDK : IngestScenario.Client.SOCKET;
    }

    private void between(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), name + " must be between " + min + " and " + max + ", was " + value);
        }
    }

    private BenchReport report(IngestScenario.Result r, Instant start, Recording recording, Histogram openLatency, String loadBefore) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("partitions", options.partitions);
        params.put("broker", options.bootstrapServers == null ? "local KRaft child process" : options.bootstrapServers);
        params.put("baselineEvents", events);
        params.put("secondsPerPhase", seconds);
        params.put("clients", clients);
        params.put("batch", batch);
        params.put("warmupSeconds", warmupSeconds);
        params.put("maxPhaseEvents", maxPhaseEvents);
        params.put("openFraction", openFraction);
        params.put("openSenders", new IngestScenario.Settings(events, seconds, clients, batch, warmupSeconds, maxPhaseEvents, openFraction,
                saturationFactor, saturationClients, saturationInFlightBytes, ingestThreads, client()).openSenders());
        params.put("saturationFactor", saturationFactor);
        params.put("saturationClients", saturationClients);
        params.put("saturationInFlightBytes", saturationInFlightBytes);
        params.put("ingestThreads", ingestThreads);
        params.put("ingestLimits", "pushline run's defaults (queue 256, 32 MiB and 4,096 requests in flight, 16 handler threads unless "
                + "--ingest-threads) "
                + "except beyond saturation (1 KiB bodies, --saturation-in-flight-bytes)");
        params.put("transport", "Netty HTTP/1.1, TCP_NODELAY, answered from the producer's acknowledgement");
        params.put("requestTimeoutMs", IngestScenario.REQUEST_TIMEOUT.toMillis());
        params.put("http", (client() == IngestScenario.Client.JDK ? "java.net.http.HttpClient (one, shared)"
                : "plain sockets, TCP_NODELAY, one write per request") + ", HTTP/1.1, keep-alive, 127.0.0.1");
        params.put("order", "baseline warm-up, baseline, ingest warm-up, closed single, closed batch, open loop, saturation, read back");

        Map<String, Object> figures = new LinkedHashMap<>();
        IngestScenario.Baseline b = r.baseline();
        figures.put("baselineEventsPerSec", round(b.perSec()));
        figures.put("baselineAcked", b.acked());
        figures.put("baselineFailed", b.failed());
        figures.put("baselineSeconds", round3(b.seconds()));
        figures.put("recordBytes", b.recordBytes());
        figures.put("singleAcceptedEventsPerSec", round(r.single().acceptedPerSec()));
        figures.put("singleRatio", round3(r.singleRatio()));
        figures.put("singleCpuMicrosPerRequestByThreadGroup", r.singleCpuMicrosPerRequestByThreadGroup());
        figures.put("batchAcceptedEventsPerSec", round(r.batch().acceptedPerSec()));
        figures.put("batchRatio", round3(r.batchRatio()));
        figures.put("goalRatio", IngestScenario.GOAL_RATIO);
        figures.put("ratioGoalMetSingle", r.singleRatio() >= IngestScenario.GOAL_RATIO);
        figures.put("ratioGoalMetBatch", r.batchRatio() >= IngestScenario.GOAL_RATIO);
        figures.put("closedSingle", phase(r.single()));
        figures.put("closedBatch", phase(r.batch()));
        figures.put("openLoop", phase(r.open()));
        figures.put("openP99Ms", r.open().latencyMicros().getTotalCount() == 0 ? "not measured"
                : r.open().latencyMicros().getValueAtPercentile(99.0) / 1000.0);
        figures.put("goalP99Ms", IngestScenario.GOAL_P99_MS);
        figures.put("openGoalMet", r.openGoalMet());
        figures.put("saturation", phase(r.saturation()));
        figures.put("saturation202", r.saturation().status(202));
        figures.put("saturation429", r.saturation().status(429));
        figures.put("saturation429WithRetryAfter", r.saturation().retryAfter429());
        figures.put("saturation503", r.saturation().status(503));
        figures.put("saturationTimeouts", r.saturation().timeouts());
        figures.put("saturationErrors", r.saturation().errors());
        figures.put("saturationServerEventsByResult", r.saturationServerCounts());
        figures.put("saturationGoalMet", r.saturationGoalMet());
        IngestScenario.ReadBack rb = r.readBack();
        Map<String, Object> readBack = new LinkedHashMap<>();
        readBack.put("accepted", rb.accepted());
        readBack.put("found", rb.found());
        readBack.put("lost", rb.lost());
        readBack.put("duplicates", rb.duplicates());
        readBack.put("onTopicWithoutA202", rb.onTopicNotAccepted());
        readBack.put("recordsOfRun", rb.recordsOfRun());
        readBack.put("baselineAcked", rb.baselineAcked());
        readBack.put("baselineMissing", rb.baselineLost());
        readBack.put("seconds", round3(rb.seconds()));
        figures.put("readBack", readBack);
        figures.put("acceptedEqualsReadBack", rb.accepted() == rb.found());
        figures.put("structuredJsonTemplated", r.templated());
        figures.put("loadAverageBefore", loadBefore);
        figures.put("loadAverageAfter", loadAverage());
        figures.put("note", "throughput: accepted events/s of single-event POSTs in the closed loop; baseline: the same records "
                + "produced straight to pushline.events with the ingest's producer settings; ratio = single / baseline (batchRatio "
                + "beside it); headline latency: the open loop's, from each request's intended send time (coordinated omission "
                + "accounted for); closed-loop latency is per request from its send; the HTTP clients run in the bench JVM on the "
                + "same cores as the ingest and the broker");
        long lost = rb.lost() + rb.baselineLost();
        return new BenchReport("ingest", params, round(r.single().acceptedPerSec()), LatencyMs.of(openLatency),
                new Baseline("kafka-produce-same-records", round(b.perSec())), round3(r.singleRatio()),
                lost, rb.duplicates(), round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(),
                Machine.current(), figures);
    }

    private static Map<String, Object> phase(IngestScenario.PhaseResult p) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("requests", p.requests());
        f.put("events", p.events());
        f.put("acceptedEvents", p.acceptedEvents());
        f.put("acceptedEventsPerSec", round(p.acceptedPerSec()));
        f.put("requestsPerSec", round(p.requestsPerSec()));
        if (p.offeredPerSec() > 0) {
            f.put("offeredRequestsPerSec", round(p.offeredPerSec()));
            f.put("notSent", p.notSent());
        }
        f.put("seconds", round3(p.seconds()));
        Map<String, Object> statuses = new LinkedHashMap<>();
        p.byStatus().forEach((k, v) -> statuses.put(Integer.toString(k), v));
        f.put("byStatus", statuses);
        f.put("retryAfter429", p.retryAfter429());
        f.put("timeouts", p.timeouts());
        f.put("ioErrors", p.ioErrors());
        if (!p.ioErrorKinds().isEmpty()) {
            Map<String, Object> kinds = new LinkedHashMap<>(p.ioErrorKinds());
            f.put("ioErrorKinds", kinds);
        }
        f.put("latencyMs", latencyFigure(LatencyMs.of(p.latencyMicros())));
        if (p.offeredPerSec() > 0) {
            f.put("serviceLatencyMs", latencyFigure(LatencyMs.of(p.serviceMicros())));
        }
        return f;
    }

    private static String ms(Histogram micros, double percentile) {
        return micros.getTotalCount() == 0 ? "-" : String.format("%.2f", micros.getValueAtPercentile(percentile) / 1000.0);
    }

    private static String goals(boolean single, boolean batch) {
        return "single " + (single ? "met" : "NOT met") + ", batch " + (batch ? "met" : "NOT met");
    }

    private static String others(IngestScenario.PhaseResult p) {
        Map<Integer, Long> other = new LinkedHashMap<>(p.byStatus());
        other.remove(202);
        other.remove(429);
        return other.toString();
    }

    /** The 1, 5 and 15 minute load averages, or "unknown" off Linux. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (Exception e) {
            return "unknown";
        }
    }
}
