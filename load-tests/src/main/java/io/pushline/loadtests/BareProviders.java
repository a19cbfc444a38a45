package io.pushline.loadtests;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.DeliveryPriority;
import com.eatthepath.pushy.apns.PushType;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.util.SimpleApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.firebase.FirebaseApp;
import com.google.firebase.FirebaseOptions;
import com.google.firebase.messaging.AndroidConfig;
import com.google.firebase.messaging.FirebaseMessaging;
import com.google.firebase.messaging.Message;
import com.google.firebase.messaging.Notification;
import com.interaso.webpush.VapidKeys;
import com.interaso.webpush.WebPush;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.MockWebPush;
import io.pushline.push.FcmProvider;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical ceiling of delivery on this machine: Pushy, the Firebase Admin SDK and the web push library used
 * directly, with nothing of Pushline in between, against the same mock servers and with the same connection and
 * in-flight settings the pipeline's providers use (2 APNs connections with 1,000 in flight each; 64 FCM sends in
 * flight; web pushes {@value #WEB_IN_FLIGHT} in flight). Payloads look like the pipeline's timeline pushes.
 */
final class BareProviders {
    static final int APNS_CONNECTIONS = 2;
    static final int APNS_IN_FLIGHT = 2 * 1000;
    static final int FCM_IN_FLIGHT = FcmProvider.DEFAULT_SDK_THREADS;
    /** Web pushes in flight, both sides: the library used bare and our provider. */
    static final int WEB_IN_FLIGHT = 64;
    /** Subscriptions the web pushes go to, in turn. */
    static final int WEB_SUBSCRIPTIONS = 100;

    /**
     * Rates of one measurement, in sends accepted per second; {@code webPerSec} is 0 when the mix has no web push.
     * {@code mixedPerSec}: all of the mix's providers at once, in its shares.
     */
    record Rates(double apnsPerSec, double fcmPerSec, double mixedPerSec, long errors, double mixedCpuMicrosPerPush,
                 double webPerSec) {
        Rates(double apnsPerSec, double fcmPerSec, double mixedPerSec, long errors, double mixedCpuMicrosPerPush) {
            this(apnsPerSec, fcmPerSec, mixedPerSec, errors, mixedCpuMicrosPerPush, 0);
        }
    }

    private BareProviders() {
    }

    /** Pushy alone, then the Firebase SDK alone, then both at once with half of {@code count} each (the 50/50 mix). */
    static Rates measure(MockApns apns, FakeFcm fcm, int count, Duration timeout) throws Exception {
        return measure(apns, fcm, null, count, 0, timeout);
    }

    /**
     * Pushy alone, the Firebase SDK alone, the web push library alone (if {@code webPercent > 0}), then all at once:
     * {@code webPercent} % of {@code count} web pushes and the rest half APNs, half FCM (the pipeline's mix).
     */
    static Rates measure(MockApns apns, FakeFcm fcm, MockWebPush web, int count, int webPercent, Duration timeout) throws Exception {
        AtomicLong errors = new AtomicLong();
        int webCount = (int) ((long) count * webPercent / 100);
        int apnsCount = (count - webCount) / 2;
        int fcmCount = count - webCount - apnsCount;
        try (PushyRunner pushy = new PushyRunner(apns); FirebaseRunner firebase = new FirebaseRunner(fcm);
             WebPushRunner webPush = webCount > 0 ? WebPushRunner.subscribed(web) : null) {
            pushy.send(Math.min(count, 1000), errors, timeout);      // warm-up: TLS, HTTP/2, JIT
            firebase.send(Math.min(count, 500), errors, timeout);
            if (webPush != null) {
                webPush.send(Math.min(count, 500), errors, timeout);
            }
            double apnsRate = rate(count, () -> pushy.send(count, errors, timeout));
            double fcmRate = rate(count, () -> firebase.send(count, errors, timeout));
            double webRate = webPush == null ? 0 : rate(webCount, () -> webPush.send(webCount, errors, timeout));
            long cpuBefore = CpuClock.ownNanos();
            double mixed = rate(count, () -> {
                CompletableFuture<Void> a = CompletableFuture.runAsync(() -> pushy.send(apnsCount, errors, timeout));
                CompletableFuture<Void> f = CompletableFuture.runAsync(() -> firebase.send(fcmCount, errors, timeout));
                CompletableFuture<Void> w = webPush == null ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.runAsync(() -> webPush.send(webCount, errors, timeout));
                CompletableFuture.allOf(a, f, w).join();
            });
            double cpuPerPush = (CpuClock.ownNanos() - cpuBefore) / 1000.0 / count;
            return new Rates(apnsRate, fcmRate, mixed, errors.get(), cpuPerPush, webRate);
        } finally {
            apns.ledger().clear();
            fcm.ledger().clear();
            if (web != null) {
                web.ledger().clear();
            }
        }
    }

    private static double rate(int count, Runnable run) {
        long start = System.nanoTime();
        run.run();
        return count / ((System.nanoTime() - start) / 1e9);
    }

    private static String hexToken() {
        return (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    }

    static final class PushyRunner implements AutoCloseable {
        private final ApnsClient client;

        PushyRunner(MockApns apns) throws Exception {
            client = new ApnsClientBuilder()
                    .setApnsServer(apns.host(), apns.port())
                    .setSigningKey(ApnsSigningKey.loadFromInputStream(
                            new ByteArrayInputStream(apns.signingMaterial().pkcs8Pem().getBytes(StandardCharsets.US_ASCII)),
                            apns.signingMaterial().teamId(), apns.signingMaterial().keyId()))
                    .setTrustedServerCertificateChain(new ByteArrayInputStream(apns.trustedCertificatePem().getBytes(StandardCharsets.US_ASCII)))
                    .setConcurrentConnections(APNS_CONNECTIONS)
                    .build();
        }

        void send(int count, AtomicLong errors, Duration timeout) {
            Semaphore inFlight = new Semaphore(APNS_IN_FLIGHT);
            CountDownLatch done = new CountDownLatch(count);
            Instant expiry = Instant.now().plus(Duration.ofHours(6));
            try {
                for (int i = 0; i < count; i++) {
                    inFlight.acquire();
                    UUID id = UUID.randomUUID();
                    String payload = new SimpleApnsPayloadBuilder().setAlertTitle("author-0 posted").setAlertBody("Something new")
                            .setSound("default").addCustomProperty("pushline_push_id", id.toString())
                            .addCustomProperty("postId", "post-0").addCustomProperty("authorId", "author-0").build();
                    client.sendNotification(new SimpleApnsPushNotification(hexToken(), "io.pushline.bench", payload, expiry,
                                    DeliveryPriority.CONSERVE_POWER, PushType.ALERT, "post-post-0", id))
                            .whenComplete((response, error) -> {
                                if (error != null || !response.isAccepted()) {
                                    errors.incrementAndGet();
                                }
                                inFlight.release();
                                done.countDown();
                            });
                }
                if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("bare Pushy sends did not finish within " + timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        @Override
        public void close() throws Exception {
            client.close().get(10, TimeUnit.SECONDS);
        }
    }

    static final class FirebaseRunner implements AutoCloseable {
        private final FirebaseApp app;
        private final FirebaseMessaging messaging;

        FirebaseRunner(FakeFcm fcm) {
            FirebaseOptions options = FirebaseOptions.builder()
                    .setCredentials(GoogleCredentials.create(new AccessToken("bench", Date.from(Instant.now().plus(Duration.ofDays(1))))))
                    .setProjectId("pushline-bench")
                    .setHttpTransport(FcmProvider.endpointTransport(fcm.baseUrl()))
                    .build();
            app = FirebaseApp.initializeApp(options, "pushline-bench-" + UUID.randomUUID());
            messaging = FirebaseMessaging.getInstance(app);
        }

        @SuppressWarnings("deprecation")   // setToken: FakeFcm and the pipeline's provider address devices by token
        void send(int count, AtomicLong errors, Duration timeout) {
            Semaphore inFlight = new Semaphore(FCM_IN_FLIGHT);
            CountDownLatch done = new CountDownLatch(count);
            try {
                for (int i = 0; i < count; i++) {
                    inFlight.acquire();
                    Message message = Message.builder()
                            .setToken(hexToken() + ":" + hexToken())
                            .setNotification(Notification.builder().setTitle("author-0 posted").setBody("Something new").build())
                            .putData("pushline_push_id", UUID.randomUUID().toString())
                            .putData("postId", "post-0").putData("authorId", "author-0")
                            .setAndroidConfig(AndroidConfig.builder().setPriority(AndroidConfig.Priority.NORMAL)
                                    .setCollapseKey("post-post-0").setTtl(Duration.ofHours(6).toMillis()).build())
                            .build();
                    ApiFuture<String> sent = messaging.sendAsync(message);
                    ApiFutures.addCallback(sent, new ApiFutureCallback<>() {
                        @Override
                        public void onFailure(Throwable t) {
                            errors.incrementAndGet();
                            inFlight.release();
                            done.countDown();
                        }

                        @Override
                        public void onSuccess(String name) {
                            inFlight.release();
                            done.countDown();
                        }
                    }, MoreExecutors.directExecutor());
                }
                if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("bare Firebase SDK sends did not finish within " + timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        @Override
        public void close() {
            app.delete();
        }
    }

    /**
     * {@code com.interaso:webpush} used bare: its encryption ({@code getBody}) and VAPID headers ({@code getHeaders}) for
     * each push, sent with the JDK's {@link HttpClient} as our provider sends them, {@link #WEB_IN_FLIGHT}
     * at once, to {@link #WEB_SUBSCRIPTIONS} subscriptions of the mock push service in turn.
     */
    static final class WebPushRunner implements AutoCloseable {
        private final WebPush webPush;
        private final List<MockWebPush.Subscription> subscriptions;
        private final ExecutorService executor = Executors.newFixedThreadPool(2);
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2).executor(executor).build();

        WebPushRunner(VapidKeys keys, List<MockWebPush.Subscription> subscriptions) {
            this.webPush = new WebPush("mailto:bench@pushline.example", keys);
            this.subscriptions = List.copyOf(subscriptions);
        }

        /** A runner with VAPID keys of its own and {@link #WEB_SUBSCRIPTIONS} subscriptions at {@code web} made for them. */
        static WebPushRunner subscribed(MockWebPush web) {
            VapidKeys keys = VapidKeys.generate();
            String applicationServerKey = Base64.getUrlEncoder().withoutPadding().encodeToString(keys.getApplicationServerKey());
            List<MockWebPush.Subscription> subscriptions = new java.util.ArrayList<>();
            for (int i = 0; i < WEB_SUBSCRIPTIONS; i++) {
                subscriptions.add(web.subscribe(applicationServerKey));
            }
            return new WebPushRunner(keys, subscriptions);
        }

        void send(int count, AtomicLong errors, Duration timeout) {
            Semaphore inFlight = new Semaphore(WEB_IN_FLIGHT);
            CountDownLatch done = new CountDownLatch(count);
            Base64.Decoder b64 = Base64.getUrlDecoder();
            try {
                for (int i = 0; i < count; i++) {
                    inFlight.acquire();
                    MockWebPush.Subscription to = subscriptions.get(i % subscriptions.size());
                    String payload = "{\"title\":\"author-0 posted\",\"body\":\"Something new\",\"data\":{\"postId\":\"post-0\","
                            + "\"authorId\":\"author-0\",\"pushline_push_id\":\"" + UUID.randomUUID() + "\"}}";
                    byte[] body = webPush.getBody(payload.getBytes(StandardCharsets.UTF_8), b64.decode(to.p256dh()),
                            b64.decode(to.auth()));
                    HttpRequest.Builder request = HttpRequest.newBuilder(to.endpoint())
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                    webPush.getHeaders(to.endpoint().toString(), 6 * 3600, "post-post-0", WebPush.Urgency.Normal)
                            .forEach((k, v) -> {
                                if (!k.equalsIgnoreCase("Content-Length")) {
                                    request.header(k, v);
                                }
                            });
                    http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                        if (failure != null || response.statusCode() != 201) {
                            errors.incrementAndGet();
                        }
                        inFlight.release();
                        done.countDown();
                    });
                }
                if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("bare web push sends did not finish within " + timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }
}
