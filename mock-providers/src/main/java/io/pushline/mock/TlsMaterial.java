package io.pushline.mock;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway self-signed TLS server certificate (EC P-256, SHA256withECDSA), generated in memory
 * so nothing secret is ever checked in. The certificate names {@code localhost} and
 * {@code 127.0.0.1} plus any extra host names given, and is valid from one hour ago for 30 days.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows the private key.
 */
public final class TlsMaterial {

    private static final Duration VALIDITY = Duration.ofDays(30);

    private final X509Certificate certificate;
    private final PrivateKey privateKey;

    private TlsMaterial(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * Generates a new key pair and a self-signed certificate for {@code localhost}, {@code 127.0.0.1}
     * and {@code hostnames} (host names or IP literals).
     */
    public static TlsMaterial selfSigned(String... hostnames) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
        for (String hostname : hostnames) {
            if (hostname == null || hostname.isBlank()) {
                throw new IllegalArgumentException("hostnames must not contain null or blank entries");
            }
            names.add(hostname.trim());
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair keyPair = generator.generateKeyPair();

            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + names.iterator().next() + ",O=Pushline mock provider");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(VALIDITY)),
                    subject,
                    keyPair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(names));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));

            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
            return new TlsMaterial(certificate, keyPair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("could not generate a self-signed certificate", e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The certificate as PEM ({@code -----BEGIN CERTIFICATE-----}): what clients must trust. */
    public String certificatePem() {
        try {
            return Pem.encode("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("could not encode the certificate", e);
        }
    }

    @Override
    public String toString() {
        return "TlsMaterial[subject=" + certificate.getSubjectX500Principal().getName()
                + ", sha256=" + fingerprint() + ", notAfter=" + certificate.getNotAfter().toInstant() + "]";
    }

    private String fingerprint() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            return "?";
        }
    }

    private static GeneralNames subjectAltNames(Set<String> names) {
        List<GeneralName> result = new ArrayList<>();
        for (String name : names) {
            boolean ipLiteral = name.matches("[0-9.]+") || name.contains(":");
            result.add(new GeneralName(ipLiteral ? GeneralName.iPAddress : GeneralName.dNSName, name));
        }
        return new GeneralNames(result.toArray(GeneralName[]::new));
    }
}
