package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.MockWebPush;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushProvider;
import io.pushline.push.PushRequest;
import io.pushline.push.PushType;
import io.pushline.push.WebPushSubscription;
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

    /** A VAPID key set as JSON: the public point and the private scalar of {@code keys}, base64url. */
    private static String vapidSet(String subject, java.security.KeyPair keys) {
        byte[] scalar = new byte[32];
        copy32(((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getS(), scalar, 0);
        return "{\"subject\": \"" + subject + "\", \"publicKey\": \""
                + MockWebPush.applicationServerKey((java.security.interfaces.ECPublicKey) keys.getPublic()) + "\", \"privateKey\": \""
                + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(scalar) + "\"}";
    }

    private static void copy32(java.math.BigInteger n, byte[] out, int at) {
        byte[] b = n.toByteArray();
        int len = Math.min(b.length, 32);
        System.arraycopy(b, b.length - len, out, at + 32 - len, len);
    }

    private static PushRequest web(MockWebPush.Subscription to, String appId) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.WEBPUSH, "wp-token-0123456789", appId, "t", "b", Map.of(),
                null, null, Priority.HIGH, PushType.ALERT, null, null,
                WebPushSubscription.of(to.endpoint().toString(), to.p256dh(), to.auth()));
    }

    @Test
    void webPushSignsEachAppsPushesWithItsOwnVapidKeysFromAFile(@TempDir Path dir) throws Exception {
        MockWebPush service = MockWebPush.start();
        closeables.add(service);
        java.security.KeyPair defaults = MockWebPush.newVapidKeys();
        java.security.KeyPair shop = MockWebPush.newVapidKeys();
        Path file = Files.writeString(dir.resolve("vapid.json"), "{\"default\": " + vapidSet("mailto:ops@example.com", defaults)
                + ", \"apps\": {\"web.shop\": " + vapidSet("https://shop.example.com/contact", shop) + "}}");
        ProviderOptions options = parse("--webpush-vapid-file", file.toString(), "--webpush-allow-loopback-http");

        Map<Platform, PushProvider> providers = options.realProviders(new SimpleMeterRegistry(), 100, name -> null);
        providers.values().forEach(closeables::add);

        assertThat(providers).containsOnlyKeys(Platform.WEBPUSH);
        PushProvider webPush = providers.get(Platform.WEBPUSH);
        // A subscription made with the shop's applicationServerKey takes the shop's pushes (signed with its key) ...
        MockWebPush.Subscription shopFan = service.subscribe(MockWebPush.applicationServerKey((java.security.interfaces.ECPublicKey) shop.getPublic()));
        assertThat(send(webPush, web(shopFan, "web.shop"))).isInstanceOf(PushOutcome.Delivered.class);
        // ... and an app without keys of its own signs with the default set.
        MockWebPush.Subscription otherFan = service.subscribe(MockWebPush.applicationServerKey((java.security.interfaces.ECPublicKey) defaults.getPublic()));
        assertThat(send(webPush, web(otherFan, "web.other"))).isInstanceOf(PushOutcome.Delivered.class);
        // Signed with the wrong app's keys, the push service refuses it (403): the keys really are per app.
        assertThat(send(webPush, web(shopFan, "web.other"))).isInstanceOf(PushOutcome.Rejected.class);
        assertThat(service.ledger().acceptedCount()).isEqualTo(2);
    }

    @Test
    void badVapidConfigurationIsRefusedAtStartNamingWhereButNeverTheKey(@TempDir Path dir) throws Exception {
        java.security.KeyPair keys = MockWebPush.newVapidKeys();
        java.security.KeyPair other = MockWebPush.newVapidKeys();
        String good = vapidSet("mailto:ops@example.com", keys);
        String privatePart = good.substring(good.indexOf("\"privateKey\""));
        String secret = privatePart.substring(privatePart.indexOf(": \"") + 3, privatePart.lastIndexOf('"'));
        String mismatched = vapidSet("mailto:ops@example.com", other).replaceAll("\"privateKey\": \"[^\"]+\"", "\"privateKey\": \"" + secret + "\"");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"apps\": {\"web.a\": " + mismatched + "}}", "the VAPID keys of app web.a: the public key is not the private key's");
        cases.put("{\"default\": " + good.replace("mailto:ops@example.com", "ops@example.com") + "}", "the subject must be a mailto: or https: contact");
        cases.put("{\"default\": " + good.replace(secret, secret.substring(4)) + "}", "the default VAPID keys: the private key is not a P-256 key");
        cases.put("{\"default\": {\"subject\": \"mailto:a@b.c\", \"publicKey\": \"x\"}}", "default: \"privateKey\" must be a non-empty string");
        cases.put("{\"apps\": {\"web.a\": " + good.replace("}", ", \"kid\": \"1\"}") + "}}", "app web.a: unknown field 'kid'");
        cases.put("{\"keys\": " + good + "}", "unknown field 'keys' (fields: default, apps)");
        cases.put("{}", "no VAPID keys");
        cases.put("{\"default\": {\"privateKey\": \"" + secret + "\" \"subject\"}}", "not valid JSON (line 1");
        cases.put("[" + good + "]", "must be a JSON object");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path file = Files.writeString(dir.resolve("vapid.json"), c.getKey());
            assertThatThrownBy(() -> parse("--webpush-vapid-file", file.toString()).realProviders(new SimpleMeterRegistry(), 100, name -> null))
                    .as(c.getKey()).isInstanceOf(ProviderOptions.Invalid.class)
                    .hasMessageStartingWith("--webpush-vapid-file " + file + ": ").hasMessageContaining(c.getValue())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).doesNotContain(secret.substring(4)));
        }
        // The same JSON in the environment is named by its variable; the file and the variable together are refused.
        assertThatThrownBy(() -> parse().realProviders(new SimpleMeterRegistry(), 100,
                name -> name.equals(ProviderOptions.WEBPUSH_VAPID_JSON_ENV) ? "{\"apps\": {\"web.a\": " + mismatched + "}}" : null))
                .isInstanceOf(ProviderOptions.Invalid.class).hasMessageStartingWith(ProviderOptions.WEBPUSH_VAPID_JSON_ENV + ": the VAPID keys of app web.a")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        Path file = Files.writeString(dir.resolve("good.json"), "{\"default\": " + good + "}");
        assertThatThrownBy(() -> parse("--webpush-vapid-file", file.toString()).realProviders(new SimpleMeterRegistry(), 100,
                name -> name.equals(ProviderOptions.WEBPUSH_VAPID_JSON_ENV) ? "{}" : null))
                .isInstanceOf(ProviderOptions.Invalid.class).hasMessageContaining("not both");
    }
}
