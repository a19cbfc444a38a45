package io.pushline.push;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Guards a {@link PushProvider} with a circuit breaker and rate limiters (resilience4j).
 *
 * <ul>
 *   <li><b>Circuit breaker</b>, one per guarded provider: records each outcome; a
 *       {@link PushOutcome.RetryLater} the provider answered (not one of the delegate's own local
 *       refusals: in-flight limit reached, provider closed) and an exceptional completion count as
 *       failures. When the failure rate over the last {@code slidingWindowSize} outcomes reaches
 *       {@code failureRateThreshold}, it opens: {@link #send} answers
 *       {@code RetryLater("circuit open", waitDurationInOpenState)} without a round trip. After
 *       that wait it lets {@code permittedCallsInHalfOpenState} pushes through and closes again
 *       if they succeed. Nothing is dropped: a short-circuited push is for the caller to retry.</li>
 *   <li><b>Rate limiters</b> (off by default): one for the provider and one per app
 *       ({@link PushRequest#appId()}: the APNs topic, the FCM app id; pushes without one share one
 *       limiter). A push waits for a permit of both without blocking the caller (it is sent later
 *       from the guard's scheduler thread); if a permit is further away than
 *       {@code maxRateLimitWait}, the push is answered {@code RetryLater("rate limited", ...)}.</li>
 *   <li><b>Answer bound</b>: every future {@link #send} returns completes. A push the delegate has not
 *       answered within {@code maxAnswerWait} (default 120 s) is
 *       answered {@code RetryLater("no answer within ...")}, which the circuit breaker records as a
 *       failure (a stalled provider opens the circuit like a failing one); the delegate's late answer
 *       is then ignored. A delegate that throws, on the caller's thread or on the guard's scheduler
 *       (a push that waited for a permit), fails the future with that exception.</li>
 * </ul>
 *
 * <p>Circuit-open, rate-limited and provider-closed answers are {@link PushOutcome.RetryLater#notSent}
 * ({@code reachedProvider() == false}): the push was never put to the provider, so callers should not
 * count them as attempts.
 *
 * <p>Metrics (with a registry): resilience4j's tagged circuit breaker and rate limiter meters
 * (tag {@code name} = {@code name} of the guard, or {@code name:appId} for per-app limiters), plus
 * {@link PushMetrics#RATE_LIMIT_WAITS} and {@link PushMetrics#REFUSED} with reasons
 * {@code circuit_open} and {@code rate_limited}.
 *
 * <p>Thread-safe. Owns its delegate: {@link #close()} closes it, after the guard's scheduler.
 * Pushes still waiting for a permit when closed are answered {@code RetryLater("provider closed")}
 * without being sent.
 */
public final class GuardedProvider implements PushProvider {

    public static final float DEFAULT_FAILURE_RATE_THRESHOLD = 50f;
    public static final int DEFAULT_SLIDING_WINDOW_SIZE = 100;
    public static final int DEFAULT_MINIMUM_NUMBER_OF_CALLS = 20;
    public static final Duration DEFAULT_WAIT_DURATION_IN_OPEN_STATE = Duration.ofSeconds(30);
    public static final int DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE = 5;
    public static final Duration DEFAULT_MAX_RATE_LIMIT_WAIT = Duration.ofSeconds(10);
    /**
     * How long a push sent to the delegate may go unanswered: well above the delegates' own bounds (connect 10 s,
     * FCM read 30 s) plus a wait in their in-flight queue, so that it only fires for a provider that truly stalls
     * (Pushy puts no deadline on a stream that is never answered).
     */
    public static final Duration DEFAULT_MAX_ANSWER_WAIT = Duration.ofSeconds(120);
    /** Rate limits are permits per this period unless a test says otherwise. */
    static final Duration RATE_LIMIT_PERIOD = Duration.ofSeconds(1);

    private static final String NO_APP = "-";

    private final PushProvider delegate;
    private final String name;
    private final CircuitBreaker circuitBreaker;
    private final Duration waitDurationInOpenState;
    private final RateLimiterRegistry rateLimiters;
    private final RateLimiter providerLimiter;
    private final boolean perAppLimits;
    private final Duration rateLimitPeriod;
    private final Duration maxAnswerWait;
    private final Predicate<PushOutcome> failure;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong rateLimitWaits = new AtomicLong();
    /** Pushes waiting for a rate-limiter permit; whoever removes one (the timer or close) answers it. */
    private final Set<CompletableFuture<PushOutcome>> waiting = ConcurrentHashMap.newKeySet();
    private final Counter waitsCounter;
    private final Counter circuitOpenCounter;
    private final Counter rateLimitedCounter;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GuardedProvider(Builder b) {
        this.delegate = b.delegate;
        this.name = b.name != null ? b.name : b.delegate.platform().name().toLowerCase(Locale.ROOT);
        this.waitDurationInOpenState = b.waitDurationInOpenState;
        this.failure = b.failure;
        this.rateLimitPeriod = b.rateLimitPeriod;
        this.maxAnswerWait = b.maxAnswerWait;
        CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.custom()
                .failureRateThreshold(b.failureRateThreshold)
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.slidingWindowSize)
                .minimumNumberOfCalls(b.minimumNumberOfCalls)
                .waitDurationInOpenState(b.waitDurationInOpenState)
                .permittedNumberOfCallsInHalfOpenState(b.permittedCallsInHalfOpenState)
                .clock(b.clock)
                .build();
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(breakerConfig);
        this.circuitBreaker = breakers.circuitBreaker(name);
        this.rateLimiters = RateLimiterRegistry.of(RateLimiterConfig.custom()
                .limitRefreshPeriod(b.rateLimitPeriod)
                .limitForPeriod(Math.max(1, b.appPermitsPerSecond))
                .timeoutDuration(b.maxRateLimitWait)
                .build());
        this.providerLimiter = b.providerPermitsPerSecond > 0
                ? rateLimiters.rateLimiter(name, RateLimiterConfig.from(rateLimiters.getDefaultConfig())
                        .limitForPeriod(b.providerPermitsPerSecond).build())
                : null;
        this.perAppLimits = b.appPermitsPerSecond > 0;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pushline-guard-" + name);
            thread.setDaemon(true);
            return thread;
        });
        MeterRegistry registry = b.meterRegistry;
        if (registry != null) {
            TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
            TaggedRateLimiterMetrics.ofRateLimiterRegistry(rateLimiters).bindTo(registry);
            String platform = delegate.platform().name().toLowerCase(Locale.ROOT);
            waitsCounter = Counter.builder(PushMetrics.RATE_LIMIT_WAITS).tag(PushMetrics.TAG_PLATFORM, platform).register(registry);
            circuitOpenCounter = Counter.builder(PushMetrics.REFUSED).tag(PushMetrics.TAG_PLATFORM, platform)
                    .tag(PushMetrics.TAG_REASON, "circuit_open").register(registry);
            rateLimitedCounter = Counter.builder(PushMetrics.REFUSED).tag(PushMetrics.TAG_PLATFORM, platform)
                    .tag(PushMetrics.TAG_REASON, "rate_limited").register(registry);
        } else {
            waitsCounter = circuitOpenCounter = rateLimitedCounter = null;
        }
    }

    /** A guard around {@code delegate}, which the guard then owns. */
    public static Builder builder(PushProvider delegate) {
        return new Builder(delegate);
    }

    @Override
    public Platform platform() {
        return delegate.platform();
    }

    @Override
    public CompletableFuture<PushOutcome> send(PushRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.platform() != delegate.platform()) {
            throw new IllegalArgumentException("this guard sends " + delegate.platform() + " pushes only, got "
                    + request.platform() + " for " + request.pushId());
        }
        if (closed.get()) {
            return CompletableFuture.completedFuture(PushOutcome.RetryLater.notSent("provider closed", null));
        }
        if (!circuitBreaker.tryAcquirePermission()) {
            increment(circuitOpenCounter);
            return CompletableFuture.completedFuture(PushOutcome.RetryLater.notSent("circuit open", waitDurationInOpenState));
        }
        long waitNanos = reserve(request);
        if (waitNanos < 0) {
            circuitBreaker.releasePermission();
            increment(rateLimitedCounter);
            return CompletableFuture.completedFuture(PushOutcome.RetryLater.notSent("rate limited", rateLimitPeriod));
        }
        if (waitNanos == 0) {
            return sendThroughBreaker(request);
        }
        rateLimitWaits.incrementAndGet();
        increment(waitsCounter);
        CompletableFuture<PushOutcome> result = new CompletableFuture<>();
        waiting.add(result);
        try {
            scheduler.schedule(() -> sendWhenPermitted(request, result), waitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            answerClosed(result);
        }
        return result;
    }

    /**
     * The timer task of a push that waited for a permit. Once it has taken {@code result} out of {@link #waiting}, no
     * one else will answer it, so whatever happens here (the delegate or a hook throwing) must complete it: an
     * exception on the scheduler thread would otherwise be swallowed by its {@code ScheduledFuture} and the push left
     * in flight for ever.
     */
    private void sendWhenPermitted(PushRequest request, CompletableFuture<PushOutcome> result) {
        if (!waiting.remove(result)) {
            return;
        }
        try {
            sendThroughBreaker(request).whenComplete((outcome, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(outcome);
                }
            });
        } catch (Throwable e) {
            result.completeExceptionally(e);
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    /** Pushes that had to wait for a rate-limiter permit so far. */
    public long rateLimitWaits() {
        return rateLimitWaits.get();
    }

    /** The circuit breaker's state: {@code CLOSED}, {@code OPEN}, {@code HALF_OPEN} (resilience4j's names). */
    public String circuitState() {
        return circuitBreaker.getState().name();
    }

    /**
     * Closes the scheduler (pushes waiting for a permit are answered {@code RetryLater("provider closed")}),
     * then the delegate.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdownNow();
        for (CompletableFuture<PushOutcome> result : waiting) {
            answerClosed(result);
        }
        delegate.close();
    }

    @Override
    public String toString() {
        return "GuardedProvider[" + name + ", circuit=" + circuitBreaker.getState() + ", delegate=" + delegate + "]";
    }

    /** Nanoseconds to wait for permits of every limiter that applies; negative when beyond {@code maxRateLimitWait}. */
    private long reserve(PushRequest request) {
        long wait = 0;
        if (providerLimiter != null) {
            wait = providerLimiter.reservePermission();
            if (wait < 0) {
                return wait;
            }
        }
        if (perAppLimits) {
            String app = request.appId() == null ? NO_APP : request.appId();
            long appWait = rateLimiters.rateLimiter(name + ":" + app).reservePermission();
            if (appWait < 0) {
                return appWait;
            }
            wait = Math.max(wait, appWait);
        }
        return wait;
    }

    private CompletableFuture<PushOutcome> sendThroughBreaker(PushRequest request) {
        long start = circuitBreaker.getCurrentTimestamp();
        CompletableFuture<PushOutcome> sent;
        try {
            sent = delegate.send(request);
        } catch (RuntimeException e) {
            circuitBreaker.onError(circuitBreaker.getCurrentTimestamp() - start, circuitBreaker.getTimestampUnit(), e);
            throw e;
        }
        // A separate future, so that the bound completes ours and never the delegate's (whose own hooks, its in-flight
        // accounting, run when it really answers). It completes once, so the breaker records exactly one outcome.
        CompletableFuture<PushOutcome> answer = new CompletableFuture<>();
        sent.whenComplete((outcome, error) -> {
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(outcome);
            }
        });
        answer.completeOnTimeout(new PushOutcome.RetryLater("no answer within " + maxAnswerWait, null),
                maxAnswerWait.toNanos(), TimeUnit.NANOSECONDS);
        return answer.whenComplete((outcome, error) -> {
            long elapsed = circuitBreaker.getCurrentTimestamp() - start;
            if (error != null) {
                circuitBreaker.onError(elapsed, circuitBreaker.getTimestampUnit(), error);
            } else if (failure.test(outcome)) {
                circuitBreaker.onError(elapsed, circuitBreaker.getTimestampUnit(), new ProviderFailure(outcome));
            } else {
                circuitBreaker.onSuccess(elapsed, circuitBreaker.getTimestampUnit());
            }
        });
    }

    /** A push waiting for a permit will not be sent: give its circuit-breaker permission back and answer it. */
    private void answerClosed(CompletableFuture<PushOutcome> result) {
        if (waiting.remove(result)) {
            circuitBreaker.releasePermission();
            result.complete(PushOutcome.RetryLater.notSent("provider closed", null));
        }
    }

    private static void increment(Counter counter) {
        if (counter != null) {
            counter.increment();
        }
    }

    /**
     * The default failure test: a {@code RetryLater} that reached the provider. The delegates' own local
     * refusals (their in-flight limit reached, provider closed: {@link PushOutcome.RetryLater#notSent}) say
     * nothing about the provider.
     */
    static boolean isProviderFailure(PushOutcome outcome) {
        return outcome instanceof PushOutcome.RetryLater retry && retry.reachedProvider();
    }

    /** What the circuit breaker records for a failed outcome; never thrown to callers. */
    private static final class ProviderFailure extends RuntimeException {
        ProviderFailure(PushOutcome outcome) {
            super(outcome.toString(), null, false, false);
        }
    }

    /** Configures a {@link GuardedProvider}; {@link #build()} validates and names the field and value. Not thread-safe. */
    public static final class Builder {

        private final PushProvider delegate;
        private String name;
        private float failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
        private int slidingWindowSize = DEFAULT_SLIDING_WINDOW_SIZE;
        private int minimumNumberOfCalls = DEFAULT_MINIMUM_NUMBER_OF_CALLS;
        private Duration waitDurationInOpenState = DEFAULT_WAIT_DURATION_IN_OPEN_STATE;
        private int permittedCallsInHalfOpenState = DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE;
        private int providerPermitsPerSecond;
        private int appPermitsPerSecond;
        private Duration maxRateLimitWait = DEFAULT_MAX_RATE_LIMIT_WAIT;
        private Duration rateLimitPeriod = RATE_LIMIT_PERIOD;
        private Duration maxAnswerWait = DEFAULT_MAX_ANSWER_WAIT;
        private Predicate<PushOutcome> failure = GuardedProvider::isProviderFailure;
        private MeterRegistry meterRegistry;
        private Clock clock = Clock.systemUTC();

        private Builder(PushProvider delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /** The circuit breaker's and rate limiters' name in metrics; default the platform ({@code apns}, {@code fcm}). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Percentage of failed outcomes in the window that opens the circuit; default 50. */
        public Builder failureRateThreshold(float percent) {
            this.failureRateThreshold = percent;
            return this;
        }

        /** Outcomes the failure rate is computed over; default {@value GuardedProvider#DEFAULT_SLIDING_WINDOW_SIZE}. */
        public Builder slidingWindowSize(int outcomes) {
            this.slidingWindowSize = outcomes;
            return this;
        }

        /** Outcomes needed before the failure rate counts; default {@value GuardedProvider#DEFAULT_MINIMUM_NUMBER_OF_CALLS}. */
        public Builder minimumNumberOfCalls(int outcomes) {
            this.minimumNumberOfCalls = outcomes;
            return this;
        }

        /** How long the circuit stays open before trying again; default 30 s. Also the {@code retryAfter} of a short-circuited push. */
        public Builder waitDurationInOpenState(Duration wait) {
            this.waitDurationInOpenState = wait;
            return this;
        }

        /** Pushes let through when half-open; default {@value GuardedProvider#DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE}. */
        public Builder permittedCallsInHalfOpenState(int pushes) {
            this.permittedCallsInHalfOpenState = pushes;
            return this;
        }

        /** Pushes per second to the provider; 0 (the default) for no limit. */
        public Builder providerPermitsPerSecond(int permits) {
            this.providerPermitsPerSecond = permits;
            return this;
        }

        /** Pushes per second to each app (APNs topic, FCM app id); 0 (the default) for no limit. */
        public Builder appPermitsPerSecond(int permits) {
            this.appPermitsPerSecond = permits;
            return this;
        }

        /** Longest a push waits for a permit before it is answered {@code RetryLater("rate limited")}; default 10 s. */
        public Builder maxRateLimitWait(Duration wait) {
            this.maxRateLimitWait = wait;
            return this;
        }

        /**
         * Longest a push sent to the delegate may go unanswered before it is answered
         * {@code RetryLater("no answer within ...")} (counted as a provider failure); default 120 s.
         */
        public Builder maxAnswerWait(Duration wait) {
            this.maxAnswerWait = wait;
            return this;
        }

        /** Which outcomes count as failures for the circuit breaker; default {@link PushOutcome.RetryLater} from the provider. */
        public Builder recordAsFailure(Predicate<PushOutcome> failure) {
            this.failure = failure;
            return this;
        }

        /** Where to register the metrics; null for none. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = meterRegistry;
            return this;
        }

        /** The circuit breaker's clock (for its open-state wait). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The period rate limits are counted over, instead of one second (tests). */
        Builder rateLimitPeriod(Duration period) {
            this.rateLimitPeriod = Objects.requireNonNull(period, "period");
            return this;
        }

        /** @throws IllegalArgumentException naming the field and value when the configuration is invalid */
        public GuardedProvider build() {
            if (name != null && name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank, was '" + name + "'");
            }
            if (!(failureRateThreshold > 0 && failureRateThreshold <= 100)) {
                throw new IllegalArgumentException("failureRateThreshold must be within (0, 100], was " + failureRateThreshold);
            }
            if (slidingWindowSize < 1) {
                throw new IllegalArgumentException("slidingWindowSize must be >= 1, was " + slidingWindowSize);
            }
            if (minimumNumberOfCalls < 1) {
                throw new IllegalArgumentException("minimumNumberOfCalls must be >= 1, was " + minimumNumberOfCalls);
            }
            if (waitDurationInOpenState == null || waitDurationInOpenState.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("waitDurationInOpenState must be >= 1 ms, was " + waitDurationInOpenState);
            }
            if (permittedCallsInHalfOpenState < 1) {
                throw new IllegalArgumentException("permittedCallsInHalfOpenState must be >= 1, was " + permittedCallsInHalfOpenState);
            }
            if (providerPermitsPerSecond < 0) {
                throw new IllegalArgumentException("providerPermitsPerSecond must be >= 0, was " + providerPermitsPerSecond);
            }
            if (appPermitsPerSecond < 0) {
                throw new IllegalArgumentException("appPermitsPerSecond must be >= 0, was " + appPermitsPerSecond);
            }
            if (maxRateLimitWait == null || maxRateLimitWait.isNegative()) {
                throw new IllegalArgumentException("maxRateLimitWait must be >= 0, was " + maxRateLimitWait);
            }
            if (maxAnswerWait == null || maxAnswerWait.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("maxAnswerWait must be >= 1 ms, was " + maxAnswerWait);
            }
            Objects.requireNonNull(failure, "recordAsFailure");
            return new GuardedProvider(this);
        }
    }
}
