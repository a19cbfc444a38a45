package io.pushline.mock;

import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import com.eatthepath.pushy.apns.server.MockApnsServerListener;
import com.eatthepath.pushy.apns.server.PushNotificationHandler;
import com.eatthepath.pushy.apns.server.RejectedNotificationException;
import com.eatthepath.pushy.apns.server.RejectionReason;
import com.eatthepath.pushy.apns.server.UnregisteredDeviceTokenException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mock APNs: Pushy's {@code MockApnsServer} speaking real HTTP/2 over TLS, with a generated
 * self-signed certificate ({@link #trustedCertificatePem()}) and its own two-thread event loop.
 *
 * <p>It accepts token-authenticated pushes to any topic (provider tokens are not verified; any
 * {@link #signingMaterial()} key works) and answers each push as the current {@link Behaviour}
 * decides (default: accept all). Accepted pushes are recorded in {@link #ledger()} with the
 * token from {@code :path} ({@code /3/device/<token>}) and the push id from {@code apns-id}.
 *
 * <p>Limitations inherited from Pushy's mock: it listens on every interface (clients should use
 * {@link #host()}), and it calls the behaviour on the connection's event loop, so a
 * {@linkplain Verdict#after delayed} answer holds up every other push on that connection:
 * {@link #maxConcurrentRequests()} never exceeds the number of client connections (at most two
 * event loop threads).
 *
 * <p>{@link Verdict#connectionDrop()} makes the mock send GOAWAY and close the connection the push
 * came on, without answering it; the client reconnects for later pushes.
 *
 * <p>Thread-safe. Must be {@linkplain #close() closed}; closing shuts the server and its event loop down.
 */
public final class MockApns implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MockApns.class);
    private static final String PATH_PREFIX = "/3/device/";
    private static final String APNS_ID_HEADER = "apns-id";
    private static final int EVENT_LOOP_THREADS = 2;
    private static final long SHUTDOWN_SECONDS = 10;

    private final TlsMaterial tls;
    private final ApnsSigningMaterial signingMaterial;
    private final PushLedger ledger = new PushLedger();
    private final RequestStats stats = new RequestStats();
    private final Clock clock = Clock.systemUTC();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final NioEventLoopGroup eventLoopGroup;
    private final MockApnsServer server;
    private final int port;
    private volatile Behaviour behaviour = Behaviour.acceptAll();

    private MockApns(int requestedPort) {
        this.tls = TlsMaterial.selfSigned();
        this.signingMaterial = ApnsSigningMaterial.generate();
        this.eventLoopGroup = new NioEventLoopGroup(EVENT_LOOP_THREADS, new DefaultThreadFactory("pushline-mock-apns", true));
        try {
            this.server = new MockApnsServerBuilder()
                    .setServerCredentials(new X509Certificate[] {tls.certificate()}, tls.privateKey(), null)
                    .setEventLoopGroup(eventLoopGroup)
                    .setHandlerFactory(sslSession -> handler())
                    .setListener(new LedgerListener())
                    .build();
            this.port = server.start(requestedPort).get(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
        } catch (SSLException | ExecutionException | TimeoutException e) {
            eventLoopGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("could not start the mock APNs server on port " + requestedPort, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            eventLoopGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted while starting the mock APNs server", e);
        }
        log.info("mock APNs listening on {}:{}", host(), port);
    }

    /** Starts a mock APNs on an ephemeral port. */
    public static MockApns start() {
        return start(0);
    }

    /** Starts a mock APNs on {@code port} (0 for an ephemeral port). */
    public static MockApns start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, was " + port);
        }
        return new MockApns(port);
    }

    /** The host clients should connect to; the certificate is valid for it. */
    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The server certificate as PEM: what clients must trust. */
    public String trustedCertificatePem() {
        return tls.certificatePem();
    }

    /** A token-auth key the mock accepts (it accepts any key; this one is handy). */
    public ApnsSigningMaterial signingMaterial() {
        return signingMaterial;
    }

    public PushLedger ledger() {
        return ledger;
    }

    /** Replaces how pushes are answered from now on; {@code null} restores accept-all. Returns this mock. */
    public MockApns behaviour(Behaviour behaviour) {
        this.behaviour = behaviour == null ? Behaviour.acceptAll() : behaviour;
        return this;
    }

    /** Every push that reached the mock, whatever the answer. */
    public long receivedCount() {
        return stats.received();
    }

    /** The most pushes the mock was answering at the same moment (see the class note on delays). */
    public int maxConcurrentRequests() {
        return stats.maxInProgress();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.shutdown().get(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("mock APNs did not shut down cleanly", e);
        } finally {
            eventLoopGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "MockApns[" + host() + ":" + port + ", accepted=" + ledger.acceptedCount() + "]";
    }

    private PushNotificationHandler handler() {
        return (headers, payload) -> {
            stats.begin();
            try {
                Verdict verdict = behaviour.decide(token(headers), pushId(headers));
                if (verdict == null) {
                    return;
                }
                RequestStats.pause(verdict.delay());
                if (verdict instanceof Verdict.Reject reject) {
                    throw rejection(reject);
                }
            } finally {
                stats.end();
            }
        };
    }

    private RejectedNotificationException rejection(Verdict.Reject reject) {
        return switch (reject.fault()) {
            case UNREGISTERED -> new UnregisteredDeviceTokenException(
                    reject.invalidatedAt() != null ? reject.invalidatedAt() : clock.instant());
            case BAD_DEVICE_TOKEN -> new RejectedNotificationException(RejectionReason.BAD_DEVICE_TOKEN);
            case TOO_MANY_REQUESTS -> new RejectedNotificationException(RejectionReason.TOO_MANY_REQUESTS);
            case SERVICE_UNAVAILABLE -> new RejectedNotificationException(RejectionReason.SERVICE_UNAVAILABLE);
            case INTERNAL_ERROR -> new RejectedNotificationException(RejectionReason.INTERNAL_SERVER_ERROR);
            case CONNECTION_DROP -> throw new ConnectionDrop();
            case BAD_TOPIC -> new RejectedNotificationException(RejectionReason.BAD_TOPIC);
            case TOPIC_DISALLOWED, SENDER_ID_MISMATCH -> new RejectedNotificationException(RejectionReason.TOPIC_DISALLOWED);
            case PAYLOAD_TOO_LARGE -> new RejectedNotificationException(RejectionReason.PAYLOAD_TOO_LARGE);
            case THIRD_PARTY_AUTH_ERROR -> new RejectedNotificationException(RejectionReason.INVALID_PROVIDER_TOKEN);
        };
    }

    private static String token(Http2Headers headers) {
        CharSequence path = headers.path();
        String value = path == null ? "" : path.toString();
        return value.startsWith(PATH_PREFIX) ? value.substring(PATH_PREFIX.length()) : value;
    }

    private static String pushId(Http2Headers headers) {
        CharSequence apnsId = headers.get(APNS_ID_HEADER);
        return apnsId == null ? "" : apnsId.toString();
    }

    /**
     * Thrown out of the handler: Pushy's mock has no hook to close a connection, but an unexpected
     * exception from the handler is a connection error to Netty's HTTP/2 codec, which sends GOAWAY
     * ({@code INTERNAL_ERROR}) and closes the connection without answering the push.
     */
    private static final class ConnectionDrop extends RuntimeException {
        ConnectionDrop() {
            super("mock APNs drops the connection (scripted)", null, false, false);
        }
    }

    /** Called on the event loop after the accept response is written and before it is flushed. */
    private final class LedgerListener implements MockApnsServerListener {

        @Override
        public void handlePushNotificationAccepted(Http2Headers headers, ByteBuf payload) {
            Map<String, String> apnsHeaders = new java.util.TreeMap<>();
            headers.forEach(header -> {
                String name = header.getKey().toString();
                if (name.startsWith("apns-")) {
                    apnsHeaders.put(name, header.getValue().toString());
                }
            });
            String body = payload.toString(payload.readerIndex(), payload.readableBytes(), java.nio.charset.StandardCharsets.UTF_8);
            ledger.record(token(headers), pushId(headers), clock.instant(), apnsHeaders, body);
        }

        @Override
        public void handlePushNotificationRejected(Http2Headers headers, ByteBuf payload, RejectionReason reason,
                                                   Instant deviceTokenExpirationTimestamp) {
            log.debug("mock APNs rejected a push to {}: {}", PushLedger.maskToken(token(headers)), reason);
        }
    }

}
