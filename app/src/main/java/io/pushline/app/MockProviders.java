package io.pushline.app;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.PushLedger;
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

/**
 * The local stand-ins for APNs and FCM, and real providers pointed at them: Pushy's {@code MockApnsServer} over
 * HTTP/2 and TLS with a certificate generated at start, and a fake FCM v1 server driven by the real Firebase Admin
 * SDK. Both count what they accept by token and push id.
 */
final class MockProviders implements AutoCloseable {

    final MockApns apns;
    final FakeFcm fcm;
    final Map<Platform, PushProvider> providers;

    private MockProviders(MockApns apns, FakeFcm fcm, Map<Platform, PushProvider> providers) {
        this.apns = apns;
        this.fcm = fcm;
        this.providers = providers;
    }

    static MockProviders start(MeterRegistry registry) {
        MockApns apns = MockApns.start();
        FakeFcm fcm = FakeFcm.start();
        Map<Platform, PushProvider> providers = new EnumMap<>(Platform.class);
        providers.put(Platform.APNS, guarded(registry, ApnsProvider.builder()
                .server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .maxQueued(Pipeline.PROVIDER_QUEUE)
                .meterRegistry(registry)
                .build()));
        // Fake credentials: an access token valid far into the future, so the SDK never asks Google for one.
        GoogleCredentials credentials = GoogleCredentials.create(
                new AccessToken("pushline-demo", Date.from(Instant.now().plus(3650, ChronoUnit.DAYS))));
        providers.put(Platform.FCM, guarded(registry, FcmProvider.builder()
                .projectId("pushline-demo")
                .credentials(credentials)
                .endpoint(fcm.baseUrl())
                .maxQueued(Pipeline.PROVIDER_QUEUE)
                .meterRegistry(registry)
                .build()));
        return new MockProviders(apns, fcm, providers);
    }

    /** The same guard (circuit breaker, no rate limits) the real providers get by default. */
    private static PushProvider guarded(MeterRegistry registry, PushProvider provider) {
        return GuardedProvider.builder(provider).meterRegistry(registry).build();
    }

    /** Accepted pushes by push id, over both providers. */
    Map<String, Integer> acceptedByPushId() {
        Map<String, Integer> all = new java.util.HashMap<>(apns.ledger().countsByPushId());
        fcm.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        return all;
    }

    long acceptedCount() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
    }

    PushLedger apnsLedger() {
        return apns.ledger();
    }

    @Override
    public void close() {
        providers.values().forEach(PushProvider::close);
        apns.close();
        fcm.close();
    }
}
