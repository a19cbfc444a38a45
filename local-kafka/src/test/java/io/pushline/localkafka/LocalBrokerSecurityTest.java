package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secured brokers as child processes: SASL/SCRAM-SHA-512 lets its users in and refuses a client without credentials or
 * with a wrong password (and keeps its credentials across a restart); mutual TLS refuses a client without a
 * certificate; with an authorizer, a client does only what an ACL allows while the broker's own principal does anything.
 */
@Tag("integration")
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LocalBrokerSecurityTest {
    /** The three child-broker classes run beside each other on two cores: a broker may take well over a minute to start. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);


    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);
    private static final String ALICE_PASSWORD = "alice-" + Long.toHexString(System.nanoTime());

    @TempDir
    Path dataDir;

    @Test
    void aScramBrokerServesItsUsersOnlyAndKeepsThemAcrossARestart() throws Exception {
        try (LocalBroker broker = builder(BrokerSecurity.saslScram().withScramUser("alice", ALICE_PASSWORD)).start()) {
            assertThat(broker.security().protocol().name).isEqualTo("SASL_PLAINTEXT");
            try (Admin admin = Admin.create(broker.clientConfig())) {
                admin.createTopics(List.of(new NewTopic("likes", 1, (short) 1))).all().get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            produce(scram(broker, "alice", ALICE_PASSWORD), "likes", "liked bob's post");
            assertThat(consume(scram(broker, "alice", ALICE_PASSWORD), "likes", 1)).containsExactly("liked bob's post");

            // No credentials at all: the broker answers nothing but the SASL handshake, so metadata never comes.
            Map<String, Object> anonymous = new LinkedHashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
            assertThatThrownBy(() -> produce(anonymous, "likes", "anonymous"))
                    .hasRootCauseInstanceOf(TimeoutException.class);
            assertThatThrownBy(() -> produce(scram(broker, "alice", "wrong-password"), "likes", "impostor"))
                    .hasRootCauseInstanceOf(SaslAuthenticationException.class)
                    .satisfies(e -> assertThat(rootCause(e).getMessage()).doesNotContain("wrong-password"));
            assertThat(endOffset(broker, "likes")).as("records on the topic after the refused clients").isEqualTo(1);
        }
        // Users live only in the metadata log: no file LocalBroker wrote holds alice's password.
        try (Stream<Path> files = Files.list(dataDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file)).as(file.toString()).doesNotContain(ALICE_PASSWORD);
            }
        }

        try (LocalBroker again = builder(BrokerSecurity.saslScram()).start()) {
            assertThat(consume(scram(again, "alice", ALICE_PASSWORD), "likes", 1)).containsExactly("liked bob's post");
        }
    }

    @Test
    void mutualTlsRefusesAClientWithoutACertificate() throws Exception {
        MutualTls tls = mutualTls();
        try (LocalBroker broker = builder(tls.brokerSecurity()).start()) {
            Map<String, Object> withCertificate = tls.clientConfig(broker);
            try (Admin admin = Admin.create(withCertificate)) {
                admin.createTopics(List.of(new NewTopic("follows", 1, (short) 1))).all().get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            produce(withCertificate, "follows", "carol follows bob");

            Map<String, Object> withoutCertificate = new LinkedHashMap<>(withCertificate);
            withoutCertificate.keySet().removeIf(key -> key.startsWith("ssl.keystore."));
            assertThatThrownBy(() -> produce(withoutCertificate, "follows", "anonymous"))
                    .satisfies(e -> assertThat(causes(e)).anyMatch(SslAuthenticationException.class::isInstance));
            assertThat(endOffset(broker, "follows")).isEqualTo(1);
        }
    }

    @Test
    void anAuthorizerLetsTheBrokerDoAnythingAndOthersOnlyWhatAnAclAllows() throws Exception {
        MutualTls tls = mutualTls();
        try (LocalBroker broker = builder(tls.brokerSecurity().withAuthorizer()).start()) {
            Map<String, Object> client = tls.clientConfig(broker);
            try (Admin asClient = Admin.create(client)) {
                assertThatThrownBy(() -> asClient.createTopics(List.of(new NewTopic("follows", 1, (short) 1))).all()
                        .get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                        .as("a client without ACLs creates nothing")
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            // The broker's own principal is a super user: it creates the topic and grants the client Write on it alone.
            try (Admin admin = Admin.create(broker.clientConfig())) {
                admin.createTopics(List.of(new NewTopic("follows", 1, (short) 1))).all().get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "follows", PatternType.LITERAL),
                        new AccessControlEntry("User:CN=client", "*", AclOperation.WRITE, AclPermissionType.ALLOW))))
                        .all().get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            // createAcls returns once the controller has the ACL; the broker's authorizer applies it from the metadata log
            // a moment later (seconds on a loaded machine): until then the write is refused, and nothing is written.
            io.pushline.testkit.Waits.until(() -> {
                try {
                    produce(client, "follows", "carol follows bob");
                    return true;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof TopicAuthorizationException) {
                        return false;
                    }
                    throw new AssertionError(e);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, Duration.ofSeconds(60), "the client's Write ACL to reach the broker");
            assertThat(endOffset(broker, "follows")).isEqualTo(1);
            assertThatThrownBy(() -> readFromStart(client, "follows"))
                    .as("Write does not grant Read")
                    .isInstanceOf(TopicAuthorizationException.class);
        }
    }

    private LocalBroker builder(BrokerSecurity security) {
        return LocalBroker.builder().port(0).controllerPort(0).dataDir(dataDir).heap("256m").security(security)
                .startTimeout(START_TIMEOUT).build();
    }

    private static Map<String, Object> scram(LocalBroker broker, String user, String password) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put("security.protocol", "SASL_PLAINTEXT");
        config.putAll(BrokerSecurity.scramClientConfig(user, password));
        return config;
    }

    private static void produce(Map<String, Object> clientConfig, String topic, String value) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(clientConfig);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static List<String> consume(Map<String, Object> clientConfig, String topic, int count) {
        Map<String, Object> config = new LinkedHashMap<>(clientConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(r.value()));
            }
        }
        return records;
    }

    /** Reads partition 0 of {@code topic} without a consumer group, as far as one poll goes. */
    private static void readFromStart(Map<String, Object> clientConfig, String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(new LinkedHashMap<>(clientConfig), new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            consumer.poll(CLIENT_TIMEOUT);
        }
    }

    private static long endOffset(LocalBroker broker, String topic) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(broker.clientConfig());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(partition), CLIENT_TIMEOUT).get(partition);
        }
    }

    private static Throwable rootCause(Throwable e) {
        List<Throwable> chain = causes(e);
        return chain.get(chain.size() - 1);
    }

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /** A broker's and a client's key stores and a trust store holding both certificates, under one password. */
    private record MutualTls(String password, Path brokerKey, Path clientKey, Path trust) {
        BrokerSecurity brokerSecurity() {
            return BrokerSecurity.mutualTls(TlsStores.pkcs12(brokerKey, password, trust, password));
        }

        /** A client of {@code broker} presenting the client certificate. */
        Map<String, Object> clientConfig(LocalBroker broker) {
            return new LinkedHashMap<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    "security.protocol", "SSL",
                    "ssl.truststore.type", "PKCS12", "ssl.truststore.location", trust.toString(), "ssl.truststore.password", password,
                    "ssl.keystore.type", "PKCS12", "ssl.keystore.location", clientKey.toString(), "ssl.keystore.password", password));
        }
    }

    private MutualTls mutualTls() throws Exception {
        Keytool keytool = new Keytool(Files.createDirectories(dataDir.resolve("tls")), "store-" + System.nanoTime());
        Path brokerKey = keytool.keyStore("broker");
        Path clientKey = keytool.keyStore("client");
        return new MutualTls(keytool.password(), brokerKey, clientKey, keytool.trustStore("truststore", brokerKey, clientKey));
    }
}
