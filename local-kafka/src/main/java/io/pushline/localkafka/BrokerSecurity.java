package io.pushline.localkafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * How a {@link LocalBroker}'s client listener authenticates clients: not at all ({@link #plaintext()}, the default),
 * with SASL/SCRAM-SHA-512 in the clear ({@link #saslScram()}) or over TLS ({@link #saslScramOverTls}), or with client
 * certificates ({@link #mutualTls}). The controller listener is on 127.0.0.1, PLAINTEXT unless the broker runs an
 * authorizer (below); clients never use it.
 *
 * <p>Under SCRAM the broker authenticates to itself as {@value #BROKER_USER} (its inter-broker listener is the client
 * listener), with a random password generated when the data dir is formatted and kept in the data dir (owner-only).
 * The storage tool is given only that credential's salted form. Users from {@link #withScramUser} are created through
 * the Admin API once the broker is up, so their passwords are never written to a file or a command line by
 * LocalBroker.
 *
 * <p>By default the broker runs no authorizer: any authenticated principal may do anything. {@link #withAuthorizer()}
 * turns on KRaft's {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}: a principal may then
 * do only what an ACL allows, and only the broker's own principals ({@link #superUsers()}) are super users. An
 * authorizer needs TLS, because the broker must prove who it is on the controller listener too: that listener then
 * speaks TLS and requires the broker's certificate (Kafka's controller listener cannot use SCRAM, whose credentials
 * live in the very metadata the controller serves), instead of PLAINTEXT, where every local process would be the
 * anonymous principal and would have to be a super user.
 *
 * <p>Immutable and thread-safe. {@link #toString()} names users, never passwords.
 */
public final class BrokerSecurity {

    /** The only SASL mechanism LocalBroker enables. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    /** The SCRAM user the broker authenticates to itself as, and that {@link LocalBroker#clientConfig()} uses. */
    public static final String BROKER_USER = "pushline-broker";
    /** SCRAM iterations of every credential LocalBroker creates (Kafka's minimum for SCRAM-SHA-512). */
    static final int SCRAM_ITERATIONS = 4096;
    private static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    /** KRaft's ACL authorizer, which keeps ACLs in the metadata log. */
    static final String AUTHORIZER_CLASS = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    /** The controller listener's name, in {@code controller.listener.names} and the protocol map. */
    static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final SecurityProtocol protocol;
    private final TlsStores tls;
    private final Map<String, String> scramUsers;
    private final boolean authorizer;

    private BrokerSecurity(SecurityProtocol protocol, TlsStores tls, Map<String, String> scramUsers, boolean authorizer) {
        this.protocol = protocol;
        this.tls = tls;
        this.scramUsers = Collections.unmodifiableMap(new LinkedHashMap<>(scramUsers));
        this.authorizer = authorizer;
    }

    private BrokerSecurity(SecurityProtocol protocol, TlsStores tls, Map<String, String> scramUsers) {
        this(protocol, tls, scramUsers, false);
    }

    /** No authentication and no encryption: LocalBroker's default. */
    public static BrokerSecurity plaintext() {
        return new BrokerSecurity(SecurityProtocol.PLAINTEXT, null, Map.of());
    }

    /** SASL/SCRAM-SHA-512 without TLS ({@code SASL_PLAINTEXT}): passwords never cross the wire, but records do in the clear. */
    public static BrokerSecurity saslScram() {
        return new BrokerSecurity(SecurityProtocol.SASL_PLAINTEXT, null, Map.of());
    }

    /** SASL/SCRAM-SHA-512 over TLS ({@code SASL_SSL}); clients must trust the broker's certificate. */
    public static BrokerSecurity saslScramOverTls(TlsStores tls) {
        return new BrokerSecurity(SecurityProtocol.SASL_SSL, Objects.requireNonNull(tls, "tls"), Map.of());
    }

    /**
     * Mutual TLS ({@code SSL} with {@code ssl.client.auth=required}): a client must present a certificate the trust store
     * trusts. The broker presents its own key store's certificate to itself, so the trust store must trust that too.
     */
    public static BrokerSecurity mutualTls(TlsStores tls) {
        return new BrokerSecurity(SecurityProtocol.SSL, Objects.requireNonNull(tls, "tls"), Map.of());
    }

    /**
     * A SCRAM-SHA-512 user the broker creates when it starts (again on every start: a changed password replaces the
     * old one).
     *
     * @throws IllegalArgumentException if this security has no SASL, the name is blank or {@value #BROKER_USER}, the
     *     password empty, or the user already given
     */
    public BrokerSecurity withScramUser(String name, String password) {
        if (!usesScram()) {
            throw new IllegalArgumentException("SCRAM users need saslScram() or saslScramOverTls(...), not " + protocol.name);
        }
        if (name == null || name.isBlank() || !name.equals(name.trim())) {
            throw new IllegalArgumentException("a SCRAM user name must be non-blank without surrounding spaces, was '" + name + "'");
        }
        if (name.equals(BROKER_USER)) {
            throw new IllegalArgumentException("the SCRAM user " + BROKER_USER + " is the broker's own; choose another name");
        }
        if (scramUsers.containsKey(name)) {
            throw new IllegalArgumentException("the SCRAM user " + name + " is given twice");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("the SCRAM user " + name + " needs a non-empty password");
        }
        Map<String, String> users = new LinkedHashMap<>(scramUsers);
        users.put(name, password);
        return new BrokerSecurity(protocol, tls, users, authorizer);
    }

    /**
     * The same security with KRaft's {@code StandardAuthorizer}: no ACL, no access ({@code
     * allow.everyone.if.no.acl.found=false}), and the broker's own principals ({@link #superUsers()}) as the only super
     * users. The controller listener then requires TLS with the broker's certificate. Grant ACLs through the Admin API
     * as the broker's principal ({@link LocalBroker#clientConfig()}); they are kept in the metadata log across
     * restarts.
     *
     * @throws IllegalArgumentException without TLS ({@link #plaintext()}, {@link #saslScram()}): the broker could not
     *     authenticate to its own controller listener
     */
    public BrokerSecurity withAuthorizer() {
        if (tls == null) {
            throw new IllegalArgumentException("an authorizer needs TLS (saslScramOverTls(...) or mutualTls(...)), not "
                    + protocol.name + ": the broker proves itself to its controller listener with its certificate");
        }
        return new BrokerSecurity(protocol, tls, scramUsers, true);
    }

    /** Whether the broker runs an authorizer ({@link #withAuthorizer()}). */
    public boolean hasAuthorizer() {
        return authorizer;
    }

    /**
     * The principals that bypass ACLs, as Kafka writes them ({@code User:name}), when the broker runs an authorizer:
     * under SCRAM {@code User:}{@value #BROKER_USER}, and the subject of the broker's certificate (its principal on the
     * controller listener, and under mutual TLS on the client listener too). Empty without an authorizer.
     *
     * @throws IllegalArgumentException if the key store cannot be opened with its password or holds no key
     */
    public List<String> superUsers() {
        if (!authorizer) {
            return List.of();
        }
        List<String> users = new ArrayList<>();
        if (usesScram()) {
            users.add("User:" + BROKER_USER);
        }
        users.add("User:" + certificateSubject(tls));
        return List.copyOf(users);
    }

    /**
     * The subject of the key store's certificate as Kafka's default SSL principal builder names a peer: the X.500
     * name in RFC 2253 form.
     */
    static String certificateSubject(TlsStores tls) {
        try (InputStream in = Files.newInputStream(tls.keyStore())) {
            KeyStore store = KeyStore.getInstance(tls.type());
            store.load(in, tls.keyStorePassword().toCharArray());
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate certificate) {
                    return certificate.getSubjectX500Principal().getName();
                }
            }
            throw new IllegalArgumentException("keyStore " + tls.keyStore() + " holds no private key with a certificate");
        } catch (IOException | GeneralSecurityException e) {
            // Never the password: the JDK's messages name the file or the failure only.
            throw new IllegalArgumentException("cannot read the broker's certificate from keyStore " + tls.keyStore() + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /** The client listener's security protocol; clients set it as {@code security.protocol}. */
    public SecurityProtocol protocol() {
        return protocol;
    }

    /** The SCRAM users created at start, by name. */
    public Set<String> scramUserNames() {
        return scramUsers.keySet();
    }

    boolean usesScram() {
        return protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
    }

    Map<String, String> scramUsers() {
        return scramUsers;
    }

    /** The client listener's name: the protocol's, so that {@code listener.name.<name>.*} reads naturally. */
    String listenerName() {
        return protocol.name;
    }

    /** The controller listener's protocol: TLS with client certificates under an authorizer, else PLAINTEXT on loopback. */
    SecurityProtocol controllerProtocol() {
        return authorizer ? SecurityProtocol.SSL : SecurityProtocol.PLAINTEXT;
    }

    /**
     * The broker settings for this security, beyond the listener keys; {@code brokerPassword} is the broker's own SCRAM
     * password (ignored without SCRAM).
     */
    Map<String, String> brokerConfig(String brokerPassword) {
        Map<String, String> config = new LinkedHashMap<>();
        if (usesScram()) {
            config.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            config.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
            config.put("listener.name." + listenerName().toLowerCase(Locale.ROOT) + "." + SCRAM_MECHANISM.toLowerCase(Locale.ROOT)
                    + ".sasl.jaas.config", jaasConfig(BROKER_USER, brokerPassword));
        }
        if (tls != null) {
            config.put("ssl.keystore.type", tls.type());
            config.put("ssl.keystore.location", tls.keyStore().toString());
            config.put("ssl.keystore.password", tls.keyStorePassword());
            config.put("ssl.key.password", tls.keyStorePassword());
            config.put("ssl.truststore.type", tls.type());
            config.put("ssl.truststore.location", tls.trustStore().toString());
            config.put("ssl.truststore.password", tls.trustStorePassword());
            config.put("ssl.client.auth", protocol == SecurityProtocol.SSL ? "required" : "none");
        }
        if (authorizer) {
            config.put("authorizer.class.name", AUTHORIZER_CLASS);
            config.put("super.users", String.join(";", superUsers()));
            config.put("allow.everyone.if.no.acl.found", "false");
            // super.users names the certificate's subject as the default mapping gives it; no other mapping may rename it.
            config.put("ssl.principal.mapping.rules", "DEFAULT");
            // The broker and controller present the key store's certificate to each other (the ssl.* keys above).
            config.put("listener.name." + CONTROLLER_LISTENER.toLowerCase(Locale.ROOT) + ".ssl.client.auth", "required");
        }
        return config;
    }

    /**
     * What a client needs to be the broker's own principal ({@value #BROKER_USER} under SCRAM, the broker's certificate
     * under mutual TLS). Empty for plaintext.
     */
    Map<String, Object> clientConfig(String brokerPassword) {
        Map<String, Object> config = new LinkedHashMap<>();
        if (protocol == SecurityProtocol.PLAINTEXT) {
            return config;
        }
        config.put("security.protocol", protocol.name);
        if (usesScram()) {
            config.putAll(scramClientConfig(BROKER_USER, brokerPassword));
        }
        if (tls != null) {
            config.put("ssl.truststore.type", tls.type());
            config.put("ssl.truststore.location", tls.trustStore().toString());
            config.put("ssl.truststore.password", tls.trustStorePassword());
            if (protocol == SecurityProtocol.SSL) {
                config.put("ssl.keystore.type", tls.type());
                config.put("ssl.keystore.location", tls.keyStore().toString());
                config.put("ssl.keystore.password", tls.keyStorePassword());
                config.put("ssl.key.password", tls.keyStorePassword());
            }
        }
        return config;
    }

    /** {@code security.protocol} aside, a SCRAM client's settings: mechanism and JAAS line. */
    static Map<String, Object> scramClientConfig(String user, String password) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("sasl.mechanism", SCRAM_MECHANISM);
        config.put("sasl.jaas.config", jaasConfig(user, password));
        return config;
    }

    /** Kafka's JAAS parser reads quoted strings with backslash escapes. */
    static String jaasConfig(String user, String password) {
        return SCRAM_LOGIN_MODULE + " required username=\"" + quote(user) + "\" password=\"" + quote(password) + "\";";
    }

    private static String quote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public String toString() {
        return "BrokerSecurity[" + protocol.name + (usesScram() ? ", " + SCRAM_MECHANISM + ", users=" + scramUsers.keySet() : "")
                + (tls == null ? "" : ", " + tls) + (authorizer ? ", authorizer" : "") + "]";
    }
}
