package io.pushline.app;

import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Throwaway credentials for the local test servers. */
final class TestCredentials {

    private TestCredentials() {
    }

    /** A Firebase service-account key (a fresh RSA key) whose token endpoint is {@code tokenUri}; project {@code sa-project}. */
    static String serviceAccountJson(String tokenUri) throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String key = "-----BEGIN PRIVATE KEY-----\\n"
                + Base64.getEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\\n-----END PRIVATE KEY-----\\n";
        return "{\"type\":\"service_account\",\"project_id\":\"sa-project\",\"private_key_id\":\"key-1\","
                + "\"private_key\":\"" + key + "\",\"client_email\":\"pushline@sa-project.iam.gserviceaccount.com\","
                + "\"client_id\":\"1234567890\",\"token_uri\":\"" + tokenUri + "\"}";
    }
}
