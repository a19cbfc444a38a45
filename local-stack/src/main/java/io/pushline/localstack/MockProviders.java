package io.pushline.localstack;

import io.pushline.pipeline.Pipeline;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.PushLedger;
import io.pushline.contracts.Lane;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.GuardedProvider;
import io.pushline.push.Platform;
import io.pushline.push.PushProvider;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The local stand-ins for APNs and FCM, and real providers pointed at them: Pushy's {@code MockApnsServer} over
 * HTTP/2 and TLS with a certificate generated at start, and a fake FCM v1 server driven by the real Firebase Admin
 * SDK. Both count what they accept by token and push id.
 */
public final class MockProviders implements AutoCloseable {

    public final MockApns apns;
    public final FakeFcm fcm;
    /** The bulk lane's providers (and every lane's, where a caller uses one set). */
    public final Map<Platform, PushProvider> providers;
    /** The high lane's own providers, pointed at the same mocks. */
    public final Map<Platform, PushProvider> highProviders;

    private MockProviders(MockApns apns, FakeFcm fcm, Map<Platform, PushProvider> providers, Map<Platform, PushProvider> highProviders) {
        this.apns = apns;
        this.fcm = fcm;
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
        return new MockProviders(apns, fcm, clients(apns, fcm, registry, "bulk", guard), clients(apns, fcm, registry, "high", guard));
    }

    /** A provider per platform pointed at the mocks, with its own connections and capacity, guarded. */
    private static Map<Platform, PushProvider> clients(MockApns apns, FakeFcm fcm, MeterRegistry registry, String lane,
                                                       UnaryOperator<GuardedProvider.Builder> guard) {
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

    /** Accepted pushes by push id, over both providers. */
    public Map<String, Integer> acceptedByPushId() {
        Map<String, Integer> all = new java.util.HashMap<>(apns.ledger().countsByPushId());
        fcm.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        return all;
    }

    public long acceptedCount() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
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
    }
}
