package io.pushline.app;

import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Topics;
import io.pushline.localkafka.BrokerSecurity;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localkafka.TlsStores;
import io.pushline.mock.TlsMaterial;
import io.pushline.publisher.Publisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@org.junit.jupiter.api.parallel.ResourceLock(FaultRig.LANE_2)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SaslScramIntegrationTest {
    private static final String USER = "pushline";
    private static final Path OUT = Path.of("target", "sasl-it");
    private static final Pattern DELIVERED = Pattern.compile("(?m)^pushline_worker_pushes_total\\{[^}]*outcome=\"delivered\"[^}]*} (\\S+)$");
    private static final URI SOURCE = URI.create("urn:pushline:test:sasl");
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void thePipelineRunsOnAScramBrokerThatRefusesEveryoneElse(@TempDir Path dir) throws Exception {
        Files.createDirectories(OUT);
        String password = "scram-" + UUID.randomUUID();
        String storePassword = "store-" + UUID.randomUUID();
        String wrongPassword = "wrong-" + UUID.randomUUID();
        Path trustStore = dir.resolve("kafka-truststore.p12");
        Path keyStore = dir.resolve("kafka-broker.p12");
        SecuredKafka.writeStores(TlsMaterial.selfSigned(), keyStore, trustStore, storePassword);

        LocalBroker broker = LocalBroker.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).heap("384m")
                .startTimeout(Duration.ofSeconds(120))
                .security(BrokerSecurity.saslScramOverTls(TlsStores.pkcs12(keyStore, storePassword, trustStore, storePassword))
                        .withScramUser(USER, password))
                .build();
        String appOutput;
        try (broker) {
            broker.start();
            Path secrets = Files.writeString(dir.resolve("kafka-secrets.properties"), "truststore.password=" + storePassword + "\n");
            Path clientConfig = Files.writeString(dir.resolve("kafka-client.properties"),
                    SecuredKafka.clientProperties(USER, trustStore, secrets));
            Map<String, Object> authenticated = SecuredKafka.saslSsl(broker, trustStore, storePassword, USER, password);

            PushlineChild pushline = PushlineChild.start(OUT, dir, Map.of(SecuredKafka.PASSWORD_ENV, password), List.of(
                    "run", "--bootstrap-servers", broker.bootstrapServers(),
                    "--kafka-config", clientConfig.toString(), "--mock-providers", "--http-address", "127.0.0.1:0",
                    "--partitions", "3", "--state-dir", dir.resolve("state").toString(), "--lag-interval", "1s"));
            try (pushline) {
                URI metrics = pushline.awaitRunning(WAIT);
                assertThat(pushline.commandLine()).as("the app's command line, as the OS shows it (ps)")
                        .contains("--kafka-config").doesNotContain(password).doesNotContain(storePassword);

                Set<String> expectedReceipts = DeliveryScenario.run(pushline, SOURCE, authenticated, authenticated, WAIT);
                await().atMost(Duration.ofSeconds(30)).until(() -> delivered(scrape(metrics)) == expectedReceipts.size());

                // Nobody else gets in, and nobody else publishes.
                long events = endOffsets(authenticated, Topics.EVENTS);
                Map<String, Object> anonymous = new LinkedHashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers()));
                assertThatThrownBy(() -> publishWith(anonymous, new FollowCreated("mallory", "bob")))
                        .as("a client without credentials (PLAINTEXT against the SASL_SSL listener)")
                        .satisfies(e -> assertThat(causes(e)).anyMatch(TimeoutException.class::isInstance));
                assertThatThrownBy(() -> publishWith(SecuredKafka.saslSsl(broker, trustStore, storePassword, USER, wrongPassword),
                        new FollowCreated("mallory", "bob")))
                        .as("a client with a wrong password")
                        .satisfies(e -> assertThat(causes(e)).anyMatch(SaslAuthenticationException.class::isInstance))
                        .satisfies(e -> assertThat(causes(e)).noneMatch(c -> String.valueOf(c.getMessage()).contains(wrongPassword)));
                assertThat(endOffsets(authenticated, Topics.EVENTS)).as("events after the refused clients").isEqualTo(events);

                assertThat(scrape(metrics)).as("/metrics").doesNotContain(password).doesNotContain(storePassword);
            }
            appOutput = pushline.output();
        }
        assertThat(appOutput).as("the app's output (" + OUT.toAbsolutePath() + ")")
                .contains("sasl.jaas.config = [hidden]")
                .doesNotContain(password).doesNotContain(storePassword);
        assertThat(Files.readString(broker.dataDir().resolve("broker.log"))).as("the broker's log")
                .doesNotContain(password).doesNotContain(wrongPassword);
    }

    private static void publishWith(Map<String, Object> clientConfig, EventData data) throws Exception {
        try (Publisher publisher = Publisher.builder().source(SOURCE).properties(clientConfig).maxBlock(Duration.ofSeconds(5)).build()) {
            publisher.publish(data).get(30, TimeUnit.SECONDS);
        }
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

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
