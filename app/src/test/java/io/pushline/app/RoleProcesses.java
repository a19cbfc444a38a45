package io.pushline.app;

import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pushline run --role ROLE} as child JVMs on this test's class path, pointed at one broker and at this JVM's
 * mock providers, so that a test can SIGKILL a role and start it again. Each child's output goes to
 * {@code dir/NAME.log}; {@link #logs()} gives their ends for a failure message. Closing kills every child still alive.
 */
final class RoleProcesses implements AutoCloseable {
    /** One client for every {@link #metrics} poll: a test polls it many times a second. */
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    private final Path dir;
    private final String bootstrapServers;
    private final MockApns apns;
    private final FakeFcm fcm;
    private final int partitions;
    private final int inFlight;
    private final List<Process> children = new ArrayList<>();

    RoleProcesses(Path dir, String bootstrapServers, MockApns apns, FakeFcm fcm, int partitions, int inFlight) {
        this.dir = dir;
        this.bootstrapServers = bootstrapServers;
        this.apns = apns;
        this.fcm = fcm;
        this.partitions = partitions;
        this.inFlight = inFlight;
    }

    /** Starts {@code pushline run --role role} with {@code extra} options; its state dir and log are named {@code name}. */
    Process start(String role, String name, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), PushlineCommand.class.getName(),
                "run", "--role", role, "--bootstrap-servers", bootstrapServers,
                "--partitions", Integer.toString(partitions), "--in-flight", Integer.toString(inFlight),
                "--state-dir", dir.resolve(name + "-state").toString(), "--kafka-config", kafkaConfig().toString(),
                "--http-address", "127.0.0.1:0"));
        if (role.equals("workers")) {
            command.addAll(providerArgs());
        }
        command.addAll(Arrays.asList(extra));
        File log = dir.resolve(name + ".log").toFile();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        children.add(process);
        return process;
    }

    /** The provider options that point `pushline run` at this JVM's mock servers, with their credentials in files. */
    List<String> providerArgs() throws Exception {
        Path key = dir.resolve("apns.p8");
        Path ca = dir.resolve("apns-ca.pem");
        Path serviceAccount = dir.resolve("fcm-service-account.json");
        if (!Files.exists(key)) {
            Files.writeString(key, apns.signingMaterial().pkcs8Pem());
            Files.writeString(ca, apns.trustedCertificatePem());
            Files.writeString(serviceAccount, TestCredentials.serviceAccountJson(fcm.baseUrl() + "/token"));
        }
        return List.of("--apns-host", apns.host(), "--apns-port", Integer.toString(apns.port()), "--apns-ca-file", ca.toString(),
                "--apns-key-file", key.toString(), "--apns-team-id", apns.signingMaterial().teamId(),
                "--apns-key-id", apns.signingMaterial().keyId(),
                "--fcm-service-account-file", serviceAccount.toString(), "--fcm-endpoint", fcm.baseUrl().toString());
    }

    /**
     * Client settings for the children: a killed member holds its partitions until its session times out, and the
     * group's rebalance waits for it; 10 s instead of Kafka's default 45 s keeps each restart in a test short. The
     * same setting is how an operator trades faster takeover for more sensitivity to pauses.
     */
    private Path kafkaConfig() throws Exception {
        Path file = dir.resolve("kafka.properties");
        if (!Files.exists(file)) {
            Files.writeString(file, "session.timeout.ms=10000\nheartbeat.interval.ms=2000\n");
        }
        return file;
    }

    /** The {@code /metrics} text of the child started as {@code name}, once it has printed where it serves it. */
    String metrics(String name) {
        try {
            java.util.regex.Matcher url = java.util.regex.Pattern.compile("metrics at (http://\\S+/metrics)")
                    .matcher(Files.readString(dir.resolve(name + ".log")));
            if (!url.find()) {
                return "";
            }
            return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.group(1)))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The sum of the samples of {@code series} (a Prometheus name with its labels' prefix, e.g. {@code foo{lane="bulk"}}) in {@code metrics}. */
    static double sample(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series)).mapToDouble(line ->
                Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    /** The last 4,000 characters of each child's log. */
    String logs() {
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path log : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                String text = Files.readString(log);
                logs.append("--- ").append(log.getFileName()).append('\n').append(text, Math.max(0, text.length() - 4000), text.length());
            }
        } catch (Exception e) {
            logs.append("(could not read the logs: ").append(e).append(')');
        }
        return logs.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process child : children) {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
