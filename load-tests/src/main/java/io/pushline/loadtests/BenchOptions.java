package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Options every scenario has. */
final class BenchOptions {
    @Option(names = "--report", paramLabel = "DIR", required = true, description = "Where to write report.json and report.html.")
    Path report;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Use this Kafka cluster instead of starting a local broker.")
    String bootstrapServers;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "6", description = "Partitions of Pushline's topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--in-flight", paramLabel = "N", defaultValue = "512", description = "Pushes in flight per lane (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".pushline/bench", description = "Broker and state-store data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30", description = "Give up after this many minutes (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    void validate(picocli.CommandLine commandLine) {
        if (partitions < 1 || partitions > 1000) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--partitions must be between 1 and 1000, was " + partitions);
        }
        if (inFlight < 1 || inFlight > 100_000) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--in-flight must be between 1 and 100000, was " + inFlight);
        }
        if (timeoutMinutes < 1 || timeoutMinutes > 24 * 60) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--timeout must be between 1 and 1440 minutes, was " + timeoutMinutes);
        }
        if (bootstrapServers != null && bootstrapServers.isBlank()) {
            throw new picocli.CommandLine.ParameterException(commandLine, "--bootstrap-servers must not be blank");
        }
    }

    Duration timeout() {
        return Duration.ofMinutes(timeoutMinutes);
    }

    Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("partitions", partitions);
        params.put("inFlightPerLane", inFlight);
        params.put("broker", bootstrapServers == null ? "local KRaft child process" : bootstrapServers);
        return params;
    }

    /** Starts the stack without the coordinators (the fanout scenarios do not use them). */
    LocalStack startStack() {
        return startStack(false);
    }

    /** Starts the stack; an unreachable --bootstrap-servers fails fast, before anything else starts. */
    LocalStack startStack(boolean coordinators) {
        return startStack(coordinators, LocalStack.Options.DEFAULT_COORDINATOR_COMMIT_INTERVAL);
    }

    /** Starts the stack with the coordinators committing every {@code commitInterval}. */
    LocalStack startStack(boolean coordinators, Duration commitInterval) {
        requireReachableBroker();
        Path runDir = dataDir.toAbsolutePath().resolve("run-" + Instant.now().toEpochMilli());
        LocalStack stack = LocalStack.start(new LocalStack.Options(bootstrapServers, 0, runDir, partitions, inFlight,
                coordinators, commitInterval), System.out);
        // Ctrl-C or SIGTERM: stop the roles, the mocks and, last, the broker child process (close() is idempotent).
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "pushline-bench-shutdown"));
        return stack;
    }

    /** With --bootstrap-servers, fails fast if that cluster does not answer within 10 s; without it, does nothing. */
    void requireReachableBroker() {
        if (bootstrapServers == null) {
            return;
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers, "request.timeout.ms", 5000,
                "default.api.timeout.ms", 10_000))) {
            admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " within 10 s ("
                    + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName() + ")");
        }
    }
}
