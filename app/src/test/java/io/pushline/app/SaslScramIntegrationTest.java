package io.pushline.app;

import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.localkafka.BrokerSecurity;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localkafka.TlsStores;
import io.pushline.mock.TlsMaterial;
import io.pushline.publisher.Publisher;
import io.pushline.topology.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Pushline against a broker that requires SASL/SCRAM-SHA-512 over TLS ({@link LocalBroker}, a real {@code kafka.Kafka}
 * child process, with a certificate generated here): {@code pushline run --kafka-config FILE --mock-providers} in a
 * child JVM, its password in an environment variable that the properties file names through Kafka's
 * {@code EnvVarConfigProvider} and its trust store's password in a file named through {@code FileConfigProvider} (the
 * README's setup). An authenticated publisher's device registrations, follow, like and timeline post come out as
 * exactly the expected pushes, delivered to the mock providers and recorded as receipts. A client without credentials
 * and one with a wrong password are refused and publish nothing. Neither password is on a command line, in the app's
 * or the broker's output (Kafka's client config dumps included, at INFO), or in {@code /metrics}. The app's output
 * is kept in {@code target/sasl-it/}.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SaslScramIntegrationTest {
    private static final String USER = "pushline";
    private static final String PASSWORD_ENV = "PUSHLINE_KAFKA_PASSWORD";
    private static final Path OUT = Path.of("target", "sasl-it");
    private static final Pattern METRICS_URL = Pattern.compile("metrics at (http://\\S+/metrics)");
    private static final Pattern DELIVERED = Pattern.compile("(?m)^pushline_worker_pushes_total\\{[^}]*outcome=\"delivered\"[^}]*} (\\S+)$");
    private static final URI SOURCE = URI.create("urn:pushline:test:sasl");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The README's client properties file, with this test's trust store and secrets file. */
    static String clientProperties(Path trustStore, Path secrets) {
        return """
                # Applied to every Kafka client of Pushline. No secret in here: Kafka resolves ${env:...} and ${file:...}.
                config.providers=env,file
                config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
                config.providers.env.param.allowlist.pattern=PUSHLINE_KAFKA_.*
                config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="pushline" password="${env:PUSHLINE_KAFKA_PASSWORD}";
                ssl.truststore.type=PKCS12
                ssl.truststore.location=TRUST_STORE
                ssl.truststore.password=${file:SECRETS:truststore.password}
                """.replace("TRUST_STORE", trustStore.toString()).replace("SECRETS", secrets.toString());
    }

    @Test
    void thePipelineRunsOnAScramBrokerThatRefusesEveryoneElse(@TempDir Path dir) throws Exception {
        Files.createDirectories(OUT);
        String password = "scram-" + UUID.randomUUID();
        String storePassword = "store-" + UUID.randomUUID();
        String wrongPassword = "wrong-" + UUID.randomUUID();
        Path trustStore = dir.resolve("kafka-truststore.p12");
        Path keyStore = dir.resolve("kafka-broker.p12");
        writeStores(TlsMaterial.selfSigned(), keyStore, trustStore, storePassword);

        LocalBroker broker = LocalBroker.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).heap("384m")
                .startTimeout(Duration.ofSeconds(120))
                .security(BrokerSecurity.saslScramOverTls(TlsStores.pkcs12(keyStore, storePassword, trustStore, storePassword))
                        .withScramUser(USER, password))
                .build();
        Path stdout = OUT.resolve("pushline.out");
        Path stderr = OUT.resolve("pushline.log");
        try (broker) {
            broker.start();
            Path secrets = Files.writeString(dir.resolve("kafka-secrets.properties"), "truststore.password=" + storePassword + "\n");
            Path clientConfig = Files.writeString(dir.resolve("kafka-client.properties"), clientProperties(trustStore, secrets));
            Map<String, Object> authenticated = saslSsl(broker, trustStore, storePassword, USER, password);

            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-Dlogback.configurationFile=" + childLogback(dir), "-cp", System.getProperty("java.class.path"),
                    PushlineCommand.class.getName(), "run", "--bootstrap-servers", broker.bootstrapServers(),
                    "--kafka-config", clientConfig.toString(), "--mock-providers", "--http-address", "127.0.0.1:0",
                    "--partitions", "3", "--state-dir", dir.resolve("state").toString(), "--lag-interval", "1s");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().put(PASSWORD_ENV, password);
            Process pushline = builder.start();
            try {
                URI metrics = awaitStarted(pushline, stdout, stderr);
                assertThat(commandLine(pushline)).as("the app's command line, as the OS shows it (ps)")
                        .contains("--kafka-config").doesNotContain(password).doesNotContain(storePassword);

                Set<String> expectedReceipts;
                try (Publisher publisher = publisher(authenticated); Admin admin = Admin.create(authenticated)) {
                    ConsumerLag lag = new ConsumerLag(admin);
                    String bobToken = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
                    String carolToken = UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
                    Instant now = Instant.now();
                    publish(publisher, new DeviceRegistered("bob", bobToken, Platform.APNS, "io.pushline.test", now));
                    publish(publisher, new DeviceRegistered("carol", carolToken, Platform.FCM, "io.pushline.test.android", now));
                    // The devices reach the state, then the coordinators' and the expansion's stores, before anything needs them.
                    lag.awaitCaughtUp(StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN), WAIT);
                    lag.awaitCaughtUp(StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.STATE_DEVICES), WAIT);
                    lag.awaitCaughtUp(CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.STATE_DEVICES), WAIT);

                    String follow = publish(publisher, new FollowCreated("carol", "bob"));
                    String like = publish(publisher, new LikeCreated("carol", "post-1", "bob"));
                    lag.awaitCaughtUp(StreamsSettings.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.STATE_FOLLOWS), WAIT);
                    String post = publish(publisher, new TimelinePosted("post-2", "bob", "bob posted", "hello"));

                    expectedReceipts = Set.of("bob|" + PushIds.pushId(follow, bobToken), "bob|" + PushIds.pushId(like, bobToken),
                            "carol|" + PushIds.pushId(post, carolToken));
                    Map<String, String> receipts = awaitReceipts(authenticated, expectedReceipts);
                    assertThat(receipts.keySet()).as("receipts: exactly the expected pushes").isEqualTo(expectedReceipts);
                    assertThat(receipts.values()).allSatisfy(receipt -> assertThat(receipt).contains("\"DELIVERED\""));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> delivered(scrape(metrics)) == expectedReceipts.size());

                // Nobody else gets in, and nobody else publishes.
                long events = endOffsets(authenticated, Topics.EVENTS);
                Map<String, Object> anonymous = new LinkedHashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers()));
                assertThatThrownBy(() -> publishWith(anonymous, new FollowCreated("mallory", "bob")))
                        .as("a client without credentials (PLAINTEXT against the SASL_SSL listener)")
                        .satisfies(e -> assertThat(causes(e)).anyMatch(TimeoutException.class::isInstance));
                assertThatThrownBy(() -> publishWith(saslSsl(broker, trustStore, storePassword, USER, wrongPassword),
                        new FollowCreated("mallory", "bob")))
                        .as("a client with a wrong password")
                        .satisfies(e -> assertThat(causes(e)).anyMatch(SaslAuthenticationException.class::isInstance))
                        .satisfies(e -> assertThat(causes(e)).noneMatch(c -> String.valueOf(c.getMessage()).contains(wrongPassword)));
                assertThat(endOffsets(authenticated, Topics.EVENTS)).as("events after the refused clients").isEqualTo(events);

                assertThat(scrape(metrics)).as("/metrics").doesNotContain(password).doesNotContain(storePassword);
            } finally {
                stop(pushline);
            }
        }
        String appOutput = Files.readString(stdout) + Files.readString(stderr);
        assertThat(appOutput).as("the app's output (" + OUT.toAbsolutePath() + ")")
                .contains("sasl.jaas.config = [hidden]")
                .doesNotContain(password).doesNotContain(storePassword);
        assertThat(Files.readString(broker.dataDir().resolve("broker.log"))).as("the broker's log")
                .doesNotContain(password).doesNotContain(wrongPassword);
    }

    /** A PKCS12 key store with the broker's key and certificate, and a trust store with the certificate. */
    private static void writeStores(TlsMaterial tls, Path keyStore, Path trustStore, String password) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("broker", tls.privateKey(), password.toCharArray(), new Certificate[] {tls.certificate()});
        try (OutputStream out = Files.newOutputStream(keyStore)) {
            keys.store(out, password.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("broker", tls.certificate());
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trust.store(out, password.toCharArray());
        }
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

    private static Map<String, Object> saslSsl(LocalBroker broker, Path trustStore, String trustStorePassword, String user, String password) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put("security.protocol", "SASL_SSL");
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";");
        config.put("ssl.truststore.type", "PKCS12");
        config.put("ssl.truststore.location", trustStore.toString());
        config.put("ssl.truststore.password", trustStorePassword);
        return config;
    }

    /** The full command line from {@code /proc} (ProcessHandle's is cut short on Linux), or the JDK's where there is none. */
    private static String commandLine(Process process) throws Exception {
        Path proc = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        if (Files.isReadable(proc)) {
            return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
        }
        return process.info().commandLine().orElse("");
    }

    private static URI awaitStarted(Process pushline, Path stdout, Path stderr) {
        URI[] metrics = new URI[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            String out = Files.readString(stdout);
            if (!pushline.isAlive()) {
                throw new AssertionError("pushline run exited with " + pushline.exitValue() + ":\n" + out + Files.readString(stderr));
            }
            Matcher url = METRICS_URL.matcher(out);
            if (url.find()) {
                metrics[0] = URI.create(url.group(1));
            }
            return metrics[0] != null && out.contains("pushline: running");
        });
        return metrics[0];
    }

    private static Publisher publisher(Map<String, Object> clientConfig) {
        return Publisher.builder().source(SOURCE).properties(clientConfig).build();
    }

    /** Publishes {@code data} with a new event id and waits for the broker's acknowledgement; returns the id. */
    private static String publish(Publisher publisher, EventData data) throws Exception {
        String eventId = UUID.randomUUID().toString();
        publisher.publish(eventId, data).get(30, TimeUnit.SECONDS);
        return eventId;
    }

    private static void publishWith(Map<String, Object> clientConfig, EventData data) throws Exception {
        try (Publisher publisher = Publisher.builder().source(SOURCE).properties(clientConfig).maxBlock(Duration.ofSeconds(5)).build()) {
            publisher.publish(data).get(30, TimeUnit.SECONDS);
        }
    }

    /** The receipts on {@link Topics#PUSH_RECEIPTS}, by key, once they hold every expected key. */
    private static Map<String, String> awaitReceipts(Map<String, Object> clientConfig, Set<String> expected) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "sasl-it-receipts-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> receipts = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.PUSH_RECEIPTS));
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> receipts.put(r.key(), r.value()));
                return receipts.keySet().containsAll(expected);
            });
        }
        return receipts;
    }

    private static long endOffsets(Map<String, Object> clientConfig, String topic) throws Exception {
        try (Admin admin = Admin.create(clientConfig)) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
        }
    }

    private static String scrape(URI metrics) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
    }

    private static double delivered(String scrape) {
        double total = 0;
        Matcher m = DELIVERED.matcher(scrape);
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** SIGTERM (the app drains and commits), then a forced kill after 30 s. */
    private static void stop(Process pushline) throws InterruptedException {
        pushline.destroy();
        if (!pushline.waitFor(30, TimeUnit.SECONDS)) {
            pushline.destroyForcibly();
            pushline.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
