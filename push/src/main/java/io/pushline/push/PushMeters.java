package io.pushline.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** Records {@link PushMetrics} for one provider; does nothing without a registry. Thread-safe. */
final class PushMeters {

    enum Refusal {
        PAYLOAD_TOO_LARGE, SATURATED, CLOSED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Counter delivered;
    private final Counter rejected;
    private final Counter tokenInvalid;
    private final Counter retryLater;
    private final Counter[] refused = new Counter[Refusal.values().length];
    private final MeterRegistry registry;
    private final String platformTag;
    private final InFlightLimiter limiter;
    private final AtomicLong lastConfigWarning = new AtomicLong(Long.MIN_VALUE);

    /** Rejection codes that say the configuration is wrong; see {@link PushMetrics#CONFIG_REJECTIONS}. */
    static final Set<String> CONFIG_REASONS = Set.of(
            "PayloadTooLarge", "BadTopic", "TopicDisallowed", "MissingTopic", "BadCertificate", "BadCertificateEnvironment",
            "ExpiredProviderToken", "InvalidProviderToken", "MissingProviderToken", "Forbidden",
            "SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR", "PERMISSION_DENIED", "UNAUTHENTICATED",
            // web push: the push service refused the request's headers (400); no VAPID keys for the app; an http:
            // endpoint without --webpush-allow-loopback-http
            "BadRequest", "NoVapidKeys", "InsecureEndpoint");
    private static final long CONFIG_WARNING_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PushMeters.class);

    private PushMeters(MeterRegistry registry, Platform platform, InFlightLimiter limiter) {
        String platformTag = platform.name().toLowerCase(Locale.ROOT);
        this.registry = registry;
        this.platformTag = platformTag;
        this.limiter = limiter;
        if (registry == null) {
            delivered = rejected = tokenInvalid = retryLater = null;
            return;
        }
        delivered = outcomeCounter(registry, platformTag, "delivered");
        rejected = outcomeCounter(registry, platformTag, "rejected");
        tokenInvalid = outcomeCounter(registry, platformTag, "token_invalid");
        retryLater = outcomeCounter(registry, platformTag, "retry_later");
        for (Refusal refusal : Refusal.values()) {
            refused[refusal.ordinal()] = Counter.builder(PushMetrics.REFUSED)
                    .tag(PushMetrics.TAG_PLATFORM, platformTag).tag(PushMetrics.TAG_REASON, refusal.tag())
                    .register(registry);
        }
        LimiterGauges.add(registry, PushMetrics.IN_FLIGHT, platformTags(), limiter, InFlightLimiter::inFlight);
        LimiterGauges.add(registry, PushMetrics.QUEUED, platformTags(), limiter, InFlightLimiter::queued);
    }

    private Tags platformTags() {
        return Tags.of(PushMetrics.TAG_PLATFORM, platformTag);
    }

    /** Takes this provider's in-flight and queued pushes out of the platform's gauges: call when it closes. */
    void close() {
        if (registry != null) {
            LimiterGauges.remove(registry, PushMetrics.IN_FLIGHT, platformTags(), limiter);
            LimiterGauges.remove(registry, PushMetrics.QUEUED, platformTags(), limiter);
        }
    }

    static PushMeters create(MeterRegistry registry, Platform platform, InFlightLimiter limiter) {
        return new PushMeters(registry, platform, limiter);
    }

    PushOutcome outcome(PushOutcome outcome) {
        Counter counter;
        if (outcome instanceof PushOutcome.Delivered) {
            counter = delivered;
        } else if (outcome instanceof PushOutcome.Rejected r) {
            counter = r.tokenInvalid() ? tokenInvalid : rejected;
            if (!r.tokenInvalid()) {
                configRejection(r);
            }
        } else {
            counter = retryLater;
        }
        if (counter != null) {
            counter.increment();
        }
        return outcome;
    }

    PushOutcome refused(Refusal refusal, PushOutcome outcome) {
        Counter counter = refused[refusal.ordinal()];
        if (counter != null) {
            counter.increment();
        }
        return outcome(outcome);
    }

    /** Counts a rejection that means misconfiguration, and says so in the log at most once a minute per provider. */
    private void configRejection(PushOutcome.Rejected rejected) {
        String reason = code(rejected.reason());
        if (!CONFIG_REASONS.contains(reason)) {
            return;
        }
        if (registry != null) {
            registry.counter(PushMetrics.CONFIG_REJECTIONS, PushMetrics.TAG_PLATFORM, platformTag, PushMetrics.TAG_REASON, reason).increment();
        }
        long now = System.nanoTime();
        long last = lastConfigWarning.get();
        if ((last == Long.MIN_VALUE || now - last >= CONFIG_WARNING_INTERVAL_NANOS) && lastConfigWarning.compareAndSet(last, now)) {
            log.error("{} rejects pushes as misconfigured ({}): check the app's credentials, topic and payloads; "
                    + "further ones are counted in {} and logged at most once a minute", platformTag, reason, PushMetrics.CONFIG_REJECTIONS);
        }
    }

    /** The provider's code at the start of a rejection reason ({@code "SENDER_ID_MISMATCH: ..."} → {@code SENDER_ID_MISMATCH}). */
    static String code(String reason) {
        int colon = reason.indexOf(':');
        return (colon < 0 ? reason : reason.substring(0, colon)).trim();
    }

    private static Counter outcomeCounter(MeterRegistry registry, String platform, String outcome) {
        return Counter.builder(PushMetrics.OUTCOMES)
                .tag(PushMetrics.TAG_PLATFORM, platform).tag(PushMetrics.TAG_OUTCOME, outcome)
                .register(registry);
    }
}
