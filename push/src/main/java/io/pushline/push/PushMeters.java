package io.pushline.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;

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

    private PushMeters(MeterRegistry registry, Platform platform, InFlightLimiter limiter) {
        String platformTag = platform.name().toLowerCase(Locale.ROOT);
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
        Gauge.builder(PushMetrics.IN_FLIGHT, limiter, InFlightLimiter::inFlight)
                .tag(PushMetrics.TAG_PLATFORM, platformTag).register(registry);
        Gauge.builder(PushMetrics.QUEUED, limiter, InFlightLimiter::queued)
                .tag(PushMetrics.TAG_PLATFORM, platformTag).register(registry);
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

    private static Counter outcomeCounter(MeterRegistry registry, String platform, String outcome) {
        return Counter.builder(PushMetrics.OUTCOMES)
                .tag(PushMetrics.TAG_PLATFORM, platform).tag(PushMetrics.TAG_OUTCOME, outcome)
                .register(registry);
    }
}
