package io.pushline.localkafka;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link LocalBroker} (and each {@link ClusterNode} of a {@link LocalCluster}) runs its child JVMs in one data dir: Kafka's storage tool, run to completion to format a new
 * data dir, and the broker itself. The command line, launching with the output appended to the log file after a
 * banner, reading the log for a missing classpath, and stopping with SIGTERM, then a forced kill.
 *
 * <p>Immutable; safe to use from any thread.
 */
final class ChildJvm {

    static final int SHUTDOWN_TIMEOUT_SECONDS = 20;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(SHUTDOWN_TIMEOUT_SECONDS);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";

    // LocalBroker's logger, so the log lines keep the logger name they had before this class was split out.
    private static final Logger log = LoggerFactory.getLogger(LocalBroker.class);

    private final Path javaExecutable;
    private final String heap;
    private final Path dataDir;
    private final Path logFile;

    /** {@code javaExecutable} and {@code dataDir} absolute. */
    ChildJvm(Path javaExecutable, String heap, Path dataDir, Path logFile) {
        this.javaExecutable = javaExecutable;
        this.heap = heap;
        this.dataDir = dataDir;
        this.logFile = logFile;
    }

    Path logFile() {
        return logFile;
    }

    /** The broker's command line; start it with {@link #spawn(List)}. */
    List<String> brokerCommand() {
        return javaCommand(MAIN_CLASS, BrokerFiles.serverProperties(dataDir).toString());
    }

    /**
     * Formats a new data dir, within {@code deadline} (a {@link System#nanoTime()} value); a formatted one
     * (meta.properties present) keeps its data. {@code startTimeout} is for the message only.
     */
    void format(BrokerSecurity security, String brokerPassword, Duration startTimeout, long deadline) {
        // A single-node dynamic quorum: this node is its only voter.
        format(Uuid.randomUuid().toString(), List.of("--standalone"), security, brokerPassword, startTimeout, deadline);
    }

    /**
     * As {@link #format(BrokerSecurity, String, Duration, long)}, as a member of cluster {@code clusterId}, with
     * {@code quorumArguments} for the storage tool: none for a static quorum ({@code controller.quorum.voters} in
     * server.properties), {@code --standalone} for a single-node dynamic one.
     */
    void format(String clusterId, List<String> quorumArguments, BrokerSecurity security, String brokerPassword,
                Duration startTimeout, long deadline) {
        if (Files.exists(BrokerFiles.metaProperties(dataDir))) {
            log.info("Data dir {} is already formatted; keeping its topics", dataDir);
            return;
        }
        List<String> command = javaCommand(STORAGE_TOOL, "format", "--cluster-id", clusterId,
                "--config", BrokerFiles.serverProperties(dataDir).toString());
        command.addAll(quorumArguments);
        if (security.usesScram()) {
            // The broker authenticates to itself on its first connection, before any Admin call could create a user.
            command.addAll(List.of("--add-scram", BrokerCredential.addScramArgument(BrokerSecurity.BROKER_USER, brokerPassword)));
        }
        long logOffset = appendBanner("formatting " + dataDir + " as cluster " + clusterId);
        Process formatter = spawn(command);
        try {
            if (!formatter.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
                formatter.destroyForcibly();
                throw new LocalBrokerException("formatting the storage in " + dataDir + " took longer than the start"
                        + " timeout of " + startTimeout.toSeconds() + "s; " + LogTail.describe(logFile, logOffset));
            }
        } catch (InterruptedException e) {
            formatter.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LocalBrokerException("interrupted while formatting the storage in " + dataDir, e);
        }
        if (formatter.exitValue() != 0) {
            throw new LocalBrokerException("formatting the storage in " + dataDir + " failed (exit code "
                    + formatter.exitValue() + "); " + LogTail.describe(logFile, logOffset) + classpathHint(logOffset));
        }
    }

    private List<String> javaCommand(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+UseG1GC");
        command.add("-Djava.awt.headless=true");
        command.add("-Dlogback.configurationFile=" + BrokerFiles.logbackConfig(dataDir));
        command.add("-Dlog4j2.configurationFile=" + BrokerFiles.log4j2Config(dataDir));
        command.add("@" + BrokerFiles.classpathArgFile(dataDir));
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /** Starts {@code command} in the data dir, its stdout and stderr appended to the log file, stdin empty. */
    Process spawn(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        try {
            return builder.start();
        } catch (IOException e) {
            throw new LocalBrokerException("cannot launch " + javaExecutable + ": " + e.getMessage(), e);
        }
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** Appends a separator line to the log file and returns the offset where this child's output starts. */
    long appendBanner(String what) {
        try {
            Files.writeString(logFile, "---- " + Instant.now() + " pushline LocalBroker: " + what + " ----\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LocalBrokerException("cannot write the log file " + logFile + ": " + e, e);
        }
        return LogTail.size(logFile);
    }

    /** A hint to append to a failure message when the child's log since {@code offset} says Kafka is not on its classpath. */
    String classpathHint(long offset) {
        boolean missing = LogTail.lastLines(logFile, offset, LogTail.LINES).stream()
                .anyMatch(line -> line.contains("Could not find or load main class") || line.contains("ClassNotFoundException: kafka."));
        return missing
                ? "\nThe classpath given to the broker does not contain Kafka's broker (org.apache.kafka:kafka_2.13);"
                        + " pass it with LocalBroker.builder().classpath(...)."
                : "";
    }

    /** SIGTERM, so Kafka shuts down cleanly; a forced kill after {@value #SHUTDOWN_TIMEOUT_SECONDS}s. */
    static void stop(Process child) {
        if (!child.isAlive()) {
            return;
        }
        log.info("Stopping the Kafka broker (pid {})", child.pid());
        long began = System.nanoTime();
        child.destroy(); // SIGTERM: Kafka shuts down cleanly
        if (waitForExit(child, SHUTDOWN_TIMEOUT)) {
            log.info("Kafka broker stopped (pid {}, exit code {}) in {} ms", child.pid(), child.exitValue(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        } else {
            log.warn("The Kafka broker (pid {}) did not stop within {}s; killing it", child.pid(), SHUTDOWN_TIMEOUT.toSeconds());
            child.destroyForcibly();
            if (!waitForExit(child, KILL_TIMEOUT)) {
                log.error("The Kafka broker (pid {}) survived a forced kill; stop it with `kill -9 {}`", child.pid(), child.pid());
            }
        }
    }

    /**
     * As {@link #stop(Process)}, for the nodes of a cluster at once: all get SIGTERM together, so that none waits for
     * another's shutdown, and the last ones do not try a controlled shutdown against a quorum that is already gone.
     */
    static void stopAll(List<Process> children) {
        List<Process> alive = children.stream().filter(Process::isAlive).toList();
        if (alive.isEmpty()) {
            return;
        }
        log.info("Stopping the Kafka brokers (pids {})", alive.stream().map(Process::pid).toList());
        long began = System.nanoTime();
        alive.forEach(Process::destroy); // SIGTERM
        long deadline = began + SHUTDOWN_TIMEOUT.toNanos();
        for (Process child : alive) {
            if (waitForExit(child, Duration.ofNanos(remaining(deadline)))) {
                continue;
            }
            log.warn("The Kafka broker (pid {}) did not stop within {}s; killing it", child.pid(), SHUTDOWN_TIMEOUT.toSeconds());
            child.destroyForcibly();
            if (!waitForExit(child, KILL_TIMEOUT)) {
                log.error("The Kafka broker (pid {}) survived a forced kill; stop it with `kill -9 {}`", child.pid(), child.pid());
            }
        }
        log.info("Kafka brokers stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    /**
     * SIGKILL: {@link Process#destroyForcibly()} sends SIGKILL on POSIX systems (the JDK's ProcessImpl), and the
     * child's exit value is then 128 + 9 = 137. Waits until it has exited; true if it did within the bound.
     */
    static boolean kill(Process child) {
        child.destroyForcibly();
        return waitForExit(child, KILL_TIMEOUT);
    }

    private static boolean waitForExit(Process child, Duration timeout) {
        try {
            return child.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !child.isAlive();
        }
    }

    /** Nanoseconds left until {@code deadline} (a {@link System#nanoTime()} value), never negative. */
    static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }
}
