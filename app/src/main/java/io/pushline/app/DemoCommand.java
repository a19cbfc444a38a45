package io.pushline.app;

import io.pushline.localstack.Demo;
import io.pushline.localstack.LocalStack;
import io.pushline.pipeline.Pipeline;
import io.pushline.observability.OpsServer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pushline demo}: a real broker, every role, the mock providers, a seeded social graph, and a verdict. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Starts a real single-node Kafka broker (KRaft, child process), every Pushline role and the mock push",
                "providers; seeds a social graph, publishes events, and checks that every expected push arrived once.",
                "With --brokers 3, a replicated local cluster (RF 3, min ISR 2): kill one broker to watch failover.",
                "Exits 0 only when nothing was lost and nothing was duplicated."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Brokers of a local cluster at most: each is a JVM, and five already show every failure a cluster has. */
    static final int MAX_BROKERS = 5;

    /** The demo reads consumer lag more often than {@code pushline run} (10 s), so the dashboard's lag moves visibly. */
    private static final Duration LAG_INTERVAL = Duration.ofSeconds(2);

    @Option(names = "--users", paramLabel = "N", description = "Users to seed (default: ${DEFAULT-VALUE}).", defaultValue = "10000")
    int users;

    @Option(names = "--devices", paramLabel = "N", description = "Devices to seed, at least one per user (default: ${DEFAULT-VALUE}).", defaultValue = "25000")
    int devices;

    @Option(names = "--posts", paramLabel = "N", description = "Timeline posts to fan out, one per popular author (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int posts;

    @Option(names = "--likes", paramLabel = "N", description = "Likes of the authors' posts, each run by a like coordinator (default: ${DEFAULT-VALUE}).", defaultValue = "200")
    int likes;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed of the social graph (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions of Pushline's topics (default: ${DEFAULT-VALUE}).", defaultValue = "6")
    int partitions;

    @Option(names = "--brokers", paramLabel = "N", defaultValue = "1",
            description = {"Kafka brokers to run, 1 to " + MAX_BROKERS + " (default: ${DEFAULT-VALUE}). More than 1 runs a local cluster",
                    "(each broker a KRaft broker and controller in its own child process); Pushline's topics are then",
                    "replicated min(3, N) times with min ISR RF - 1. Each broker's id, address and pid are printed."})
    int brokers;

    @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "19092",
            description = {"Port of the demo broker on 127.0.0.1; 0 picks free ones (default: ${DEFAULT-VALUE}). With --brokers N,",
                    "broker i listens on PORT + i - 1 and its controller on PORT + N + i - 1."})
    int kafkaPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = {"Where the broker(s) and state stores keep their data, one run-* directory per run",
            "(with --brokers N, kafka/node-1 ... node-N in it) (default: ${DEFAULT-VALUE})."}, defaultValue = ".pushline/demo")
    Path dataDir;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Give up when delivery takes longer, ISO-8601 or like 5m, 90s (default: ${DEFAULT-VALUE}).", defaultValue = "10m")
    String timeout;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as one JSON object to FILE.")
    Path summaryJson;

    @Option(names = "--http-address", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:9400",
            description = {"Where to serve the live dashboard, /metrics and /health/* while the demo runs",
                    "(default: ${DEFAULT-VALUE}; port 0 picks a free one; off serves nothing)."})
    String httpAddress;

    @Option(names = "--keep-running", description = "Keep the broker and every role running after the summary, until Ctrl-C.")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Duration deadline = validate();
        InetSocketAddress http;
        try {
            http = RunCommand.parseHttpAddress(httpAddress);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--http-address: " + e.getMessage());
        }
        PrintStream out = System.out;
        Instant started = Instant.now();
        Path runDir = dataDir.toAbsolutePath().resolve("run-" + started.toEpochMilli());
        LocalStack[] stackRef = new LocalStack[1];
        Thread hook = new Thread(() -> {
            synchronized (stackRef) {
                if (stackRef[0] != null) {
                    stackRef[0].close();
                }
            }
        }, "pushline-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.printf("Pushline demo: %,d users, %,d devices, %d timeline posts%n", users, devices, posts);
            LocalStack stack;
            synchronized (stackRef) {
                stack = LocalStack.start(new LocalStack.Options(null, kafkaPort, runDir, partitions, 512)
                        .withLagInterval(LAG_INTERVAL).withBrokers(brokers)
                        .withTuning(Pipeline.Tuning.NONE.topology(t -> t.withTimelineCap(Demo.TIMELINE_CAP))), out);
                stackRef[0] = stack;
            }
            if (http != null) {
                // Closed with the stack (it owns the registry the page reads); an address in use stops the demo here.
                OpsServer ops = stack.own(OpsServer.start(http, stack.registry(), () -> null));
                out.printf("  dashboard: http://%s:%d/%n", http.getHostString(), ops.port());
                out.printf("  metrics at http://%s:%d/metrics (Prometheus), health at /health/live and /health/ready%n",
                        http.getHostString(), ops.port());
            }
            Demo.Outcome outcome = Demo.run(stack, new Demo.Plan(users, devices, posts, likes, seed), deadline, started, out);
            Map<String, Object> summary = outcome.summary();
            boolean ok = outcome.allDeliveredOnce();
            printSummary(out, summary);
            if (summaryJson != null) {
                Path parent = summaryJson.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(summaryJson.toFile(), summary);
                out.println("  summary written to " + summaryJson);
            }
            out.println(ok ? "ALL-PUSHES-DELIVERED-ONCE" : "DELIVERY-FAILED");
            if (keepRunning) {
                out.printf("  still running (broker at %s); Ctrl-C to stop%n", stack.bootstrapServers());
                new java.util.concurrent.CountDownLatch(1).await();
            }
            return ok ? 0 : 1;
        } finally {
            synchronized (stackRef) {
                if (stackRef[0] != null) {
                    stackRef[0].close();
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    private Duration validate() {
        if (users < 2) {
            throw new ParameterException(spec.commandLine(), "--users must be at least 2, was " + users);
        }
        if (devices < users) {
            throw new ParameterException(spec.commandLine(), "--devices must be at least --users (" + users + "), was " + devices);
        }
        if (likes < 0 || likes > 100_000) {
            throw new ParameterException(spec.commandLine(), "--likes must be between 0 and 100000, was " + likes);
        }
        if (posts < 1 || posts > users) {
            throw new ParameterException(spec.commandLine(), "--posts must be between 1 and --users (" + users + "), was " + posts);
        }
        if (partitions < 1 || partitions > 1000) {
            throw new ParameterException(spec.commandLine(), "--partitions must be between 1 and 1000, was " + partitions);
        }
        if (brokers < 1 || brokers > MAX_BROKERS) {
            throw new ParameterException(spec.commandLine(), "--brokers must be between 1 and " + MAX_BROKERS + ", was " + brokers);
        }
        if (kafkaPort < 0 || kafkaPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--kafka-port must be between 0 and 65535, was " + kafkaPort);
        }
        if (brokers > 1 && kafkaPort != 0 && kafkaPort + 2 * brokers - 1 > 65535) {
            throw new ParameterException(spec.commandLine(), "--kafka-port " + kafkaPort + " leaves no room for the "
                    + 2 * brokers + " ports of " + brokers + " brokers (PORT to PORT + " + (2 * brokers - 1) + ")");
        }
        try {
            return Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
    }

    private static void printSummary(PrintStream out, Map<String, Object> summary) {
        out.println();
        out.println("  Summary");
        summary.forEach((k, v) -> out.printf("    %-20s %s%n", k, v instanceof Number n ? String.format("%,d", n.longValue()) : v));
    }
}
