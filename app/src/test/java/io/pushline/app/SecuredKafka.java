package io.pushline.app;

import io.pushline.localkafka.LocalBroker;
import io.pushline.mock.TlsMaterial;

import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What the tests against a SASL_SSL {@link LocalBroker} share: its key and trust stores, clients' settings, and
 * {@code --kafka-config} files that hold no secret (Kafka's config providers read the secrets from the environment or
 * from a separate file).
 */
final class SecuredKafka {
    /** The environment variable the README's client properties take the password from. */
    static final String PASSWORD_ENV = "PUSHLINE_KAFKA_PASSWORD";

    private SecuredKafka() {
    }

    /** A PKCS12 key store with the broker's key and certificate, and a trust store with the certificate. */
    static void writeStores(TlsMaterial tls, Path keyStore, Path trustStore, String password) throws Exception {
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

    /**
     * The README's client properties file for {@code user}: the password from {@link #PASSWORD_ENV}, the trust store's
     * password from {@code secrets} (key {@code truststore.password}).
     */
    static String clientProperties(String user, Path trustStore, Path secrets) {
        return """
                # Applied to every Kafka client of Pushline. No secret in here: Kafka resolves ${env:...} and ${file:...}.
                config.providers=env,file
                config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
                config.providers.env.param.allowlist.pattern=PUSHLINE_KAFKA_.*
                config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="USER" password="${env:PUSHLINE_KAFKA_PASSWORD}";
                ssl.truststore.type=PKCS12
                ssl.truststore.location=TRUST_STORE
                ssl.truststore.password=${file:SECRETS:truststore.password}
                """.replace("USER", user).replace("TRUST_STORE", trustStore.toString()).replace("SECRETS", secrets.toString());
    }

    /** A SASL_SSL client's settings for {@code user}, secrets included: for clients in the test JVM, never for a file. */
    static Map<String, Object> saslSsl(LocalBroker broker, Path trustStore, String trustStorePassword, String user, String password) {
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

    /**
     * {@code clientConfig} (bootstrap servers aside) as a {@code --kafka-config} file {@code NAME.properties} in
     * {@code dir} with no secret in it: {@code sasl.jaas.config} and every password go to {@code NAME-secrets.properties}
     * (owner-only), which the file names through Kafka's {@code FileConfigProvider}. For commands run in the test JVM,
     * where no environment variable can be set.
     */
    static Path kafkaConfigFile(Map<String, Object> clientConfig, Path dir, String name) throws Exception {
        Path secretsFile = dir.resolve(name + "-secrets.properties");
        Properties secrets = new Properties();
        Properties config = new Properties();
        config.setProperty("config.providers", "file");
        config.setProperty("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        clientConfig.forEach((key, value) -> {
            if (key.equals("bootstrap.servers")) {
                return;
            }
            if (key.equals("sasl.jaas.config") || key.endsWith(".password")) {
                secrets.setProperty(key, String.valueOf(value));
                config.setProperty(key, "${file:" + secretsFile + ":" + key + "}");
            } else {
                config.setProperty(key, String.valueOf(value));
            }
        });
        Files.deleteIfExists(secretsFile);
        Files.createFile(secretsFile, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try (Writer out = Files.newBufferedWriter(secretsFile, StandardCharsets.UTF_8)) {
            secrets.store(out, "secrets of " + name + ".properties");
        }
        Path file = dir.resolve(name + ".properties");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            config.store(out, "no secret in here: see " + secretsFile.getFileName());
        }
        return file;
    }
}
