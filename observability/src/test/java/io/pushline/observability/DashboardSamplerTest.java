package io.pushline.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.testkit.Waits;
import io.pushline.topology.TopologyMetrics;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dashboard's ring of samples: bounded, filtered by instant, and filled by its own thread once started. */
class DashboardSamplerTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void theRingBufferKeepsTheNewestAndSinceFilters() {
        DashboardSampler small = new DashboardSampler(registry, 3, Clock.fixed(T0, ZoneOffset.UTC));
        for (int i = 0; i < 5; i++) {
            small.sample(T0.plusSeconds(i));
        }
        assertThat(small.capacity()).isEqualTo(3);
        assertThat(small.samples()).extracting(DashboardView.Sample::at)
                .containsExactly(T0.plusSeconds(2), T0.plusSeconds(3), T0.plusSeconds(4));
        assertThat(small.samplesAfter(T0.plusSeconds(3).toEpochMilli())).extracting(DashboardView.Sample::at)
                .containsExactly(T0.plusSeconds(4));
        assertThat(small.samplesAfter(T0.plusSeconds(4).toEpochMilli())).isEmpty();
        assertThat(small.samplesAfter(0)).hasSize(3);
        assertThatThrownBy(() -> new DashboardSampler(registry, 0, Clock.systemUTC())).hasMessageContaining("capacity");
    }

    @Test
    void eachSampleHasItsRatesSinceThePreviousOneAndTheRingIsACopy() {
        DashboardSampler sampler = new DashboardSampler(registry, 600, Clock.fixed(T0, ZoneOffset.UTC));
        assertThat(sampler.now()).isEqualTo(T0);
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(5);
        sampler.sample(T0);
        List<DashboardView.Sample> before = sampler.samples();
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment(10);
        DashboardView.Sample second = sampler.sample(T0.plusSeconds(2));
        assertThat(second.intervalSeconds()).isEqualTo(2.0);
        assertThat(second.rates().eventsIn()).isEqualTo(5.0);
        assertThat(before).hasSize(1);
        assertThat(sampler.samples()).containsExactly(before.get(0), second);
    }

    @Test
    void startedItSamplesOnItsOwnUntilClosed() {
        registry.counter(TopologyMetrics.EVENTS_ROUTED).increment();
        DashboardSampler running = new DashboardSampler(registry, 600, Clock.systemUTC());
        running.start();
        try {
            Waits.until(() -> running.samples().size() >= 2, Duration.ofSeconds(10),
                    () -> "two samples taken by the sampler's thread (have " + running.samples().size() + ")");
            assertThatThrownBy(running::start).isInstanceOf(IllegalStateException.class);
        } finally {
            running.close();
        }
        List<DashboardView.Sample> taken = running.samples();
        assertThat(taken.get(taken.size() - 1).totals().eventsIn()).isEqualTo(1.0);
        assertThat(taken.get(1).at()).isAfter(taken.get(0).at());
    }
}
