package io.pushline.localkafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The broker's own SCRAM password: generated when a data dir is first formatted with SCRAM, kept in the data dir
 * (readable by the owner only) so that later starts on the same storage authenticate with it, and handed to the
 * storage tool only in salted form.
 */
final class BrokerCredential {

    private static final SecureRandom RANDOM = new SecureRandom();

    private BrokerCredential() {}

    /**
     * The password kept in {@code dataDir}, or a new one when the data dir is not formatted yet.
     *
     * @throws LocalBrokerException if the data dir was formatted without SCRAM (its metadata has no credential for the
     *     broker, so it could not authenticate to itself), or the file cannot be read or written
     */
    static String loadOrCreate(Path dataDir) {
        Path file = BrokerFiles.brokerSecretFile(dataDir);
        boolean formatted = Files.exists(BrokerFiles.metaProperties(dataDir));
        try {
            if (Files.exists(file)) {
                String password = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!password.isEmpty()) {
                    return password;
                }
            }
            if (formatted) {
                throw new LocalBrokerException("the data dir " + dataDir + " was formatted without SASL/SCRAM, so its"
                        + " metadata holds no credential for the broker itself; use a new data dir for a SCRAM broker");
            }
            byte[] secret = new byte[24];
            RANDOM.nextBytes(secret);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            Files.deleteIfExists(file);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
            return password;
        } catch (IOException e) {
            throw new LocalBrokerException("cannot keep the broker's SCRAM credential in " + file + ": " + e, e);
        }
    }

    /**
     * The storage tool's {@code --add-scram} value for {@code user}: the salted password (SCRAM's {@code Hi}, which is
     * PBKDF2 with HMAC-SHA-512) and a fresh salt, so that the password itself is never on a command line.
     */
    static String addScramArgument(String user, String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder base64 = Base64.getEncoder();
        return BrokerSecurity.SCRAM_MECHANISM + "=[name=" + user + ",iterations=" + BrokerSecurity.SCRAM_ITERATIONS
                + ",salt=\"" + base64.encodeToString(salt) + "\",saltedpassword=\""
                + base64.encodeToString(saltedPassword(password, salt, BrokerSecurity.SCRAM_ITERATIONS)) + "\"]";
    }

    static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 512);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute PBKDF2WithHmacSHA512", e);
        } finally {
            spec.clearPassword();
        }
    }
}
