package io.pushline.mock;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class MaterialTest {

    @Test
    void signingMaterialIsPkcs8PemAndToStringHidesTheKey() {
        ApnsSigningMaterial material = ApnsSigningMaterial.generate();
        String pem = material.pkcs8Pem();

        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        assertThat(material.teamId()).hasSize(10);
        assertThat(material.keyId()).hasSize(10);
        String base64Body = pem.lines().filter(line -> !line.startsWith("-----")).reduce("", String::concat);
        assertThat(material.toString())
                .contains(material.teamId(), material.keyId())
                .doesNotContain(base64Body.substring(0, 20))
                .doesNotContain("PRIVATE");
        assertThat(Base64.getDecoder().decode(base64Body)).isNotEmpty();
    }

    @Test
    void tlsMaterialNamesLocalhostAndLoopbackAndHidesTheKey() throws Exception {
        TlsMaterial tls = TlsMaterial.selfSigned("push.example");

        assertThat(tls.certificate().getSubjectAlternativeNames())
                .extracting(entry -> (Object) entry.get(1))
                .contains((Object) "localhost", "127.0.0.1", "push.example");
        tls.certificate().checkValidity();
        tls.certificate().verify(tls.certificate().getPublicKey());
        assertThat(tls.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(tls.toString()).doesNotContain("PRIVATE").contains("sha256=");
    }

    @Test
    void ledgerCountsDuplicatesAndSnapshots() {
        PushLedger ledger = new PushLedger();
        Instant now = Instant.now();
        ledger.record("t1", "p1", now);
        ledger.record("t1", "p1", now);
        ledger.record("t2", "p2", now);

        assertThat(ledger.acceptedCount()).isEqualTo(3);
        assertThat(ledger.distinctPushIds()).isEqualTo(2);
        assertThat(ledger.duplicateCount()).isEqualTo(1);
        assertThat(ledger.countsByPushId()).containsEntry("p1", 2).containsEntry("p2", 1);
        assertThat(ledger.countsByToken()).containsEntry("t1", 2);
        assertThat(ledger.accepted()).hasSize(3);

        ledger.clear();
        assertThat(ledger.acceptedCount()).isZero();
        assertThat(ledger.accepted()).isEmpty();
    }
}
