package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.pushline.mock.Behaviour;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * With Pushline's loggers at DEBUG and the libraries' at INFO, every outcome path and every configuration error is
 * logged without a device token in clear, a signing key or a service-account key: in messages, arguments and stack traces.
 */
@Timeout(60)
class SecretsInLogsTest {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Level pushlineLevel;
    private Level libraryLevel;

    @BeforeEach
    void capture() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        appender.setContext(context);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        libraryLevel = root.getLevel();
        root.setLevel(Level.INFO);
        pushlineLevel = context.getLogger("io.pushline").getLevel();
        context.getLogger("io.pushline").setLevel(Level.DEBUG);
    }

    @AfterEach
    void release() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(libraryLevel);
        context.getLogger("io.pushline").setLevel(pushlineLevel);
    }

    private List<String> logged() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : appender.list) {
            lines.add(event.getFormattedMessage());
            if (event.getThrowableProxy() != null) {
                lines.add(ThrowableProxyUtil.asString(event.getThrowableProxy()));
            }
        }
        return lines;
    }

    private static PushOutcome send(PushProvider provider, PushRequest request) throws Exception {
        return provider.send(request).get(20, TimeUnit.SECONDS);
    }

    @Test
    void apnsOutcomesAndConfigurationErrorsNeverShowATokenOrAKey() throws Exception {
        MockApns apns = MockApns.start();
        closeables.add(apns);
        ApnsProvider provider = ApnsProvider.builder().server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .build();
        closeables.add(provider);
        String token = Requests.APNS_TOKEN;

        send(provider, Requests.apns(token));
        apns.behaviour(Behaviour.always(Verdict.unregistered(Instant.now())));
        send(provider, Requests.apns(token));
        apns.behaviour(Behaviour.always(Verdict.badDeviceToken()));
        send(provider, Requests.apns(token));
        apns.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));
        send(provider, Requests.apns(token));
        apns.behaviour(Behaviour.always(Verdict.misconfigured(io.pushline.mock.Fault.BAD_TOPIC)));
        send(provider, Requests.apns(token));
        apns.behaviour(Behaviour.always(Verdict.connectionDrop()));
        send(provider, Requests.apns(token));
        String keyBody = body(apns.signingMaterial().pkcs8Pem());
        String brokenKey = apns.signingMaterial().pkcs8Pem().replace(keyBody.substring(10, 30), "AAAAAAAAAAAAAAAAAAAA");
        assertThatIllegalArgumentException().isThrownBy(() -> ApnsProvider.builder().signingKey(brokenKey, "TEAM123456", "KEY1234567").build())
                .satisfies(e -> assertThat(e.toString()).doesNotContain(keyBody.substring(40, 60)));

        assertThat(logged()).as("the pushes were logged, with the token masked").anySatisfy(line -> assertThat(line).contains(Tokens.mask(token)));
        assertThat(logged()).allSatisfy(line -> assertThat(line)
                .doesNotContain(token).doesNotContain(keyBody.substring(40, 60)).doesNotContain("PRIVATE KEY"));
    }

    @Test
    void fcmOutcomesAndConfigurationErrorsNeverShowATokenOrAServiceAccountKey(@TempDir Path dir) throws Exception {
        FakeFcm fcm = FakeFcm.start();
        closeables.add(fcm);
        Path serviceAccount = FcmProviderTest.serviceAccountJson(dir, fcm.baseUrl() + "/token");
        String json = Files.readString(serviceAccount);
        String keyFragment = json.substring(json.indexOf("PRIVATE KEY-----") + 40, json.indexOf("PRIVATE KEY-----") + 60);
        FcmProvider provider = FcmProvider.builder().serviceAccountJson(serviceAccount).endpoint(fcm.baseUrl())
                .batchLinger(Duration.ZERO).build();
        closeables.add(provider);
        String token = Requests.FCM_TOKEN;

        send(provider, Requests.fcm(token));
        fcm.behaviour(Behaviour.always(Verdict.unregistered(Instant.now())));
        send(provider, Requests.fcm(token));
        fcm.behaviour(Behaviour.always(Verdict.badDeviceToken()));
        send(provider, Requests.fcm(token));
        fcm.behaviour(Behaviour.always(Verdict.misconfigured(io.pushline.mock.Fault.SENDER_ID_MISMATCH)));
        send(provider, Requests.fcm(token));
        fcm.behaviour(Behaviour.always(Verdict.connectionDrop()));
        send(provider, Requests.fcm(token));
        Path broken = Files.writeString(dir.resolve("broken.json"), json.replace("service_account", "authorized_user"));
        assertThatIllegalArgumentException().isThrownBy(() -> FcmProvider.builder().serviceAccountJson(broken).build())
                .satisfies(e -> assertThat(e.toString()).doesNotContain(keyFragment));

        assertThat(logged()).as("the pushes were logged, with the token masked").anySatisfy(line -> assertThat(line).contains(Tokens.mask(token)));
        assertThat(logged()).allSatisfy(line -> assertThat(line)
                .doesNotContain(token).doesNotContain(keyFragment).doesNotContain("PRIVATE KEY"));
    }

    private static String body(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    }
}
