package io.pushline.localstack;

import io.pushline.pipeline.Pipeline;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.MockWebPush;
import io.pushline.contracts.PushSubscription;
import io.pushline.mock.PushLedger;
import io.pushline.contracts.Lane;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.GuardedProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;
import io.pushline.push.WebPushProvider;

import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The local stand-ins for APNs, FCM and a web push service, and real providers pointed at them: Pushy's
 * {@code MockApnsServer} over HTTP/2 and TLS with a certificate generated at start, a fake FCM v1 server driven by the
 * real Firebase Admin SDK, and a test push service that decrypts every web push and checks its VAPID JWT, sent to by
 * {@link WebPushProvider} with VAPID keys generated at start. Each counts what it accepts by push id.
 */
public final class MockProviders implements AutoCloseable {

    public final MockApns apns;
    public final FakeFcm fcm;
    public final MockWebPush webPush;
    /** The VAPID public key the web providers sign with: a web app's {@code applicationServerKey}. */
    public final String applicationServerKey;
    /** The bulk lane's providers (and every lane's, where a caller uses one set). */
    public final Map<Platform, PushProvider> providers;
    /** The high lane's own providers, pointed at the same mocks. */
    public final Map<Platform, PushProvider> highProviders;

    private MockProviders(MockApns apns, FakeFcm fcm, MockWebPush webPush, String applicationServerKey,
                          Map<Platform, PushProvider> providers, Map<Platform, PushProvider> highProviders) {
        this.apns = apns;
        this.fcm = fcm;
        this.webPush = webPush;
        this.applicationServerKey = applicationServerKey;
        this.providers = providers;
        this.highProviders = highProviders;
    }

    public static MockProviders start(MeterRegistry registry) {
        return start(registry, UnaryOperator.identity());
    }

    /**
     * As {@link #start(MeterRegistry)}, with each guard's settings adjusted by {@code guard} (tests scale the circuit
     * breaker's timings down with it).
     */
    public static MockProviders start(MeterRegistry registry, UnaryOperator<GuardedProvider.Builder> guard) {
        MockApns apns = MockApns.start();
        FakeFcm fcm = FakeFcm.start();
        MockWebPush webPush = MockWebPush.start();
        KeyPair vapid = MockWebPush.newVapidKeys();   // the demo's VAPID keys, made at start and never written anywhere
        return new MockProviders(apns, fcm, webPush, MockWebPush.applicationServerKey((ECPublicKey) vapid.getPublic()),
                clients(apns, fcm, vapid, registry, "bulk", guard), clients(apns, fcm, vapid, registry, "high", guard));
    }

    /**
     * A new subscription at the test push service for the demo's web app, as the browser's
     * {@code PushSubscription.toJSON()} gives it.
     */
    public PushSubscription subscribeWebDevice() {
        MockWebPush.Subscription s = webPush.subscribe(applicationServerKey);
        return new PushSubscription(s.endpoint().toString(), null, new PushSubscription.Keys(s.p256dh(), s.auth()));
    }

    /** A provider per platform pointed at the mocks, with its own connections and capacity, guarded. */
    private static Map<Platform, PushProvider> clients(MockApns apns, FakeFcm fcm, KeyPair vapid, MeterRegistry registry,
                                                       String lane, UnaryOperator<GuardedProvider.Builder> guard) {
        Map<Platform, PushProvider> providers = new EnumMap<>(Platform.class);
        providers.put(Platform.APNS, guarded(registry, "apns-" + lane, guard, ApnsProvider.builder()
                .server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .maxQueued(Pipeline.PROVIDER_QUEUE)
                .meterRegistry(registry)
                .build()));
        // Fake credentials: an access token valid far into the future, so the SDK never asks Google for one.
        GoogleCredentials credentials = GoogleCredentials.create(
                new AccessToken("pushline-demo", Date.from(Instant.now().plus(3650, ChronoUnit.DAYS))));
        providers.put(Platform.FCM, guarded(registry, "fcm-" + lane, guard, FcmProvider.builder()
                .projectId("pushline-demo")
                .credentials(credentials)
                .endpoint(fcm.baseUrl())
                // The high lane sends at once; the bulk lane waits up to 5 ms for fuller batches.
                .batchLinger("high".equals(lane) ? java.time.Duration.ZERO : FcmProvider.DEFAULT_BATCH_LINGER)
                .maxQueued(Pipeline.PROVIDER_QUEUE)
                .meterRegistry(registry)
                .build()));
        providers.put(Platform.WEBPUSH, guarded(registry, "webpush-" + lane, guard, WebPushProvider.builder()
                .vapid(null, "mailto:demo@pushline.invalid", (ECPublicKey) vapid.getPublic(), (ECPrivateKey) vapid.getPrivate())
                .allowLoopbackHttp(true)
                .maxInFlight(WebPushProvider.DEFAULT_MAX_IN_FLIGHT, WebPushProvider.DEFAULT_MAX_IN_FLIGHT_PER_HOST, Pipeline.PROVIDER_QUEUE)
                .meterRegistry(registry)
                .build()));
        return providers;
    }

    /** The same guard (circuit breaker, no rate limits) the real providers get by default. */
    private static PushProvider guarded(MeterRegistry registry, String name, UnaryOperator<GuardedProvider.Builder> guard, PushProvider provider) {
        return guard.apply(GuardedProvider.builder(provider).name(name).meterRegistry(registry)).build();
    }

    /** The providers of each lane: the high lane has its own. */
    public Map<Lane, Map<Platform, PushProvider>> byLane() {
        Map<Lane, Map<Platform, PushProvider>> byLane = new EnumMap<>(Lane.class);
        byLane.put(Lane.BULK, providers);
        byLane.put(Lane.HIGH, highProviders);
        return byLane;
    }

    /** Accepted pushes by push id, over the three providers. */
    public Map<String, Integer> acceptedByPushId() {
        Map<String, Integer> all = new java.util.HashMap<>(apns.ledger().countsByPushId());
        fcm.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        webPush.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        return all;
    }

    public long acceptedCount() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount() + webPush.ledger().acceptedCount();
    }

    public PushLedger apnsLedger() {
        return apns.ledger();
    }

    @Override
    public void close() {
        providers.values().forEach(PushProvider::close);
        highProviders.values().forEach(PushProvider::close);
        apns.close();
        fcm.close();
        webPush.close();
    }
}
