package io.pushline.app;

import org.awaitility.core.ConditionTimeoutException;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * {@code pushline ARGS} in a child JVM on this test's class path, with Kafka's clients logging at INFO (their config
 * dumps, where a leaked password would show) and Pushline at DEBUG; stdout and stderr go to files. A wait that fails,
 * or a child that exits early, fails with the end of the child's output, so an authorization error shows in the test.
 * Close stops it with SIGTERM (it drains and commits), then a forced kill after 30 s.
 */
final class PushlineChild implements AutoCloseable {
    private static final Pattern METRICS_URL = Pattern.compile("metrics at (http://\\S+/metrics)");
    private static final int TAIL_CHARS = 8_000;

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private PushlineChild(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code pushline args...} with {@code environment} added to this JVM's; its output goes to {@code out}/pushline.{out,log}. */
    static PushlineChild start(Path out, Path workDir, Map<String, String> environment, List<String> args) throws Exception {
        Files.createDirectories(out);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dlogback.configurationFile=" + childLogback(workDir), "-cp", System.getProperty("java.class.path"),
                PushlineCommand.class.getName()));
        command.addAll(args);
        Path stdout = out.resolve("pushline.out");
        Path stderr = out.resolve("pushline.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().putAll(environment);
        return new PushlineChild(builder.start(), stdout, stderr);
    }

    /** Waits until {@code pushline run} says it is running; returns its {@code /metrics} address. */
    URI awaitRunning(Duration timeout) {
        URI[] metrics = new URI[1];
        awaitOrShowOutput("pushline run to start", timeout, () -> {
            String out = Files.readString(stdout);
            Matcher url = METRICS_URL.matcher(out);
            if (url.find()) {
                metrics[0] = URI.create(url.group(1));
            }
            return metrics[0] != null && out.contains("pushline: running");
        });
        return metrics[0];
    }

    /** Awaits {@code condition}, failing with the child's output if the child exits first or the time runs out. */
    void awaitOrShowOutput(String what, Duration timeout, Callable<Boolean> condition) {
        try {
            await(what).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError("pushline exited with " + process.exitValue() + " while waiting for " + what + ":\n" + output());
                }
                return condition.call();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("waited " + timeout + " for " + what + "; the end of pushline's output:\n" + tail(output()), e);
        }
    }

    /** Both output files as they are now. */
    String output() {
        try {
            return Files.readString(stdout, StandardCharsets.UTF_8) + Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(cannot read the output: " + e + ")";
        }
    }

    /** The full command line from {@code /proc} (ProcessHandle's is cut short on Linux), or the JDK's where there is none. */
    String commandLine() throws Exception {
        Path proc = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        if (Files.isReadable(proc)) {
            return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
        }
        return process.info().commandLine().orElse("");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String tail(String text) {
        return text.length() <= TAIL_CHARS ? text : "…" + text.substring(text.length() - TAIL_CHARS);
    }

    /** Kafka's clients at INFO (their config dumps, where a leaked password would show) and Pushline at DEBUG. */
    private static Path childLogback(Path dir) throws Exception {
        return Files.writeString(dir.resolve("logback-child.xml"), """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.pushline" level="DEBUG"/>
                  <logger name="org.apache.kafka" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
    }
}
