package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushProvider;
import io.pushline.push.PushRequest;
import io.pushline.push.PushType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code pushline run}'s provider options build real, guarded providers from files and environment variables: per-app
 * APNs credentials through the real Pushy client, FCM from a service-account key in the environment through the real
 * Firebase Admin SDK, both against the local test servers.
 */
@Timeout(60)
class ProviderOptionsTest {

    private static final String APNS_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private static ProviderOptions parse(String... args) {
        ProviderOptions options = new ProviderOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    private static PushOutcome send(PushProvider provider, PushRequest request) throws Exception {
        return provider.send(request).get(20, TimeUnit.SECONDS);
    }

    private static PushRequest apns(String bundle) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.APNS, APNS_TOKEN, bundle, "t", "b", Map.of(), null,
                null, Priority.HIGH, PushType.ALERT);
    }

    @Test
    void perAppApnsCredentialsRouteEachBundleAndRejectUnknownOnes(@TempDir Path dir) throws Exception {
        MockApns mock = MockApns.start();
        closeables.add(mock);
        Path key = Files.writeString(dir.resolve("key.p8"), mock.signingMaterial().pkcs8Pem());
        Path ca = Files.writeString(dir.resolve("ca.pem"), mock.trustedCertificatePem());
        String keyPart = ",key-file=" + key + ",team-id=" + mock.signingMaterial().teamId() + ",key-id=" + mock.signingMaterial().keyId();
        ProviderOptions options = parse("--apns-host", mock.host(), "--apns-port", Integer.toString(mock.port()),
                "--apns-ca-file", ca.toString(), "--apns-app", "bundle=io.pushline.one" + keyPart,
                "--apns-app", "bundle=io.pushline.two" + keyPart, "--circuit-open", "5s");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        Map<Platform, PushProvider> providers = options.realProviders(registry, 100, name -> null);
        providers.values().forEach(closeables::add);

        assertThat(providers).containsOnlyKeys(Platform.APNS);
        PushProvider apns = providers.get(Platform.APNS);
        assertThat(send(apns, apns("io.pushline.one"))).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(send(apns, apns("io.pushline.two"))).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(send(apns, apns("io.pushline.three"))).isInstanceOfSatisfying(PushOutcome.Rejected.class,
                rejected -> assertThat(rejected.reason()).contains("no APNs credentials for app io.pushline.three"));
        assertThat(mock.ledger().acceptedCount()).isEqualTo(2);
        // Guarded: the circuit breaker's state is exported.
        assertThat(registry.find("resilience4j.circuitbreaker.state").tag("name", "apns").gauges()).isNotEmpty();
        assertThat(apns.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void fcmFromAServiceAccountKeyInTheEnvironment(@TempDir Path dir) throws Exception {
        FakeFcm fake = FakeFcm.start();
        closeables.add(fake);
        String json = TestCredentials.serviceAccountJson(fake.baseUrl() + "/token");
        ProviderOptions options = parse("--fcm-endpoint", fake.baseUrl().toString());

        Map<Platform, PushProvider> providers = options.realProviders(new SimpleMeterRegistry(), 100,
                name -> name.equals(ProviderOptions.FCM_SERVICE_ACCOUNT_JSON_ENV) ? json : null);
        providers.values().forEach(closeables::add);

        PushRequest request = new PushRequest(UUID.randomUUID().toString(), Platform.FCM, "fcm-token-0123456789:abc", null,
                "t", "b", Map.of(), null, null, Priority.NORMAL, PushType.ALERT);
        assertThat(send(providers.get(Platform.FCM), request)).isInstanceOfSatisfying(PushOutcome.Delivered.class,
                delivered -> assertThat(delivered.providerId()).startsWith("projects/sa-project/messages/"));
        assertThat(fake.tokenRequests()).isEqualTo(1);
    }

    @Test
    void aBrokenKeyInTheEnvironmentIsNamedButNeverQuoted() throws Exception {
        String broken = TestCredentials.serviceAccountJson("http://127.0.0.1:9/token").replace("service_account", "authorized_user");

        assertThatThrownBy(() -> parse().realProviders(new SimpleMeterRegistry(), 100,
                name -> name.equals(ProviderOptions.FCM_SERVICE_ACCOUNT_JSON_ENV) ? broken : null))
                .isInstanceOf(ProviderOptions.Invalid.class)
                .hasMessageContaining(ProviderOptions.FCM_SERVICE_ACCOUNT_JSON_ENV)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PRIVATE").doesNotContain("sa-project"));
    }

    @Test
    void aKeyFileAndPerAppCredentialsTogetherAreRefused(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("key.p8"), "not used");
        ProviderOptions options = parse("--apns-key-file", key.toString(), "--apns-team-id", "T", "--apns-key-id", "K",
                "--apns-app", "bundle=io.x,key-file=" + key + ",team-id=T,key-id=K");

        assertThatThrownBy(() -> options.realProviders(new SimpleMeterRegistry(), 100, name -> null))
                .isInstanceOf(ProviderOptions.Invalid.class).hasMessageContaining("not both");
    }

    @Test
    void appsCanComeFromTheEnvironmentAndABadKeyIsNamedByItsFile(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("bad.p8"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        String specs = "bundle=io.x,key-file=" + key + ",team-id=TEAM123456,key-id=KEY1234567 ; ";

        assertThatThrownBy(() -> parse().realProviders(new SimpleMeterRegistry(), 100,
                name -> name.equals(ProviderOptions.APNS_APPS_ENV) ? specs : null))
                .isInstanceOf(ProviderOptions.Invalid.class)
                .hasMessageStartingWith("--apns-app: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("AAAA"));
    }
}
