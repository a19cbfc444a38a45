package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.MockApns;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two APNs apps, each with its own signing key, team and key id, and its own mock server to prove the route. */
@Timeout(60)
class PerAppProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String APP_ONE = "io.pushline.one";
    private static final String APP_TWO = "io.pushline.two";

    private MockApns one;
    private MockApns two;
    private PerAppProvider provider;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        one = MockApns.start();
        two = MockApns.start();
        provider = PerAppProvider.builder(Platform.APNS).app(APP_ONE, apnsFor(one)).app(APP_TWO, apnsFor(two))
                .meterRegistry(registry).build();
    }

    @AfterEach
    void stop() {
        provider.close();
        one.close();
        two.close();
    }

    @Test
    void eachAppGoesThroughItsOwnCredentials() {
        assertThat(one.signingMaterial().keyId()).isNotEqualTo(two.signingMaterial().keyId());
        PushRequest toOne = push(APP_ONE);
        PushRequest toTwo = push(APP_TWO);

        assertThat(send(toOne)).isEqualTo(new PushOutcome.Delivered(toOne.pushId()));
        assertThat(send(toTwo)).isEqualTo(new PushOutcome.Delivered(toTwo.pushId()));

        assertThat(one.ledger().countsByPushId()).containsOnlyKeys(toOne.pushId());
        assertThat(two.ledger().countsByPushId()).containsOnlyKeys(toTwo.pushId());
        assertThat(provider.apps()).containsExactlyInAnyOrder(APP_ONE, APP_TWO);
    }

    @Test
    void anUnknownAppIsAPermanentCountedRejectionWithoutARoundTrip() {
        assertThat(send(push("io.pushline.unknown")))
                .isEqualTo(new PushOutcome.Rejected("no APNs credentials for app io.pushline.unknown", false, null));

        assertThat(one.receivedCount() + two.receivedCount()).isZero();
        assertThat(registry.get(PushMetrics.REFUSED).tag(PushMetrics.TAG_REASON, "unknown_app").counter().count()).isEqualTo(1);
    }

    @Test
    void closeClosesEveryApp() {
        provider.close();

        for (String app : List.of(APP_ONE, APP_TWO)) {
            assertThat(send(push(app))).isEqualTo(PushOutcome.RetryLater.notSent("provider closed", null));
        }
    }

    @Test
    void buildNamesTheProblem() {
        assertThatIllegalArgumentException().isThrownBy(() -> PerAppProvider.builder(Platform.APNS).build())
                .withMessage("at least one app(...) must be given, was none");
        assertThatIllegalArgumentException().isThrownBy(() -> PerAppProvider.builder(Platform.APNS).app(" ", provider))
                .withMessage("appId must not be blank, was ' '");
        assertThatIllegalArgumentException().isThrownBy(() -> PerAppProvider.builder(Platform.FCM).app(APP_ONE, provider).build())
                .withMessage("app io.pushline.one must have a FCM provider, was APNS");
    }

    private static ApnsProvider apnsFor(MockApns target) {
        return ApnsProvider.builder()
                .server(target.host(), target.port())
                .trustedServerCertificatePem(target.trustedCertificatePem())
                .signingKey(target.signingMaterial().pkcs8Pem(), target.signingMaterial().teamId(), target.signingMaterial().keyId())
                .build();
    }

    private static PushRequest push(String app) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN, app, "t", "b",
                Map.of(), null, null, Priority.HIGH, PushType.ALERT);
    }

    private PushOutcome send(PushRequest request) {
        return provider.send(request).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }
}
