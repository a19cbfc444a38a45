package io.pushline.localkafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The key store and trust store of a {@link LocalBroker} that speaks TLS ({@link BrokerSecurity#saslScramOverTls} or
 * {@link BrokerSecurity#mutualTls}).
 *
 * <p>The key store holds the broker's private key and certificate, which must name {@code 127.0.0.1} (a subject
 * alternative name {@code IP:127.0.0.1}): the broker connects to itself over its client listener (transaction
 * markers) and verifies the host name like any client. Its password is also the key's password. The trust store
 * must trust the broker's certificate (again because the broker is its own client) and, for mutual TLS, the
 * certificates the clients present.
 *
 * <p>Immutable. {@link #toString()} never shows the passwords.
 *
 * @param type               {@code PKCS12} or {@code JKS}, for both stores
 * @param keyStore           the broker's key and certificate
 * @param keyStorePassword   the key store's password, which is also the key's
 * @param trustStore         the certificates the broker trusts
 * @param trustStorePassword the trust store's password
 */
public record TlsStores(String type, Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {

    private static final Set<String> TYPES = Set.of("PKCS12", "JKS");

    /** Checks every component and names the one that is wrong, without quoting passwords. */
    public TlsStores {
        if (type == null || !TYPES.contains(type.toUpperCase(Locale.ROOT))) {
            throw new IllegalArgumentException("type must be PKCS12 or JKS, was " + type);
        }
        type = type.toUpperCase(Locale.ROOT);
        keyStore = readableFile("keyStore", keyStore);
        trustStore = readableFile("trustStore", trustStore);
        if (keyStorePassword == null || keyStorePassword.isEmpty()) {
            throw new IllegalArgumentException("keyStorePassword must be set (it is also the key's password)");
        }
        if (trustStorePassword == null || trustStorePassword.isEmpty()) {
            throw new IllegalArgumentException("trustStorePassword must be set");
        }
    }

    /** Two PKCS12 files. */
    public static TlsStores pkcs12(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
        return new TlsStores("PKCS12", keyStore, keyStorePassword, trustStore, trustStorePassword);
    }

    private static Path readableFile(String field, Path file) {
        if (file == null || !Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(field + " must be a readable file, was " + file);
        }
        return file.toAbsolutePath().normalize();
    }

    @Override
    public String toString() {
        return "TlsStores[" + type + ", keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
    }
}
