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
 * </ul>
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
            return CompletableFuture.completedFuture(new PushOutcome.RetryLater("provider closed", null));
        }
        if (!circuitBreaker.tryAcquirePermission()) {
            increment(circuitOpenCounter);
            return CompletableFuture.completedFuture(new PushOutcome.RetryLater("circuit open", waitDurationInOpenState));
        }
        long waitNanos = reserve(request);
        if (waitNanos < 0) {
            circuitBreaker.releasePermission();
            increment(rateLimitedCounter);
            return CompletableFuture.completedFuture(new PushOutcome.RetryLater("rate limited", rateLimitPeriod));
        }
        if (waitNanos == 0) {
            return sendThroughBreaker(request);
        }
        rateLimitWaits.incrementAndGet();
        increment(waitsCounter);
        CompletableFuture<PushOutcome> result = new CompletableFuture<>();
        waiting.add(result);
        try {
            scheduler.schedule(() -> {
                if (!waiting.remove(result)) {
                    return;
                }
                sendThroughBreaker(request).whenComplete((outcome, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    } else {
                        result.complete(outcome);
                    }
                });
            }, waitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            answerClosed(result);
        }
        return result;
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
        return sent.whenComplete((outcome, error) -> {
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
            result.complete(new PushOutcome.RetryLater("provider closed", null));
        }
    }

    private static void increment(Counter counter) {
        if (counter != null) {
            counter.increment();
        }
    }

    /**
     * The default failure test: a {@code RetryLater} the provider answered. The delegates' own local
     * refusals (their in-flight limit reached, provider closed) say nothing about the provider.
     */
    static boolean isProviderFailure(PushOutcome outcome) {
        return outcome instanceof PushOutcome.RetryLater retry
                && !retry.cause().equals("provider closed")
                && !retry.cause().contains("in-flight limit reached");
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
            Objects.requireNonNull(failure, "recordAsFailure");
            return new GuardedProvider(this);
        }
    }
}
