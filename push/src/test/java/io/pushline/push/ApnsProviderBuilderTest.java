package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.pushline.mock.ApnsSigningMaterial;
import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class ApnsProviderBuilderTest {

    private final ApnsSigningMaterial key = ApnsSigningMaterial.generate();

    @Test
    void needsExactlyOneKindOfAuthentication() {
        assertThatIllegalArgumentException().isThrownBy(() -> ApnsProvider.builder().build())
                .withMessage("exactly one of signingKey(...) or clientCredentials(...) must be set, got neither");
        assertThatIllegalArgumentException().isThrownBy(() -> signed()
                        .clientCredentials(new ByteArrayInputStream(new byte[0]), "secret-p12-password").build())
                .withMessage("exactly one of signingKey(...) or clientCredentials(...) must be set, got both");
    }

    @Test
    void namesTheFieldAndTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> signed().concurrentConnections(0).build())
                .withMessage("concurrentConnections must be >= 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> signed().maxInFlightPerConnection(-5).build())
                .withMessage("maxInFlightPerConnection must be >= 1, was -5");
        assertThatIllegalArgumentException().isThrownBy(() -> signed().maxQueued(-1).build())
                .withMessage("maxQueued must be >= 0, was -1");
        assertThatIllegalArgumentException().isThrownBy(() -> signed().server("localhost", 70000).build())
                .withMessage("server port must be within 1..65535, was 70000");
        assertThatIllegalArgumentException().isThrownBy(() -> signed().server(" ", 443).build())
                .withMessage("server host must not be blank, was ' '");
        assertThatIllegalArgumentException().isThrownBy(() -> signed().trustedServerCertificatePem("not a pem").build())
                .withMessageStartingWith("trustedServerCertificatePem is not a PEM X.509 certificate chain");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ApnsProvider.builder().signingKey(key.pkcs8Pem(), "", key.keyId()).build())
                .withMessage("signingKey teamId must not be blank, was ''");
    }

    @Test
    void aBrokenKeyOrP12IsReportedWithoutTheSecret() {
        String[] lines = key.pkcs8Pem().split("\n");
        String truncatedBody = lines[1].substring(0, 40);
        String broken = lines[0] + "\n" + truncatedBody + "\n" + lines[lines.length - 1] + "\n";
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ApnsProvider.builder().signingKey(broken, key.teamId(), key.keyId()).build())
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("signingKey for teamId " + key.teamId() + ", keyId " + key.keyId()
                            + " is not an unencrypted PKCS#8 EC private key in PEM form");
                    assertThat(e.getMessage()).doesNotContain(truncatedBody.substring(8, 30));
                    assertThat(e.getCause()).isNull();
                });
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ApnsProvider.builder()
                        .clientCredentials(new ByteArrayInputStream("junk".getBytes()), "secret-p12-password").build())
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("clientCredentials could not be read as PKCS#12").doesNotContain("secret-p12-password");
                    assertThat(e.getCause()).isNull();
                });
    }

    private ApnsProvider.Builder signed() {
        return ApnsProvider.builder().signingKey(key.pkcs8Pem(), key.teamId(), key.keyId());
    }
}
