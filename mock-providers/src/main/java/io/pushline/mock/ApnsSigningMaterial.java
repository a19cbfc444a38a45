package io.pushline.mock;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

/**
 * A throwaway APNs token-authentication key: an EC P-256 key pair with a random 10-character team
 * id and key id, like the {@code .p8} files Apple issues.
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows the team and key ids, never the key.
 */
public final class ApnsSigningMaterial {

    private static final String ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String teamId;
    private final String keyId;
    private final ECPrivateKey privateKey;
    private final ECPublicKey publicKey;

    private ApnsSigningMaterial(String teamId, String keyId, ECPrivateKey privateKey, ECPublicKey publicKey) {
        this.teamId = teamId;
        this.keyId = keyId;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    public static ApnsSigningMaterial generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair keyPair = generator.generateKeyPair();
            return new ApnsSigningMaterial(randomId(), randomId(),
                    (ECPrivateKey) keyPair.getPrivate(), (ECPublicKey) keyPair.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not generate an EC P-256 key pair", e);
        }
    }

    public String teamId() {
        return teamId;
    }

    public String keyId() {
        return keyId;
    }

    /**
     * The private key as unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}), the format of
     * Apple's {@code .p8} files and of Pushy's {@code ApnsSigningKey.loadFromInputStream}.
     */
    public String pkcs8Pem() {
        return Pem.encode("PRIVATE KEY", privateKey.getEncoded());
    }

    /** The public half, for a mock that verifies the provider tokens it receives. */
    public ECPublicKey publicKey() {
        return publicKey;
    }

    @Override
    public String toString() {
        return "ApnsSigningMaterial[teamId=" + teamId + ", keyId=" + keyId + "]";
    }

    private static String randomId() {
        StringBuilder id = new StringBuilder(10);
        for (int i = 0; i < 10; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }
}
