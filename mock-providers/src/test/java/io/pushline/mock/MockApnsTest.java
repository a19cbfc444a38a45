package io.pushline.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.util.SimpleApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MockApnsTest {

    private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

    private MockApns apns;
    private ApnsClient client;
    // Pushy shuts down a group it created itself with Netty's default 2 s quiet period; ours closes at once.
    private final NioEventLoopGroup clientGroup = new NioEventLoopGroup(1);

    @BeforeEach
    void start() throws Exception {
        apns = MockApns.start();
        ApnsSigningMaterial key = apns.signingMaterial();
        client = new ApnsClientBuilder()
                .setApnsServer(apns.host(), apns.port())
                .setEventLoopGroup(clientGroup)
                .setTrustedServerCertificateChain(new ByteArrayInputStream(apns.trustedCertificatePem().getBytes(StandardCharsets.US_ASCII)))
                .setSigningKey(ApnsSigningKey.loadFromInputStream(
                        new ByteArrayInputStream(key.pkcs8Pem().getBytes(StandardCharsets.US_ASCII)), key.teamId(), key.keyId()))
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        client.close().get(10, TimeUnit.SECONDS);
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        apns.close();
    }

    @Test
    void realPushyClientIsAcceptedAndTheLedgerRecordsTokenAndApnsId() throws Exception {
        UUID apnsId = UUID.randomUUID();
        PushNotificationResponse<SimpleApnsPushNotification> response = client.sendNotification(notification(apnsId)).get(10, TimeUnit.SECONDS);

        assertThat(response.isAccepted()).isTrue();
        assertThat(response.getApnsId()).isEqualTo(apnsId);
        assertThat(apns.ledger().accepted()).singleElement().satisfies(accepted -> {
            assertThat(accepted.token()).isEqualTo(TOKEN);
            assertThat(accepted.pushId()).isEqualTo(apnsId.toString());
        });
        assertThat(apns.receivedCount()).isEqualTo(1);
    }

    @Test
    void unregisteredBehaviourAnswers410WithTheTimestampAndRecordsNothing() throws Exception {
        Instant invalidatedAt = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        apns.behaviour(Behaviour.forTokens(TOKEN::equals, Verdict.unregistered(invalidatedAt)).orElse(Behaviour.acceptAll()));

        PushNotificationResponse<SimpleApnsPushNotification> response =
                client.sendNotification(notification(UUID.randomUUID())).get(10, TimeUnit.SECONDS);

        assertThat(response.isAccepted()).isFalse();
        assertThat(response.getStatusCode()).isEqualTo(410);
        assertThat(response.getRejectionReason()).contains("Unregistered");
        assertThat(response.getTokenInvalidationTimestamp()).contains(invalidatedAt);
        assertThat(apns.ledger().acceptedCount()).isZero();
    }

    @Test
    void tooManyRequestsAndServiceUnavailable() throws Exception {
        apns.behaviour(Behaviour.always(Verdict.tooManyRequests(null)));
        assertThat(client.sendNotification(notification(UUID.randomUUID())).get(10, TimeUnit.SECONDS).getStatusCode()).isEqualTo(429);

        apns.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));
        PushNotificationResponse<SimpleApnsPushNotification> response = client.sendNotification(notification(UUID.randomUUID())).get(10, TimeUnit.SECONDS);
        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getRejectionReason()).contains("ServiceUnavailable");
        assertThat(apns.ledger().acceptedCount()).isZero();
        assertThat(apns.receivedCount()).isEqualTo(2);
    }

    @Test
    void closeIsIdempotentAndFreesThePort() throws java.io.IOException {
        MockApns other = MockApns.start();
        int port = other.port();
        other.close();
        other.close();
        // The port is free again: a server socket can bind it (a mock that leaked its listener would make this fail).
        try (java.net.ServerSocket rebound = new java.net.ServerSocket()) {
            rebound.setReuseAddress(false);
            rebound.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            assertThat(rebound.getLocalPort()).isEqualTo(port);
        }
    }

    private static SimpleApnsPushNotification notification(UUID apnsId) {
        String payload = new SimpleApnsPayloadBuilder().setAlertBody("hello").build();
        return new SimpleApnsPushNotification(TOKEN, "io.pushline.test", payload, null, null,
                com.eatthepath.pushy.apns.PushType.ALERT, null, apnsId);
    }
}
