package io.pushline.push;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** A platform's in-flight gauge sums every provider of the platform (each lane has its own), not the first alone. */
class LimiterGaugesTest {

    private static void occupy(InFlightLimiter limiter, int pushes) {
        for (int i = 0; i < pushes; i++) {
            limiter.submit(CompletableFuture::new, refusal -> "refused");   // never answered: holds its slot, or waits
        }
    }

    @Test
    void theGaugeSumsEveryLiveLimiterAndForgetsAClosedOne() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InFlightLimiter bulk = new InFlightLimiter(3, 10);
        InFlightLimiter high = new InFlightLimiter(2, 10);
        PushMeters bulkMeters = PushMeters.create(registry, Platform.APNS, bulk);
        PushMeters highMeters = PushMeters.create(registry, Platform.APNS, high);
        occupy(bulk, 5);   // 3 in flight, 2 queued
        occupy(high, 1);

        assertThat(registry.get(PushMetrics.IN_FLIGHT).tag(PushMetrics.TAG_PLATFORM, "apns").gauge().value()).isEqualTo(4.0);
        assertThat(registry.get(PushMetrics.QUEUED).tag(PushMetrics.TAG_PLATFORM, "apns").gauge().value()).isEqualTo(2.0);
        assertThat(registry.find(PushMetrics.IN_FLIGHT).tag(PushMetrics.TAG_PLATFORM, "fcm").gauge()).isNull();

        bulkMeters.close();
        assertThat(registry.get(PushMetrics.IN_FLIGHT).tag(PushMetrics.TAG_PLATFORM, "apns").gauge().value()).isEqualTo(1.0);
        highMeters.close();
        assertThat(registry.get(PushMetrics.IN_FLIGHT).tag(PushMetrics.TAG_PLATFORM, "apns").gauge().value()).isZero();
    }

    @Test
    void registriesAreKeptApartAndNoRegistryIsNothing() {
        SimpleMeterRegistry one = new SimpleMeterRegistry();
        SimpleMeterRegistry two = new SimpleMeterRegistry();
        InFlightLimiter a = new InFlightLimiter(5, 0);
        InFlightLimiter b = new InFlightLimiter(5, 0);
        LimiterGauges.add(one, "g", Tags.of("host", "x"), a, InFlightLimiter::inFlight);
        LimiterGauges.add(two, "g", Tags.of("host", "x"), b, InFlightLimiter::inFlight);
        LimiterGauges.add(null, "g", Tags.of("host", "x"), b, InFlightLimiter::inFlight);
        occupy(a, 2);
        occupy(b, 1);
        assertThat(one.get("g").tag("host", "x").gauge().value()).isEqualTo(2.0);
        assertThat(two.get("g").tag("host", "x").gauge().value()).isEqualTo(1.0);
        LimiterGauges.remove(one, "g", Tags.of("host", "y"), a);   // another id: nothing to remove
        assertThat(one.get("g").tag("host", "x").gauge().value()).isEqualTo(2.0);
    }
}
