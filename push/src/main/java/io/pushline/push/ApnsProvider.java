package io.pushline.push;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.DeliveryPriority;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.metrics.micrometer.MicrometerApnsClientMetricsListener;
import com.eatthepath.pushy.apns.util.ApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends pushes to APNs over HTTP/2 with Pushy, authenticated by a signing key (token auth) or a
 * client certificate.
 *
 * <p>In flight: at most {@code concurrentConnections × maxInFlightPerConnection} pushes are sent
 * and unanswered at once (Pushy itself would buffer without bound); up to {@code maxQueued} more
 * wait for a slot; beyond that {@link #send} answers {@code RetryLater} at once. Payloads over
 * 4096 bytes are rejected without a round trip.
 *
 * <p>Outcomes: accepted → {@code Delivered(apns-id)}; {@code Unregistered} (410, with APNs'
 * timestamp) and {@code BadDeviceToken} → {@code Rejected(tokenInvalid)}; {@code TooManyRequests},
 * {@code ServiceUnavailable}, {@code InternalServerError}, {@code Shutdown},
 * {@code ExpiredProviderToken} → {@code RetryLater}; every other rejection → {@code Rejected};
 * a failed send (connection lost, GOAWAY, closing) → {@code RetryLater}.
 *
 * <p>Thread-safe; meant to be one per process. Must be {@linkplain #close() closed}: it owns its
 * connections and its Netty event loop. Futures complete on that event loop.
 */
public final class ApnsProvider implements PushProvider {

    public static final int DEFAULT_CONCURRENT_CONNECTIONS = 2;
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 1000;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(ApnsProvider.class);

    private final ApnsClient client;
    private final EventLoopGroup eventLoopGroup;
    private final InFlightLimiter limiter;
    private final PushMeters meters;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ApnsProvider(ApnsClient client, EventLoopGroup eventLoopGroup, InFlightLimiter limiter, MeterRegistry registry, Clock clock) {
        this.client = client;
        this.eventLoopGroup = eventLoopGroup;
        this.limiter = limiter;
        this.meters = PushMeters.create(registry, Platform.APNS, limiter);
        this.clock = clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Platform platform() {
        return Platform.APNS;
    }

    @Override
    public CompletableFuture<PushOutcome> send(PushRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.platform() != Platform.APNS) {
            throw new IllegalArgumentException("ApnsProvider sends APNS pushes only, got " + request.platform() + " for " + request.pushId());
        }
        if (request.data().containsKey("aps")) {
            return CompletableFuture.completedFuture(meters.outcome(
                    new PushOutcome.Rejected("data key 'aps' is reserved by APNs", false, null)));
        }
        String payload = payload(request);
        int bytes = Payloads.utf8Length(payload);
        if (bytes > Payloads.MAX_PAYLOAD_BYTES) {
            log.debug("push {} to {} not sent: payload {} bytes", request.pushId(), Tokens.mask(request.token()), bytes);
            return CompletableFuture.completedFuture(meters.refused(PushMeters.Refusal.PAYLOAD_TOO_LARGE, Payloads.tooLarge(bytes)));
        }
        SimpleApnsPushNotification notification = notification(request, payload);
        return limiter.submit(
                () -> sendNotification(notification).handle((response, failure) -> {
                    PushOutcome outcome = failure == null
                            ? ApnsOutcomes.fromResponse(response, clock)
                            : ApnsOutcomes.fromFailure(failure);
                    log.debug("push {} to {}: {}", request.pushId(), Tokens.mask(request.token()), outcome);
                    return meters.outcome(outcome);
                }),
                refusal -> refusal == InFlightLimiter.Refusal.CLOSED
                        ? meters.refused(PushMeters.Refusal.CLOSED, PushOutcome.RetryLater.notSent("provider closed", null))
                        : meters.refused(PushMeters.Refusal.SATURATED, PushOutcome.RetryLater.notSent(
                                "APNs in-flight limit reached: " + limiter.maxInFlight() + " in flight and the queue full", null)));
    }

    private CompletableFuture<PushNotificationResponse<SimpleApnsPushNotification>> sendNotification(SimpleApnsPushNotification notification) {
        try {
            return client.sendNotification(notification);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Refuses new pushes, answers queued ones {@code RetryLater("provider closed")}, waits up to 30 s
     * for pushes in flight, then closes the connections and the event loop.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        limiter.close();
        meters.close();
        try {
            client.close().get(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("APNs client did not close cleanly: {}", e.toString());
        } finally {
            eventLoopGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "ApnsProvider[inFlight=" + limiter.inFlight() + "/" + limiter.maxInFlight() + ", queued=" + limiter.queued() + "]";
    }

    private static String payload(PushRequest request) {
        ApnsPayloadBuilder payload = new SimpleApnsPayloadBuilder();
        if (request.pushType() == PushType.ALERT) {
            if (request.title() != null) {
                payload.setAlertTitle(request.title());
            }
            if (request.body() != null) {
                payload.setAlertBody(request.body());
            }
            payload.setSound(request.sound() != null ? request.sound() : ApnsPayloadBuilder.DEFAULT_SOUND_FILENAME);
            if (request.badge() != null) {
                payload.setBadgeNumber(request.badge());
            }
        } else {
            payload.setContentAvailable(true);
        }
        request.data().forEach(payload::addCustomProperty);
        payload.addCustomProperty(PushRequest.PUSH_ID_DATA_KEY, request.pushId());
        return payload.build();
    }

    private SimpleApnsPushNotification notification(PushRequest request, String payload) {
        // APNs requires priority 5 for background pushes.
        DeliveryPriority priority = request.priority() == Priority.HIGH && request.pushType() == PushType.ALERT
                ? DeliveryPriority.IMMEDIATE : DeliveryPriority.CONSERVE_POWER;
        com.eatthepath.pushy.apns.PushType pushType = request.pushType() == PushType.ALERT
                ? com.eatthepath.pushy.apns.PushType.ALERT : com.eatthepath.pushy.apns.PushType.BACKGROUND;
        Instant expiration = request.expiresAt() != null
                ? request.expiresAt() : clock.instant().plus(SimpleApnsPushNotification.DEFAULT_EXPIRATION_PERIOD);
        return new SimpleApnsPushNotification(request.token(), request.appId(), payload, expiration, priority, pushType,
                request.collapseKey(), UUID.fromString(request.pushId()));
    }

    /**
     * Configures an {@link ApnsProvider}. Set exactly one of {@link #signingKey} and
     * {@link #clientCredentials}. {@link #build()} validates and names the offending field and value
     * (never a secret). Not thread-safe.
     */
    public static final class Builder {

        private String host = ApnsClientBuilder.PRODUCTION_APNS_HOST;
        private int port = ApnsClientBuilder.DEFAULT_APNS_PORT;
        private String trustedServerCertificatePem;
        private String signingKeyPem;
        private String teamId;
        private String keyId;
        private InputStream p12;
        private String p12Password;
        private int concurrentConnections = DEFAULT_CONCURRENT_CONNECTIONS;
        private int maxInFlightPerConnection = DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION;
        private Integer maxQueued;
        private MeterRegistry meterRegistry;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The APNs host and port; default Apple's production host, port 443. */
        public Builder server(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }

        /** PEM certificate(s) to trust instead of the JVM's trust store (for a mock server); null for the default. */
        public Builder trustedServerCertificatePem(String pem) {
            this.trustedServerCertificatePem = pem;
            return this;
        }

        /** Token authentication: an unencrypted PKCS#8 EC key in PEM form (Apple's {@code .p8}) with its team and key ids. */
        public Builder signingKey(String pkcs8Pem, String teamId, String keyId) {
            this.signingKeyPem = pkcs8Pem;
            this.teamId = teamId;
            this.keyId = keyId;
            return this;
        }

        /** Certificate authentication: a PKCS#12 file and its password ({@code ""} for none). Read by {@link #build()}, not closed. */
        public Builder clientCredentials(InputStream p12, String password) {
            this.p12 = p12;
            this.p12Password = password;
            return this;
        }

        /** Connections to APNs; default {@value ApnsProvider#DEFAULT_CONCURRENT_CONNECTIONS}. */
        public Builder concurrentConnections(int concurrentConnections) {
            this.concurrentConnections = concurrentConnections;
            return this;
        }

        /**
         * Unanswered pushes per connection; default {@value ApnsProvider#DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION}.
         * The bound is enforced in total ({@code concurrentConnections × maxInFlightPerConnection}).
         */
        public Builder maxInFlightPerConnection(int maxInFlightPerConnection) {
            this.maxInFlightPerConnection = maxInFlightPerConnection;
            return this;
        }

        /** Pushes that may wait for an in-flight slot before {@code send} answers {@code RetryLater}; default: the in-flight limit. */
        public Builder maxQueued(int maxQueued) {
            this.maxQueued = maxQueued;
            return this;
        }

        /** Where to register Pushy's meters and {@link PushMetrics}; null for none. */
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
         * @throws IllegalStateException    when the client cannot be created for another reason
         */
        public ApnsProvider build() {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("server host must not be blank, was " + (host == null ? "null" : "'" + host + "'"));
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("server port must be within 1..65535, was " + port);
            }
            boolean tokenAuth = signingKeyPem != null;
            boolean certificateAuth = p12 != null;
            if (tokenAuth == certificateAuth) {
                throw new IllegalArgumentException("exactly one of signingKey(...) or clientCredentials(...) must be set, got "
                        + (tokenAuth ? "both" : "neither"));
            }
            if (concurrentConnections < 1) {
                throw new IllegalArgumentException("concurrentConnections must be >= 1, was " + concurrentConnections);
            }
            if (maxInFlightPerConnection < 1) {
                throw new IllegalArgumentException("maxInFlightPerConnection must be >= 1, was " + maxInFlightPerConnection);
            }
            long maxInFlight = (long) concurrentConnections * maxInFlightPerConnection;
            if (maxInFlight > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("concurrentConnections × maxInFlightPerConnection must fit an int, was " + maxInFlight);
            }
            int queued = maxQueued == null ? (int) maxInFlight : maxQueued;
            if (queued < 0) {
                throw new IllegalArgumentException("maxQueued must be >= 0, was " + queued);
            }

            ApnsClientBuilder apns = new ApnsClientBuilder()
                    .setApnsServer(host, port)
                    .setConcurrentConnections(concurrentConnections)
                    .setConnectionTimeout(CONNECT_TIMEOUT);
            if (trustedServerCertificatePem != null) {
                apns.setTrustedServerCertificateChain(parseCertificates(trustedServerCertificatePem));
            }
            if (tokenAuth) {
                apns.setSigningKey(loadSigningKey());
            } else {
                loadClientCredentials(apns);
            }
            if (meterRegistry != null) {
                apns.setMetricsListener(new MicrometerApnsClientMetricsListener(meterRegistry));
            }
            // Our own event loop, so close() can shut it down without Netty's default two-second quiet period.
            EventLoopGroup eventLoopGroup = new NioEventLoopGroup(
                    Math.min(concurrentConnections, Runtime.getRuntime().availableProcessors()),
                    new DefaultThreadFactory("pushline-apns", true));
            apns.setEventLoopGroup(eventLoopGroup);
            try {
                return new ApnsProvider(apns.build(), eventLoopGroup, new InFlightLimiter((int) maxInFlight, queued), meterRegistry, clock);
            } catch (SSLException | RuntimeException e) {
                eventLoopGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw new IllegalStateException("could not create the APNs client (" + e.getClass().getSimpleName() + ")", e);
            }
        }

        private ApnsSigningKey loadSigningKey() {
            if (teamId == null || teamId.isBlank()) {
                throw new IllegalArgumentException("signingKey teamId must not be blank, was " + (teamId == null ? "null" : "'" + teamId + "'"));
            }
            if (keyId == null || keyId.isBlank()) {
                throw new IllegalArgumentException("signingKey keyId must not be blank, was " + (keyId == null ? "null" : "'" + keyId + "'"));
            }
            try {
                return ApnsSigningKey.loadFromInputStream(
                        new ByteArrayInputStream(signingKeyPem.getBytes(StandardCharsets.US_ASCII)), teamId, keyId);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // No cause: parser messages may quote the key material.
                throw new IllegalArgumentException("signingKey for teamId " + teamId + ", keyId " + keyId
                        + " is not an unencrypted PKCS#8 EC private key in PEM form (" + e.getClass().getSimpleName() + ")");
            }
        }

        private void loadClientCredentials(ApnsClientBuilder apns) {
            if (p12Password == null) {
                throw new IllegalArgumentException("clientCredentials password must not be null (use \"\" for none)");
            }
            try {
                apns.setClientCredentials(p12, p12Password);
            } catch (IOException | RuntimeException e) {
                // No cause: it could carry details of the key store.
                throw new IllegalArgumentException("clientCredentials could not be read as PKCS#12 with the given password ("
                        + e.getClass().getSimpleName() + ")");
            }
        }

        private static X509Certificate[] parseCertificates(String pem) {
            try {
                var certificates = CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
                if (certificates.isEmpty()) {
                    throw new IllegalArgumentException("trustedServerCertificatePem contains no certificate");
                }
                return certificates.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("trustedServerCertificatePem is not a PEM X.509 certificate chain ("
                        + e.getMessage() + ")", e);
            }
        }
    }
}
