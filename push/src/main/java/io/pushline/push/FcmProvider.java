package io.pushline.push;

import com.google.api.core.ApiFuture;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.firebase.FirebaseApp;
import com.google.firebase.FirebaseOptions;
import com.google.firebase.messaging.AndroidConfig;
import com.google.firebase.messaging.AndroidNotification;
import com.google.firebase.messaging.BatchResponse;
import com.google.firebase.messaging.SendResponse;
import com.google.firebase.messaging.FirebaseMessaging;
import com.google.firebase.messaging.Message;
import com.google.firebase.messaging.Notification;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends pushes to FCM (HTTP v1) with the Firebase Admin SDK. Each provider owns a
 * {@link FirebaseApp} with a unique name, deleted on {@link #close()}.
 *
 * <p>Batching: pushes are collected into batches of at most {@code maxBatchSize} (default
 * {@value #DEFAULT_MAX_BATCH_SIZE}, FCM's limit) and sent with {@code sendEachAsync} when a batch is
 * full or {@code batchLinger} (default 5 ms) after its first push, whichever comes first; at most
 * {@code maxBatchesInFlight} batches are sent at once. Each push gets the outcome of its own
 * {@code SendResponse}; when the batch call fails as a whole, every push of it is {@code RetryLater}.
 * Firebase Admin 9.x sends a batch as one HTTP request per message, run in parallel on the app's
 * executor: ours, with {@code sdkThreads} threads (default {@value #DEFAULT_SDK_THREADS}). The SDK answers
 * a batch as a whole, so every push of a batch completes (and frees its in-flight slot) when the
 * slowest push of the batch is answered; that is why {@code maxConcurrency} (default
 * {@value #DEFAULT_MAX_CONCURRENCY}) is a few times the HTTP concurrency: while one batch waits for its slowest
 * answer, the next is already being sent.
 *
 * <p>In flight: at most {@code maxConcurrency} pushes are in flight (collected into a batch or
 * sent and not answered); a batch is therefore never larger than {@code maxConcurrency}. Up to
 * {@code maxQueued} more wait; beyond that {@link #send} answers {@code RetryLater} at once.
 * Payloads (notification + data as JSON) over 4096 bytes are rejected without a round trip.
 *
 * <p>Outcomes: success → {@code Delivered(message name)}; {@code UNREGISTERED} →
 * {@code Rejected(tokenInvalid, now)}; {@code INVALID_ARGUMENT} about the token →
 * {@code Rejected(tokenInvalid)}; {@code QUOTA_EXCEEDED} → {@code RetryLater(Retry-After, else 60 s)};
 * {@code UNAVAILABLE}, {@code INTERNAL} → {@code RetryLater(Retry-After if given)}; no answer
 * (connection refused, timeout) → {@code RetryLater}; anything else → {@code Rejected}. Note that
 * the SDK itself retries a 503 up to four times with exponential backoff (honouring a Retry-After
 * of at most 60 s) before we see {@code UNAVAILABLE}; the slot stays taken meanwhile.
 *
 * <p>Thread-safe; meant to be one per process. Must be {@linkplain #close() closed}. Futures
 * complete on the provider's {@code pushline-fcm-*} threads.
 */
public final class FcmProvider implements PushProvider {

    /** Pushes in flight: enough to keep two full batches going while one waits for its slowest answer. */
    public static final int DEFAULT_MAX_CONCURRENCY = 1000;
    /** HTTP requests to FCM at once: the SDK sends each message of a batch as its own request on one of these threads. */
    public static final int DEFAULT_SDK_THREADS = 64;
    /** FCM's own limit for {@code sendEach}. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 500;
    public static final Duration DEFAULT_BATCH_LINGER = Duration.ofMillis(5);
    public static final int DEFAULT_MAX_BATCHES_IN_FLIGHT = 4;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(FcmProvider.class);

    private final FirebaseApp app;
    private final FirebaseMessaging messaging;
    private final FcmThreads threads;
    private final ScheduledExecutorService lingerTimer;
    private final FcmBatcher<Message, SendResponse> batcher;
    private final InFlightLimiter limiter;
    private final PushMeters meters;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FcmProvider(FirebaseApp app, FcmThreads threads, InFlightLimiter limiter, Builder config, Clock clock) {
        this.app = app;
        this.messaging = FirebaseMessaging.getInstance(app);
        this.threads = threads;
        this.limiter = limiter;
        this.meters = PushMeters.create(config.meterRegistry, Platform.FCM, limiter);
        this.clock = clock;
        this.lingerTimer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pushline-fcm-linger-" + app.getName().substring("pushline-fcm-".length()));
            thread.setDaemon(true);
            return thread;
        });
        DistributionSummary batchSize = config.meterRegistry == null ? null
                : DistributionSummary.builder(PushMetrics.FCM_BATCH_SIZE).tag(PushMetrics.TAG_PLATFORM, "fcm").register(config.meterRegistry);
        this.batcher = new FcmBatcher<>(config.maxBatchSize, config.batchLinger, config.maxBatchesInFlight, lingerTimer,
                this::sendEach, size -> {
                    if (batchSize != null) {
                        batchSize.record(size);
                    }
                });
    }

    /**
     * An HTTP transport for the Firebase Admin SDK that sends what is addressed to FCM to {@code baseUrl} instead and
     * leaves every other host alone: for emulators, test servers, and benchmarks of the bare SDK against them.
     */
    public static com.google.api.client.http.HttpTransport endpointTransport(URI baseUrl) {
        return FcmEndpoint.rewritingTransport(FcmEndpoint.validate(baseUrl));
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Platform platform() {
        return Platform.FCM;
    }

    @Override
    public CompletableFuture<PushOutcome> send(PushRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.platform() != Platform.FCM) {
            throw new IllegalArgumentException("FcmProvider sends FCM pushes only, got " + request.platform() + " for " + request.pushId());
        }
        int bytes = Payloads.fcmPayloadBytes(request);
        if (bytes > Payloads.MAX_PAYLOAD_BYTES) {
            log.debug("push {} to {} not sent: payload {} bytes", request.pushId(), Tokens.mask(request.token()), bytes);
            return CompletableFuture.completedFuture(meters.refused(PushMeters.Refusal.PAYLOAD_TOO_LARGE, Payloads.tooLarge(bytes)));
        }
        Message message;
        try {
            message = message(request, clock);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(meters.outcome(new PushOutcome.Rejected("invalid message: " + e.getMessage(), false, null)));
        }
        return limiter.submit(
                () -> batcher.add(message).handle((response, failure) -> {
                    PushOutcome outcome = outcome(request, response, failure);
                    log.debug("push {} to {}: {}", request.pushId(), Tokens.mask(request.token()), outcome);
                    return outcome;
                }),
                refusal -> refusal == InFlightLimiter.Refusal.CLOSED
                        ? meters.refused(PushMeters.Refusal.CLOSED, PushOutcome.RetryLater.notSent("provider closed", null))
                        : meters.refused(PushMeters.Refusal.SATURATED, PushOutcome.RetryLater.notSent(
                                "FCM in-flight limit reached: " + limiter.maxInFlight() + " in flight and the queue full", null)));
    }

    private PushOutcome outcome(PushRequest request, SendResponse response, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof FcmBatcher.ClosedException) {
                return meters.refused(PushMeters.Refusal.CLOSED, PushOutcome.RetryLater.notSent("provider closed", null));
            }
            log.debug("batch with push {} failed as a whole", request.pushId(), cause);
            return meters.outcome(FcmOutcomes.fromBatchFailure(cause));
        }
        if (response.isSuccessful()) {
            return meters.outcome(FcmOutcomes.delivered(response.getMessageId()));
        }
        PushOutcome outcome = FcmOutcomes.fromFailure(response.getException(), clock);
        if (outcome == null) {
            // A SendResponse only ever carries a FirebaseMessagingException, which always maps.
            log.warn("push {} to {} failed unexpectedly", request.pushId(), Tokens.mask(request.token()), response.getException());
            outcome = new PushOutcome.Rejected("unexpected: " + response.getException(), false, null);
        }
        return meters.outcome(outcome);
    }

    /** Batches handed to {@code sendEachAsync} so far (for tests). */
    long batchesSent() {
        return batcher.batchesSent();
    }

    /** The most batches that were in flight at once (for tests). */
    int maxBatchesInFlightSeen() {
        return batcher.maxBatchesInFlightSeen();
    }

    /**
     * Refuses new pushes, answers queued ones {@code RetryLater("provider closed")}, deletes the
     * FirebaseApp and waits up to 30 s for SDK calls still running.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        limiter.close();
        meters.close();
        batcher.close();
        lingerTimer.shutdownNow();
        app.delete();
        try {
            if (!threads.awaitTermination(CLOSE_TIMEOUT)) {
                log.warn("FCM calls still running {} after close", CLOSE_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FcmProvider[app=" + app.getName() + ", inFlight=" + limiter.inFlight() + "/" + limiter.maxInFlight()
                + ", queued=" + limiter.queued() + ", batchesSent=" + batcher.batchesSent() + "]";
    }

    // Message.Builder.setToken is deprecated since SDK 9.10 in favour of setFid (Firebase Installation
    // IDs); FCM still accepts registration tokens, which is what devices register with us today.
    @SuppressWarnings("deprecation")
    static Message message(PushRequest request, Clock clock) {
        Message.Builder message = Message.builder()
                .setToken(request.token())
                .putAllData(request.data())
                .putData(PushRequest.PUSH_ID_DATA_KEY, request.pushId());
        if (request.pushType() == PushType.ALERT && (request.title() != null || request.body() != null)) {
            message.setNotification(Notification.builder().setTitle(request.title()).setBody(request.body()).build());
        }
        AndroidConfig.Builder android = AndroidConfig.builder()
                .setPriority(request.priority() == Priority.HIGH ? AndroidConfig.Priority.HIGH : AndroidConfig.Priority.NORMAL);
        if (request.collapseKey() != null) {
            android.setCollapseKey(request.collapseKey());
        }
        if (request.pushType() == PushType.ALERT && (request.sound() != null || request.badge() != null)) {
            AndroidNotification.Builder notification = AndroidNotification.builder();
            if (request.sound() != null) {
                notification.setSound(request.sound());
            }
            if (request.badge() != null) {
                notification.setNotificationCount(request.badge());
            }
            android.setNotification(notification.build());
        }
        if (request.expiresAt() != null) {
            long ttlMillis = Math.max(0, Duration.between(clock.instant(), request.expiresAt()).toMillis());
            android.setTtl(ttlMillis);
        }
        return message.setAndroidConfig(android.build()).build();
    }

    /** The SDK throws at once when the app was deleted by a concurrent close(); that fails the batch like any other failure. */
    private CompletableFuture<List<SendResponse>> sendEach(List<Message> messages) {
        try {
            return completable(messaging.sendEachAsync(messages)).thenApply(BatchResponse::getResponses);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static <T> CompletableFuture<T> completable(ApiFuture<T> future) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.addListener(() -> {
            try {
                result.complete(future.get());
            } catch (ExecutionException e) {
                result.completeExceptionally(e.getCause() != null ? e.getCause() : e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(e);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, Runnable::run);
        return result;
    }

    /**
     * Configures an {@link FcmProvider}. Set exactly one of {@link #credentials} and
     * {@link #serviceAccountJson}. {@link #build()} validates and names the offending field and
     * value (never a secret). Not thread-safe.
     */
    public static final class Builder {

        private String projectId;
        private GoogleCredentials credentials;
        private Path serviceAccountJson;
        private String serviceAccountJsonText;
        private String serviceAccountSource;
        private URI endpoint;
        private int maxConcurrency = DEFAULT_MAX_CONCURRENCY;
        private Integer sdkThreads;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private Duration batchLinger = DEFAULT_BATCH_LINGER;
        private int maxBatchesInFlight = DEFAULT_MAX_BATCHES_IN_FLIGHT;
        private Integer maxQueued;
        private MeterRegistry meterRegistry;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The Firebase project; optional with {@link #serviceAccountJson}, which names it. */
        public Builder projectId(String projectId) {
            this.projectId = projectId;
            return this;
        }

        /** Credentials used as they are (e.g. {@code GoogleCredentials.create(accessToken)} for a fake server). */
        public Builder credentials(GoogleCredentials credentials) {
            this.credentials = credentials;
            return this;
        }

        /** A service account key file; read by {@link #build()}. */
        public Builder serviceAccountJson(Path serviceAccountJson) {
            this.serviceAccountJson = serviceAccountJson;
            return this;
        }

        /**
         * A service account key given as its JSON text (for example from an environment variable); read by
         * {@link #build()}, which names {@code source} (never the content) if it is not a service account key.
         */
        public Builder serviceAccountJson(String json, String source) {
            this.serviceAccountJsonText = json;
            this.serviceAccountSource = source;
            return this;
        }

        /**
         * Sends to this base URL (e.g. {@code http://127.0.0.1:8080}) instead of
         * {@code https://fcm.googleapis.com}; null for FCM itself.
         */
        public Builder endpoint(URI baseUrl) {
            this.endpoint = baseUrl;
            return this;
        }

        /**
         * Pushes in flight (collected into a batch, or sent and not answered); default
         * {@value FcmProvider#DEFAULT_MAX_CONCURRENCY}. A batch never holds more than this, so keep it at least
         * twice {@code maxBatchSize} for full batches.
         */
        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        /**
         * Threads of the FirebaseApp's executor, i.e. HTTP requests to FCM at once (the SDK sends each
         * message of a batch as its own request); default {@value FcmProvider#DEFAULT_SDK_THREADS}, capped at
         * {@code maxConcurrency}.
         */
        public Builder sdkThreads(int sdkThreads) {
            this.sdkThreads = sdkThreads;
            return this;
        }

        /** Most pushes per {@code sendEach} call, 1..500; default {@value FcmProvider#DEFAULT_MAX_BATCH_SIZE}. */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /** How long a batch waits for more pushes after its first before it is sent anyway; default 5 ms; zero sends at once. */
        public Builder batchLinger(Duration batchLinger) {
            this.batchLinger = batchLinger;
            return this;
        }

        /** Batches sent and not yet answered at once; default {@value FcmProvider#DEFAULT_MAX_BATCHES_IN_FLIGHT}. */
        public Builder maxBatchesInFlight(int maxBatchesInFlight) {
            this.maxBatchesInFlight = maxBatchesInFlight;
            return this;
        }

        /** Pushes that may wait for a slot before {@code send} answers {@code RetryLater}; default: {@code maxConcurrency}. */
        public Builder maxQueued(int maxQueued) {
            this.maxQueued = maxQueued;
            return this;
        }

        /** Where to register {@link PushMetrics}; null for none. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = meterRegistry;
            return this;
        }

        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the field and value when the configuration is invalid
         */
        public FcmProvider build() {
            if (serviceAccountJson != null && serviceAccountJsonText != null) {
                throw new IllegalArgumentException("give the service account key as a file or as text, not both");
            }
            if ((credentials != null) == (serviceAccountJson != null || serviceAccountJsonText != null)) {
                throw new IllegalArgumentException("exactly one of credentials(...) or serviceAccountJson(...) must be set, got "
                        + (credentials != null ? "both" : "neither"));
            }
            if (maxConcurrency < 1) {
                throw new IllegalArgumentException("maxConcurrency must be >= 1, was " + maxConcurrency);
            }
            int queued = maxQueued == null ? maxConcurrency : maxQueued;
            if (queued < 0) {
                throw new IllegalArgumentException("maxQueued must be >= 0, was " + queued);
            }
            int threadCount = sdkThreads == null ? Math.min(DEFAULT_SDK_THREADS, maxConcurrency) : sdkThreads;
            if (threadCount < 1) {
                throw new IllegalArgumentException("sdkThreads must be >= 1, was " + threadCount);
            }
            if (maxBatchSize < 1 || maxBatchSize > DEFAULT_MAX_BATCH_SIZE) {
                throw new IllegalArgumentException("maxBatchSize must be within 1.." + DEFAULT_MAX_BATCH_SIZE + ", was " + maxBatchSize);
            }
            if (batchLinger == null || batchLinger.isNegative()) {
                throw new IllegalArgumentException("batchLinger must be >= 0, was " + batchLinger);
            }
            if (maxBatchesInFlight < 1) {
                throw new IllegalArgumentException("maxBatchesInFlight must be >= 1, was " + maxBatchesInFlight);
            }
            if (endpoint != null) {
                FcmEndpoint.validate(endpoint);
            }
            GoogleCredentials resolved = credentials;
            String project = projectId;
            if (serviceAccountJson != null || serviceAccountJsonText != null) {
                ServiceAccountCredentials serviceAccount = serviceAccountJson != null
                        ? loadServiceAccount(serviceAccountJson)
                        : parseServiceAccount(serviceAccountJsonText, serviceAccountSource);
                resolved = serviceAccount;
                if (project == null) {
                    project = serviceAccount.getProjectId();
                }
            }
            if (project == null || project.isBlank()) {
                throw new IllegalArgumentException("projectId must be set (or come from serviceAccountJson), was "
                        + (project == null ? "null" : "'" + project + "'"));
            }

            FcmThreads threads = new FcmThreads(threadCount);
            FirebaseOptions.Builder options = FirebaseOptions.builder()
                    .setCredentials(resolved)
                    .setProjectId(project)
                    .setThreadManager(threads)
                    .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                    .setReadTimeout((int) READ_TIMEOUT.toMillis());
            if (endpoint != null) {
                options.setHttpTransport(FcmEndpoint.rewritingTransport(endpoint));
            }
            FirebaseApp app = FirebaseApp.initializeApp(options.build(), "pushline-fcm-" + UUID.randomUUID());
            try {
                return new FcmProvider(app, threads, new InFlightLimiter(maxConcurrency, queued), this, clock);
            } catch (RuntimeException e) {
                app.delete();
                throw e;
            }
        }

        private static ServiceAccountCredentials parseServiceAccount(String json, String source) {
            try (InputStream in = new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                return ServiceAccountCredentials.fromStream(in);
            } catch (IOException | RuntimeException e) {
                // No cause and no content: parser messages may quote the key.
                throw new IllegalArgumentException("service account key from " + source + " is not a service account key ("
                        + e.getClass().getSimpleName() + ")");
            }
        }

        private static ServiceAccountCredentials loadServiceAccount(Path path) {
            try (InputStream in = Files.newInputStream(path)) {
                return ServiceAccountCredentials.fromStream(in);
            } catch (IOException | RuntimeException e) {
                // No cause: parser messages may quote the file.
                throw new IllegalArgumentException("serviceAccountJson " + path + " is not a readable service account key ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
    }
}
