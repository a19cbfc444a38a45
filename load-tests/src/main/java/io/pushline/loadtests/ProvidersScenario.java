package io.pushline.loadtests;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.interaso.webpush.VapidKeys;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.MockWebPush;
import io.pushline.push.ApnsProvider;
import io.pushline.push.FcmProvider;
import io.pushline.push.Platform;
import io.pushline.push.Priority;
import io.pushline.push.PushOutcome;
import io.pushline.push.PushProvider;
import io.pushline.push.PushRequest;
import io.pushline.push.PushType;
import io.pushline.push.WebPushProvider;
import io.pushline.push.WebPushSubscription;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Pushline's providers against the bare clients they wrap, in the same run, against the same mock servers, with the
 * same connection and in-flight bounds: our {@link ApnsProvider} against Pushy used directly, our {@link FcmProvider}
 * against the Firebase Admin SDK used directly. For FCM the bound both sides share is HTTP requests at once
 * ({@value BareProviders#FCM_IN_FLIGHT}: the bare SDK's {@code sendAsync} with that many in flight, our provider's
 * {@code sdkThreads}); ours is offered its default {@code maxConcurrency} pushes, because it sends them with
 * {@code sendEachAsync} in batches that each wait for their slowest answer. Web push: our {@link WebPushProvider}
 * against {@code com.interaso:webpush} used bare (its encryption and VAPID headers, sent with the same JDK HTTP client),
 * {@value BareProviders#WEB_IN_FLIGHT} in flight each, to {@link MockWebPush}, which decrypts every push; a quarter of
 * the pushes (at least 1,000), each being four public-key operations on both ends. Measured alternately (bare, ours, bare, ours) so that drift on a
 * shared machine hits both sides alike; each side's rate is the mean of its rounds.
 */
final class ProvidersScenario {
    record Side(double pushesPerSec, double cpuMicrosPerPush, long failures) {}

    record Result(Side bareApns, Side ourApns, Side bareFcm, Side ourFcm, Side bareWeb, Side ourWeb) {}

    private static final int ROUNDS = 2;

    private ProvidersScenario() {
    }

    static Result run(MockApns apns, FakeFcm fcm, MockWebPush web, int pushes, int fcmBatchSize, int fcmMaxConcurrency, Duration timeout)
            throws Exception {
        AtomicLong bareErrors = new AtomicLong();
        VapidKeys vapid = VapidKeys.generate();
        String applicationServerKey = Base64.getUrlEncoder().withoutPadding().encodeToString(vapid.getApplicationServerKey());
        List<MockWebPush.Subscription> subscriptions = new ArrayList<>();
        for (int i = 0; i < BareProviders.WEB_SUBSCRIPTIONS; i++) {
            subscriptions.add(web.subscribe(applicationServerKey));
        }
        try (BareProviders.PushyRunner pushy = new BareProviders.PushyRunner(apns);
             BareProviders.WebPushRunner bareWeb = new BareProviders.WebPushRunner(vapid, subscriptions);
             PushProvider ourWeb = WebPushProvider.builder().vapid(null, "mailto:bench@pushline.example", vapid.getPublicKey(),
                     vapid.getPrivateKey()).allowLoopbackHttp(true)
                     .maxInFlight(BareProviders.WEB_IN_FLIGHT, BareProviders.WEB_IN_FLIGHT, WebPushProvider.DEFAULT_MAX_QUEUED).build();
             BareProviders.FirebaseRunner firebase = new BareProviders.FirebaseRunner(fcm);
             PushProvider ourApns = ApnsProvider.builder().server(apns.host(), apns.port())
                     .trustedServerCertificatePem(apns.trustedCertificatePem())
                     .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                     .build();
             PushProvider ourFcm = FcmProvider.builder().projectId("pushline-bench")
                     .credentials(GoogleCredentials.create(new AccessToken("bench", Date.from(Instant.now().plus(Duration.ofDays(1))))))
                     .endpoint(fcm.baseUrl()).sdkThreads(BareProviders.FCM_IN_FLIGHT)
                     .maxBatchSize(fcmBatchSize).maxConcurrency(fcmMaxConcurrency).build()) {
            // Warm-up of all four: TLS, HTTP/2, connection pools, JIT.
            pushy.send(Math.min(pushes, 2000), bareErrors, timeout);
            ours(ourApns, Platform.APNS, Math.min(pushes, 2000), BareProviders.APNS_IN_FLIGHT, timeout);
            firebase.send(Math.min(pushes, 1000), bareErrors, timeout);
            ours(ourFcm, Platform.FCM, Math.min(pushes, 1000), fcmMaxConcurrency, timeout);
            int webPushes = Math.max(1000, pushes / 4);   // each web push is an ECDH, an HKDF, an AES-GCM and a signature, both sides
            bareWeb.send(Math.min(webPushes, 1000), bareErrors, timeout);
            oursWeb(ourWeb, subscriptions, Math.min(webPushes, 1000), timeout);

            Acc bareA = new Acc();
            Acc ourA = new Acc();
            Acc bareF = new Acc();
            Acc ourF = new Acc();
            Acc bareW = new Acc();
            Acc ourW = new Acc();
            for (int round = 0; round < ROUNDS; round++) {
                long before = bareErrors.get();
                bareA.add(measure(pushes, () -> pushy.send(pushes, bareErrors, timeout)), bareErrors.get() - before);
                ourA.add(measure(pushes, () -> ours(ourApns, Platform.APNS, pushes, BareProviders.APNS_IN_FLIGHT, timeout)));
                before = bareErrors.get();
                bareF.add(measure(pushes, () -> firebase.send(pushes, bareErrors, timeout)), bareErrors.get() - before);
                ourF.add(measure(pushes, () -> ours(ourFcm, Platform.FCM, pushes, fcmMaxConcurrency, timeout)));
                before = bareErrors.get();
                bareW.add(measure(webPushes, () -> bareWeb.send(webPushes, bareErrors, timeout)), bareErrors.get() - before);
                ourW.add(measure(webPushes, () -> oursWeb(ourWeb, subscriptions, webPushes, timeout)));
            }
            return new Result(bareA.side(), ourA.side(), bareF.side(), ourF.side(), bareW.side(), ourW.side());
        } finally {
            apns.ledger().clear();
            fcm.ledger().clear();
            web.ledger().clear();
        }
    }

    /** Rate and process CPU per push of one measurement; the failures come back from the runnable. */
    private record Measurement(double pushesPerSec, double cpuMicrosPerPush, long failures) {}

    private interface Run {
        long run() throws Exception;
    }

    private static Measurement measure(int pushes, Run run) throws Exception {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        long failures = run.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMicros = (os.getProcessCpuTime() - cpuBefore) / 1000.0;
        return new Measurement(pushes / seconds, cpuMicros / pushes, failures);
    }

    private static Measurement measure(int pushes, Runnable run) throws Exception {
        return measure(pushes, () -> {
            run.run();
            return 0L;
        });
    }

    /** Sends through a Pushline provider with the same in-flight bound the bare client gets; returns non-delivered. */
    static long ours(PushProvider provider, Platform platform, int count, int inFlight, Duration timeout) {
        Instant expiresAt = Instant.now().plus(Duration.ofHours(6));
        return sendAll(provider, count, inFlight, timeout, platform + " provider", i -> {
            String token = platform == Platform.APNS
                    ? (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "")
                    : (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "") + ":" + UUID.randomUUID().toString().replace("-", "");
            return new PushRequest(UUID.randomUUID().toString(), platform, token,
                    platform == Platform.APNS ? "io.pushline.bench" : "io.pushline.bench.android",
                    "author-0 posted", "Something new", Map.of("postId", "post-0", "authorId", "author-0"),
                    "post-post-0", expiresAt, Priority.NORMAL, PushType.ALERT);
        });
    }

    /** Sends web pushes through our provider, {@link BareProviders#WEB_IN_FLIGHT} at once, to the subscriptions in turn. */
    static long oursWeb(PushProvider provider, List<MockWebPush.Subscription> subscriptions, int count, Duration timeout) {
        Instant expiresAt = Instant.now().plus(Duration.ofHours(6));
        List<WebPushSubscription> targets = subscriptions.stream()
                .map(s -> WebPushSubscription.of(s.endpoint().toString(), s.p256dh(), s.auth())).toList();
        return sendAll(provider, count, BareProviders.WEB_IN_FLIGHT, timeout, "web push provider", i -> new PushRequest(
                UUID.randomUUID().toString(), Platform.WEBPUSH, subscriptions.get(i % targets.size()).id(), null, "author-0 posted",
                "Something new", Map.of("postId", "post-0", "authorId", "author-0"), "post-post-0", expiresAt, Priority.NORMAL,
                PushType.ALERT, null, null, targets.get(i % targets.size())));
    }

    /** Sends {@code count} requests ({@code requestOf} the i-th), {@code inFlight} at once; returns those not delivered. */
    private static long sendAll(PushProvider provider, int count, int inFlight, Duration timeout, String what,
                                IntFunction<PushRequest> requestOf) {
        Semaphore permits = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(count);
        AtomicLong failures = new AtomicLong();
        try {
            for (int i = 0; i < count; i++) {
                permits.acquire();
                provider.send(requestOf.apply(i)).whenComplete((outcome, error) -> {
                    if (error != null || !(outcome instanceof PushOutcome.Delivered)) {
                        failures.incrementAndGet();
                    }
                    permits.release();
                    done.countDown();
                });
            }
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(what + " sends did not finish within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return failures.get();
    }

    private static final class Acc {
        private double rate;
        private double cpu;
        private long failures;
        private int n;

        void add(Measurement m) {
            add(m, m.failures());
        }

        void add(Measurement m, long fails) {
            rate += m.pushesPerSec();
            cpu += m.cpuMicrosPerPush();
            failures += fails;
            n++;
        }

        Side side() {
            return new Side(rate / n, cpu / n, failures);
        }
    }
}
