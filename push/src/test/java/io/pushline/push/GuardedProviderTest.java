package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.mock.Behaviour;
import io.pushline.mock.MockApns;
import io.pushline.mock.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GuardedProvider around the real ApnsProvider against MockApns. */
@Timeout(60)
class GuardedProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration OPEN_WAIT = Duration.ofSeconds(30);

    private MockApns apns;
    private final List<PushProvider> providers = new ArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-02T03:04:05Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        apns = MockApns.start();
    }

    @AfterEach
    void stop() {
        providers.forEach(PushProvider::close);
        apns.close();
    }

    @Test
    void theBreakerOpensOnARunOf503sAnswersWithoutARoundTripThenHalfOpensAndCloses() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider())
                .slidingWindowSize(10).minimumNumberOfCalls(5).failureRateThreshold(50)
                .waitDurationInOpenState(OPEN_WAIT).permittedCallsInHalfOpenState(2).clock(clock).meterRegistry(registry));

        apns.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));
        for (int i = 0; i < 5; i++) {
            assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(new PushOutcome.RetryLater("ServiceUnavailable", null));
        }
        assertThat(guarded.circuitState()).isEqualTo("OPEN");
        long received = apns.receivedCount();

        apns.behaviour(Behaviour.acceptAll());
        for (int i = 0; i < 3; i++) {
            assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(PushOutcome.RetryLater.notSent("circuit open", OPEN_WAIT));
        }
        assertThat(apns.receivedCount()).as("short-circuited pushes never reach the mock").isEqualTo(received);
        assertThat(registry.get(PushMetrics.REFUSED).tag(PushMetrics.TAG_REASON, "circuit_open").counter().count()).isEqualTo(3);
        assertThat(registry.get("resilience4j.circuitbreaker.state").tag("name", "apns").tag("state", "open").gauge().value()).isEqualTo(1);

        clock.advance(OPEN_WAIT.plusSeconds(1));
        assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(guarded.circuitState()).isEqualTo("HALF_OPEN");
        assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        assertThat(guarded.circuitState()).isEqualTo("CLOSED");
        assertThat(apns.receivedCount()).isEqualTo(received + 2);
    }

    @Test
    void permanentRejectionsDoNotOpenTheBreaker() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()).slidingWindowSize(4).minimumNumberOfCalls(4).clock(clock));
        apns.behaviour(Behaviour.always(Verdict.badDeviceToken()));

        for (int i = 0; i < 8; i++) {
            assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Rejected.class);
        }
        assertThat(guarded.circuitState()).isEqualTo("CLOSED");
        assertThat(apns.receivedCount()).isEqualTo(8);
    }

    @Test
    void theProviderLimiterSpacesSendsWithoutBlockingTheCaller() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()).providerPermitsPerSecond(5)
                .rateLimitPeriod(Duration.ofMillis(500)).meterRegistry(registry));

        List<CompletableFuture<PushOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            outcomes.add(guarded.send(Requests.apns(Requests.APNS_TOKEN)));
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();

        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.join()).isInstanceOf(PushOutcome.Delivered.class));
        // 5 permits per period: the first period's 5 go at once (or a few more if a period turned over meanwhile).
        assertThat(guarded.rateLimitWaits()).isBetween(5L, 10L);
        assertThat(registry.get(PushMetrics.RATE_LIMIT_WAITS).counter().count()).isEqualTo(guarded.rateLimitWaits());
        assertThat(registry.get("resilience4j.ratelimiter.available.permissions").tag("name", "apns").gauge()).isNotNull();
        assertThat(apns.ledger().acceptedCount()).isEqualTo(15);
    }

    @Test
    void theAppLimiterCountsEachAppOnItsOwn() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()).appPermitsPerSecond(3)
                .rateLimitPeriod(Duration.ofHours(1)).maxRateLimitWait(Duration.ZERO));

        List<PushOutcome> first = new ArrayList<>();
        List<PushOutcome> second = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            first.add(send(guarded, forApp("io.pushline.one")));
            second.add(send(guarded, forApp("io.pushline.two")));
        }

        for (List<PushOutcome> app : List.of(first, second)) {
            assertThat(app.subList(0, 3)).allSatisfy(outcome -> assertThat(outcome).isInstanceOf(PushOutcome.Delivered.class));
            assertThat(app.get(3)).isEqualTo(PushOutcome.RetryLater.notSent("rate limited", Duration.ofHours(1)));
        }
        assertThat(apns.receivedCount()).isEqualTo(6);
        assertThat(guarded.rateLimitWaits()).isZero();
    }

    @Test
    void closeAnswersPushesStillWaitingForAPermitWithoutSendingThem() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()).providerPermitsPerSecond(1)
                .rateLimitPeriod(Duration.ofHours(1)).maxRateLimitWait(Duration.ofHours(2)));

        assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        CompletableFuture<PushOutcome> waiting = guarded.send(Requests.apns(Requests.APNS_TOKEN));
        assertThat(waiting).isNotDone();
        assertThat(guarded.rateLimitWaits()).isEqualTo(1);

        guarded.close();

        assertThat(waiting.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join()).isEqualTo(PushOutcome.RetryLater.notSent("provider closed", null));
        assertThat(apns.receivedCount()).isEqualTo(1);
    }

    @Test
    void closeClosesTheDelegate() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()));
        guarded.close();

        assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isEqualTo(PushOutcome.RetryLater.notSent("provider closed", null));
    }

    @Test
    void onlyAnswersThatReachedTheProviderSaySo() {
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider())
                .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50).waitDurationInOpenState(OPEN_WAIT).clock(clock));
        apns.behaviour(Behaviour.always(Verdict.serviceUnavailable(null)));

        PushOutcome answered = send(guarded, Requests.apns(Requests.APNS_TOKEN));
        send(guarded, Requests.apns(Requests.APNS_TOKEN));
        PushOutcome shortCircuited = send(guarded, Requests.apns(Requests.APNS_TOKEN));

        assertThat(answered).isInstanceOfSatisfying(PushOutcome.RetryLater.class, retry -> assertThat(retry.reachedProvider()).isTrue());
        assertThat(shortCircuited).isInstanceOfSatisfying(PushOutcome.RetryLater.class, retry -> {
            assertThat(retry.cause()).isEqualTo("circuit open");
            assertThat(retry.reachedProvider()).isFalse();
        });
        assertThat(GuardedProvider.isProviderFailure(answered)).isTrue();
        assertThat(GuardedProvider.isProviderFailure(shortCircuited)).isFalse();
    }

    @Test
    void aDelegateThrowingOnTheTimerThreadStillCompletesTheWaitingPush() {
        ApnsProvider real = apnsProvider();
        String poisoned = UUID.randomUUID().toString();
        // Wraps the real provider: one push makes send throw, as a broken delegate would, on the guard's scheduler.
        PushProvider throwing = new PushProvider() {
            @Override
            public Platform platform() {
                return real.platform();
            }

            @Override
            public CompletableFuture<PushOutcome> send(PushRequest request) {
                if (request.pushId().equals(poisoned)) {
                    throw new IllegalStateException("delegate broke");
                }
                return real.send(request);
            }

            @Override
            public void close() {
                real.close();
            }
        };
        GuardedProvider guarded = guard(GuardedProvider.builder(throwing).providerPermitsPerSecond(1)
                .rateLimitPeriod(Duration.ofMillis(300)).maxRateLimitWait(WAIT));

        assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN))).isInstanceOf(PushOutcome.Delivered.class);
        CompletableFuture<PushOutcome> waiting = guarded.send(new PushRequest(poisoned, Platform.APNS, Requests.APNS_TOKEN,
                Requests.apns(Requests.APNS_TOKEN).appId(), "t", "b", Map.of(), null, null, Priority.HIGH, PushType.ALERT));
        assertThat(guarded.rateLimitWaits()).isEqualTo(1);

        assertThat(waiting).failsWithin(WAIT).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class).withMessageContaining("delegate broke");
        // The scheduler survived: a later waiting push is still sent.
        assertThat(guarded.send(Requests.apns(Requests.APNS_TOKEN))).succeedsWithin(WAIT).isInstanceOf(PushOutcome.Delivered.class);
    }

    @Test
    void aPushTheProviderDoesNotAnswerInTimeIsAnsweredRetryLaterAndCountsAsAFailure() {
        Duration bound = Duration.ofMillis(300);
        GuardedProvider guarded = guard(GuardedProvider.builder(apnsProvider()).maxAnswerWait(bound)
                .slidingWindowSize(2).minimumNumberOfCalls(2).failureRateThreshold(50).clock(clock));
        apns.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofSeconds(3))));

        for (int i = 0; i < 2; i++) {
            assertThat(send(guarded, Requests.apns(Requests.APNS_TOKEN)))
                    .isEqualTo(new PushOutcome.RetryLater("no answer within PT0.3S", null, true));
        }
        assertThat(guarded.circuitState()).as("a stalled provider opens the circuit like a failing one").isEqualTo("OPEN");
    }

    @Test
    void namesTheFieldAndTheValue() {
        ApnsProvider provider = apnsProvider();
        assertThatIllegalArgumentException().isThrownBy(() -> GuardedProvider.builder(provider).failureRateThreshold(0).build())
                .withMessage("failureRateThreshold must be within (0, 100], was 0.0");
        assertThatIllegalArgumentException().isThrownBy(() -> GuardedProvider.builder(provider).slidingWindowSize(0).build())
                .withMessage("slidingWindowSize must be >= 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> GuardedProvider.builder(provider).providerPermitsPerSecond(-1).build())
                .withMessage("providerPermitsPerSecond must be >= 0, was -1");
        assertThatIllegalArgumentException().isThrownBy(() -> GuardedProvider.builder(provider).waitDurationInOpenState(Duration.ZERO).build())
                .withMessage("waitDurationInOpenState must be >= 1 ms, was PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> GuardedProvider.builder(provider).maxAnswerWait(Duration.ZERO).build())
                .withMessage("maxAnswerWait must be >= 1 ms, was PT0S");
    }

    private static PushRequest forApp(String topic) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.APNS, Requests.APNS_TOKEN, topic, "t", "b",
                Map.of(), null, null, Priority.HIGH, PushType.ALERT);
    }

    private GuardedProvider guard(GuardedProvider.Builder builder) {
        GuardedProvider guarded = builder.build();
        providers.add(guarded);
        return guarded;
    }

    private ApnsProvider apnsProvider() {
        ApnsProvider provider = ApnsProvider.builder()
                .server(apns.host(), apns.port())
                .trustedServerCertificatePem(apns.trustedCertificatePem())
                .signingKey(apns.signingMaterial().pkcs8Pem(), apns.signingMaterial().teamId(), apns.signingMaterial().keyId())
                .build();
        providers.add(provider);
        return provider;
    }

    private static PushOutcome send(PushProvider provider, PushRequest request) {
        return provider.send(request).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }
}
