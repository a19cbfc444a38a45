package io.pushline.localkafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The security settings LocalBroker writes, without starting a broker. */
class BrokerSecurityTest {

    @TempDir
    Path dir;

    @Test
    void aScramBrokerListensWithSaslAndTalksToItselfAsItsOwnUser() {
        Map<String, String> config = BrokerFiles.serverConfig(dir, 19092, 19093,
                BrokerSecurity.saslScram().withScramUser("alice", "alice-secret"), "broker-secret", Map.of());

        assertThat(config)
                .containsEntry("listeners", "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .containsEntry("inter.broker.listener.name", "SASL_PLAINTEXT")
                .containsEntry("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .containsEntry("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512")
                .containsEntry("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"pushline-broker\""
                                + " password=\"broker-secret\";")
                .doesNotContainKey("ssl.keystore.location");
        assertThat(config.values()).as("users are created through the Admin API, not written down")
                .noneMatch(value -> value.contains("alice"));
    }

    @Test
    void tlsBrokersNameTheirStoresAndMutualTlsRequiresClientCertificates() throws Exception {
        TlsStores stores = TlsStores.pkcs12(Files.writeString(dir.resolve("k.p12"), "x"), "key-pw",
                Files.writeString(dir.resolve("t.p12"), "x"), "trust-pw");

        Map<String, String> sasl = BrokerFiles.serverConfig(dir, 19092, 19093, BrokerSecurity.saslScramOverTls(stores), "pw", Map.of());
        assertThat(sasl)
                .containsEntry("listeners", "SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("ssl.keystore.location", dir.resolve("k.p12").toString())
                .containsEntry("ssl.keystore.password", "key-pw")
                .containsEntry("ssl.key.password", "key-pw")
                .containsEntry("ssl.truststore.location", dir.resolve("t.p12").toString())
                .containsEntry("ssl.client.auth", "none")
                .containsKey("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config");

        Map<String, String> mtls = BrokerFiles.serverConfig(dir, 19092, 19093, BrokerSecurity.mutualTls(stores), null, Map.of());
        assertThat(mtls)
                .containsEntry("listeners", "SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("listener.security.protocol.map", "SSL:SSL,CONTROLLER:PLAINTEXT")
                .containsEntry("ssl.client.auth", "required")
                .doesNotContainKey("sasl.enabled.mechanisms");
        assertThat(BrokerSecurity.mutualTls(stores).clientConfig(null))
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.location", dir.resolve("k.p12").toString());
        assertThat(stores.toString()).doesNotContain("key-pw").doesNotContain("trust-pw");
    }

    @Test
    void anAuthorizerTrustsOnlyTheBrokersOwnPrincipalsAndSecuresTheControllerListener() throws Exception {
        Keytool keytool = new Keytool(dir, "store-" + System.nanoTime());
        Path key = keytool.keyStore("broker");
        TlsStores stores = TlsStores.pkcs12(key, keytool.password(), keytool.trustStore("trust", key), keytool.password());

        BrokerSecurity scram = BrokerSecurity.saslScramOverTls(stores).withScramUser("alice", "alice-secret").withAuthorizer();
        assertThat(scram.superUsers()).containsExactly("User:pushline-broker", "User:CN=broker");
        assertThat(BrokerFiles.serverConfig(dir, 19092, 19093, scram, "pw", Map.of()))
                .containsEntry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("super.users", "User:pushline-broker;User:CN=broker")
                .containsEntry("allow.everyone.if.no.acl.found", "false")
                .containsEntry("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SSL")
                .containsEntry("listener.name.controller.ssl.client.auth", "required")
                .containsEntry("ssl.client.auth", "none");
        assertThat(scram.toString()).endsWith(", authorizer]");
        assertThat(scram.withScramUser("bob", "bob-secret").hasAuthorizer()).as("kept by withScramUser").isTrue();

        BrokerSecurity mtls = BrokerSecurity.mutualTls(stores).withAuthorizer();
        assertThat(mtls.superUsers()).containsExactly("User:CN=broker");
        assertThat(BrokerFiles.serverConfig(dir, 19092, 19093, mtls, null, Map.of()))
                .containsEntry("super.users", "User:CN=broker")
                .containsEntry("listener.security.protocol.map", "SSL:SSL,CONTROLLER:SSL");

        assertThat(BrokerSecurity.saslScramOverTls(stores).superUsers()).as("no authorizer, no super users").isEmpty();
        assertThatThrownBy(() -> BrokerSecurity.saslScram().withAuthorizer())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("an authorizer needs TLS (saslScramOverTls(...) or mutualTls(...)), not SASL_PLAINTEXT");
        assertThatThrownBy(() -> LocalBroker.builder().security(mtls).extraConfig(Map.of("super.users", "User:mallory")).build())
                .hasMessageStartingWith("extraConfig may not set super.users");
        TlsStores wrongPassword = TlsStores.pkcs12(key, "not-the-password", key, "not-the-password");
        assertThatThrownBy(() -> LocalBroker.builder().security(BrokerSecurity.mutualTls(wrongPassword).withAuthorizer()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read the broker's certificate from keyStore " + key)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
    }

    @Test
    void plaintextIsUnchanged() {
        assertThat(BrokerFiles.serverConfig(dir, 19092, 19093, Map.of()))
                .isEqualTo(BrokerFiles.serverConfig(dir, 19092, 19093, BrokerSecurity.plaintext(), null, Map.of()))
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        assertThat(BrokerSecurity.plaintext().clientConfig(null)).isEmpty();
    }

    @Test
    void theStorageToolGetsTheSaltedPasswordAsKafkaComputesIt() throws Exception {
        String argument = BrokerCredential.addScramArgument("pushline-broker", "s3cret");

        Matcher m = Pattern.compile("SCRAM-SHA-512=\\[name=pushline-broker,iterations=4096,salt=\"([^\"]+)\",saltedpassword=\"([^\"]+)\"]")
                .matcher(argument);
        assertThat(m.matches()).as(argument).isTrue();
        assertThat(argument).doesNotContain("s3cret");
        byte[] salt = Base64.getDecoder().decode(m.group(1));
        byte[] expected = new ScramFormatter(ScramMechanism.SCRAM_SHA_512).saltedPassword("s3cret", salt, 4096);
        assertThat(Base64.getDecoder().decode(m.group(2))).isEqualTo(expected);
    }

    @Test
    void theBrokersPasswordIsKeptForLaterStartsAndRefusedForAPlaintextDataDir() throws Exception {
        Path scram = Files.createDirectories(dir.resolve("scram"));
        String first = BrokerCredential.loadOrCreate(scram);
        assertThat(first).hasSizeGreaterThanOrEqualTo(32);
        assertThat(BrokerCredential.loadOrCreate(scram)).isEqualTo(first);
        assertThat(Files.getPosixFilePermissions(BrokerFiles.brokerSecretFile(scram)))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.createDirectories(BrokerFiles.logDir(plain));
        Files.writeString(BrokerFiles.metaProperties(plain), "node.id=1\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BrokerCredential.loadOrCreate(plain))
                .isInstanceOf(LocalBrokerException.class)
                .hasMessage("the data dir " + plain + " was formatted without SASL/SCRAM, so its metadata holds no"
                        + " credential for the broker itself; use a new data dir for a SCRAM broker");
    }

    @Test
    void theBuilderRefusesSecuritySettingsInExtraConfigAndBadUsers() {
        assertThatThrownBy(() -> LocalBroker.builder().security(BrokerSecurity.saslScram())
                .extraConfig(Map.of("sasl.enabled.mechanisms", "PLAIN")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("extraConfig may not set sasl.enabled.mechanisms, which LocalBroker derives from"
                        + " BrokerSecurity[SASL_PLAINTEXT, SCRAM-SHA-512, users=[]] (use security(...))");
        assertThat(LocalBroker.builder().extraConfig(Map.of("sasl.enabled.mechanisms", "PLAIN")).build())
                .as("a plaintext broker leaves them alone").isNotNull();

        assertThatThrownBy(() -> BrokerSecurity.plaintext().withScramUser("alice", "pw"))
                .hasMessage("SCRAM users need saslScram() or saslScramOverTls(...), not PLAINTEXT");
        assertThatThrownBy(() -> BrokerSecurity.saslScram().withScramUser("pushline-broker", "pw"))
                .hasMessageContaining("is the broker's own");
        assertThatThrownBy(() -> BrokerSecurity.saslScram().withScramUser("alice", ""))
                .hasMessage("the SCRAM user alice needs a non-empty password");
        assertThatThrownBy(() -> BrokerSecurity.saslScram().withScramUser("alice", "a").withScramUser("alice", "b"))
                .hasMessage("the SCRAM user alice is given twice");
        assertThat(BrokerSecurity.saslScram().withScramUser("alice", "alice-secret").toString())
                .isEqualTo("BrokerSecurity[SASL_PLAINTEXT, SCRAM-SHA-512, users=[alice]]");
        assertThatThrownBy(() -> TlsStores.pkcs12(dir.resolve("missing.p12"), "pw", dir.resolve("missing.p12"), "pw"))
                .hasMessage("keyStore must be a readable file, was " + dir.resolve("missing.p12"));
    }

    @Test
    void jaasValuesAreQuoted() {
        assertThat(BrokerSecurity.jaasConfig("a\"b", "c\\d"))
                .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"a\\\"b\" password=\"c\\\\d\";");
    }
}
