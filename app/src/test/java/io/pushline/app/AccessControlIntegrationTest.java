package io.pushline.app;

import io.pushline.admin.AccessControl;

import io.pushline.contracts.Topics;
import io.pushline.localkafka.BrokerSecurity;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localkafka.TlsStores;
import io.pushline.mock.TlsMaterial;
import io.pushline.workers.WorkerConfig;
import io.pushline.contracts.Lane;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The roles of {@link AccessControl} on a broker that enforces ACLs ({@link LocalBroker} with SASL/SCRAM-SHA-512 over
 * TLS and {@link BrokerSecurity#withAuthorizer()}), users {@code pipeline}, {@code publisher} and {@code admin}, no
 * ACL but those {@code pushline acls --apply} creates (run as the broker's own principal):
 * <ul>
 *   <li>{@code pushline run --mock-providers} as {@code pipeline}, in a child JVM (password from the environment, trust
 *       store password from a file), delivers what {@code publisher} publishes through every stage and both lanes:
 *       the pipeline's set is complete;</li>
 *   <li>{@code publisher} is refused writing coordinator commands and reading dead letters, and {@code pushline dlq list}
 *       and {@code pushline coordinators list} with its credentials fail with one "not authorised" line;</li>
 *   <li>{@code admin}'s {@code dlq list} and {@code coordinators list} succeed, but it can neither join a pipeline
 *       consumer group nor read the receipts.</li>
 * </ul>
 * Applying a role twice creates nothing the second time. No password is on the child's command line or in any output.
 * The child's output is kept in {@code target/acl-it/}.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AccessControlIntegrationTest {
    private static final Path OUT = Path.of("target", "acl-it");
    private static final URI SOURCE = URI.create("urn:pushline:test:acl");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void eachRoleDoesWhatItNeedsAndNothingMore(@TempDir Path dir) throws Exception {
        Map<String, String> passwords = Map.of("pipeline", "pipeline-" + UUID.randomUUID(),
                "publisher", "publisher-" + UUID.randomUUID(), "admin", "admin-" + UUID.randomUUID());
        String storePassword = "store-" + UUID.randomUUID();
        Path trustStore = dir.resolve("kafka-truststore.p12");
        Path keyStore = dir.resolve("kafka-broker.p12");
        SecuredKafka.writeStores(TlsMaterial.selfSigned(), keyStore, trustStore, storePassword);
        BrokerSecurity security = BrokerSecurity.saslScramOverTls(TlsStores.pkcs12(keyStore, storePassword, trustStore, storePassword));
        for (String user : List.of("pipeline", "publisher", "admin")) {
            security = security.withScramUser(user, passwords.get(user));
        }
        LocalBroker broker = LocalBroker.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).heap("384m")
                .startTimeout(Duration.ofSeconds(120)).security(security.withAuthorizer()).build();
        List<CliRun.Result> cliRuns = new ArrayList<>();
        String appOutput;
        try (broker) {
            broker.start();
            String servers = broker.bootstrapServers();
            Map<String, Object> superUser = broker.clientConfig();
            Path superConfig = SecuredKafka.kafkaConfigFile(superUser, dir, "super");
            Path publisherConfig = SecuredKafka.kafkaConfigFile(client(broker, trustStore, storePassword, "publisher", passwords), dir, "publisher");
            Path adminConfig = SecuredKafka.kafkaConfigFile(client(broker, trustStore, storePassword, "admin", passwords), dir, "admin");

            for (String role : List.of("pipeline", "publisher", "admin")) {
                CliRun.Result applied = cli(cliRuns, "acls", "--principal", "User:" + role, "--role", role, "--apply",
                        "--bootstrap-servers", servers, "--kafka-config", superConfig.toString());
                int count = AccessControl.bindings(AccessControl.AclRole.parse(role), "User:" + role).size();
                assertThat(applied.code()).as("acls --apply for " + role + ": " + applied.err()).isZero();
                assertThat(applied.out()).as("acls --apply for " + role)
                        .contains("role " + role + " for User:" + role + ": created " + count + " ACL(s), 0 already there")
                        .doesNotContain("also holds");
            }
            CliRun.Result again = cli(cliRuns, "acls", "--principal", "User:admin", "--role", "admin", "--apply",
                    "--bootstrap-servers", servers, "--kafka-config", superConfig.toString());
            assertThat(again.out()).as("applying twice").contains("created 0 ACL(s), 6 already there");

            Path secrets = Files.writeString(dir.resolve("kafka-secrets.properties"), "truststore.password=" + storePassword + "\n");
            Path pipelineConfig = Files.writeString(dir.resolve("kafka-client.properties"),
                    SecuredKafka.clientProperties("pipeline", trustStore, secrets));
            PushlineChild pushline = PushlineChild.start(OUT, dir, Map.of(SecuredKafka.PASSWORD_ENV, passwords.get("pipeline")), List.of(
                    "run", "--bootstrap-servers", servers, "--kafka-config", pipelineConfig.toString(), "--mock-providers",
                    "--http-address", "127.0.0.1:0", "--partitions", "3", "--state-dir", dir.resolve("state").toString(),
                    "--lag-interval", "1s"));
            try (pushline) {
                pushline.awaitRunning(WAIT);
                assertThat(pushline.commandLine()).as("the app's command line").doesNotContain(passwords.get("pipeline"));

                // The pipeline's ACLs are enough: the publisher's events reach the devices through every stage.
                DeliveryScenario.run(pushline, SOURCE, client(broker, trustStore, storePassword, "publisher", passwords), superUser, WAIT);

                // The publisher writes events, and nothing else.
                Map<String, Object> publisher = client(broker, trustStore, storePassword, "publisher", passwords);
                assertThatThrownBy(() -> produce(publisher, Topics.COORDINATOR_COMMANDS))
                        .as("the publisher writing a coordinator command")
                        .satisfies(e -> assertThat(causes(e)).anyMatch(TopicAuthorizationException.class::isInstance));
                assertThatThrownBy(() -> read(publisher, Topics.DEAD_LETTERS))
                        .as("the publisher reading dead letters")
                        .isInstanceOf(TopicAuthorizationException.class);
                for (String[] command : List.of(new String[] {"dlq", "list"}, new String[] {"coordinators", "list"})) {
                    String name = String.join(" ", command);
                    CliRun.Result refused = cli(cliRuns, command[0], command[1], "--bootstrap-servers", servers,
                            "--kafka-config", publisherConfig.toString());
                    assertThat(refused.code()).as(name + " as the publisher").isEqualTo(1);
                    assertThat(refused.err()).as(name + " as the publisher")
                            .startsWith(name + ": not authorised (")
                            .contains("--role admin --apply")
                            .doesNotContain("\tat ");
                }

                // The admin lists dead letters and parked coordinators, and reaches nothing of the pipeline's own.
                CliRun.Result deadLetters = cli(cliRuns, "dlq", "list", "--bootstrap-servers", servers, "--kafka-config", adminConfig.toString());
                assertThat(deadLetters.code()).as("dlq list as the admin: " + deadLetters.err()).isZero();
                CliRun.Result parked = cli(cliRuns, "coordinators", "list", "--bootstrap-servers", servers,
                        "--kafka-config", adminConfig.toString());
                assertThat(parked.code()).as("coordinators list as the admin: " + parked.err()).isZero();
                assertThat(parked.out()).contains("no parked coordinators");
                Map<String, Object> admin = client(broker, trustStore, storePassword, "admin", passwords);
                assertThatThrownBy(() -> joinGroup(admin, WorkerConfig.defaults(Lane.HIGH).groupId(), Topics.PUSH_HIGH))
                        .as("the admin joining the high lane's workers")
                        .isInstanceOf(GroupAuthorizationException.class);
                assertThatThrownBy(() -> read(admin, Topics.PUSH_RECEIPTS))
                        .as("the admin reading receipts")
                        .isInstanceOf(TopicAuthorizationException.class);

                // The admin API in a process of its own (--role admin) needs no more than the admin's ACLs.
                Path adminChildConfig = Files.writeString(dir.resolve("kafka-admin-client.properties"),
                        SecuredKafka.clientProperties("admin", trustStore, secrets));
                String adminToken = "admin-api-" + UUID.randomUUID();
                try (PushlineChild adminApi = PushlineChild.start(OUT.resolve("admin-api"), Files.createDirectories(dir.resolve("admin-api")), Map.of(
                        SecuredKafka.PASSWORD_ENV, passwords.get("admin"), RunCommand.ADMIN_TOKENS_JSON_ENV,
                        "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + adminToken + "\"}]}"), List.of(
                        "run", "--role", "admin", "--admin-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0",
                        "--bootstrap-servers", servers, "--kafka-config", adminChildConfig.toString()))) {
                    adminApi.awaitRunning(WAIT);
                    java.util.regex.Matcher at = java.util.regex.Pattern.compile("admin API at (http://\\S+/v1/admin/)")
                            .matcher(adminApi.output());
                    assertThat(at.find()).as(adminApi.output()).isTrue();
                    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                    for (String route : List.of("dead-letters", "coordinators")) {
                        java.net.http.HttpResponse<String> answer = http.send(java.net.http.HttpRequest.newBuilder(URI.create(at.group(1) + route))
                                .header("Authorization", "Bearer " + adminToken).timeout(WAIT).GET().build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                        assertThat(answer.statusCode()).as("GET %s from the admin API run as the admin: %s", route, answer.body())
                                .isEqualTo(200);
                    }
                    assertThat(adminApi.output()).doesNotContain(adminToken).doesNotContain(passwords.get("admin"));
                }
            }
            appOutput = pushline.output();
        }
        for (String password : passwords.values()) {
            assertThat(appOutput).as("the app's output (" + OUT.toAbsolutePath() + ")").doesNotContain(password);
            assertThat(cliRuns).isNotEmpty().allSatisfy(run -> assertThat(run.out() + run.err()).doesNotContain(password));
        }
    }

    private static CliRun.Result cli(List<CliRun.Result> runs, String... args) {
        CliRun.Result result = CliRun.run(args);
        runs.add(result);
        return result;
    }

    private static Map<String, Object> client(LocalBroker broker, Path trustStore, String storePassword, String user,
                                              Map<String, String> passwords) {
        Map<String, Object> config = SecuredKafka.saslSsl(broker, trustStore, storePassword, user, passwords.get(user));
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        return config;
    }

    private static void produce(Map<String, Object> clientConfig, String topic) throws Exception {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.remove(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "bob", "{}")).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Reads partition 0 of {@code topic} by assignment (no group), as the dlq and coordinators commands do. */
    private static void read(Map<String, Object> clientConfig, String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(clientConfig, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            consumer.poll(CLIENT_TIMEOUT);
        }
    }

    private static void joinGroup(Map<String, Object> clientConfig, String group, String topic) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            consumer.poll(CLIENT_TIMEOUT);
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
