package io.pushline.coordinators;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How the coordinators run.
 *
 * @param source             {@code ce_source} of the records they write
 * @param notificationWindow notifications about one object aggregate within this window ("Alice and 3 others …")
 * @param pushTtl            how long a like's or follow's push stays worth delivering
 * @param supervisor         retries, backoff and parking
 * @param tick               how often due retries and step timeouts are checked (on the stream's wall clock)
 * @param steps              wraps every step; the identity in production, a fault injector in tests
 * @param meterRegistry      where metrics go
 */
public record CoordinatorConfig(URI source, Duration notificationWindow, Duration pushTtl, SupervisorPolicy supervisor,
                                Duration tick, StepDecorator steps, MeterRegistry meterRegistry) {
    public static final URI DEFAULT_SOURCE = URI.create("pushline://coordinators");

    /** Wraps the step of {@code flow}'s {@code state}. */
    @FunctionalInterface
    public interface StepDecorator {
        Step wrap(String flow, String state, Step step);
    }

    public CoordinatorConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(notificationWindow, "notificationWindow");
        Objects.requireNonNull(pushTtl, "pushTtl");
        Objects.requireNonNull(supervisor, "supervisor");
        Objects.requireNonNull(tick, "tick");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        if (tick.toMillis() < 1) {
            throw new IllegalArgumentException("tick must be at least 1 ms, was " + tick);
        }
    }

    public static CoordinatorConfig defaults() {
        return new CoordinatorConfig(DEFAULT_SOURCE, Duration.ofMinutes(15), Duration.ofHours(1), SupervisorPolicy.DEFAULT,
                Duration.ofMillis(50), (flow, state, step) -> step, new SimpleMeterRegistry());
    }

    public CoordinatorConfig withSupervisor(SupervisorPolicy supervisor) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, steps, meterRegistry);
    }

    public CoordinatorConfig withSteps(StepDecorator steps) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, steps, meterRegistry);
    }

    public CoordinatorConfig withMeterRegistry(MeterRegistry meterRegistry) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, steps, meterRegistry);
    }

    public CoordinatorConfig withNotificationWindow(Duration notificationWindow) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, steps, meterRegistry);
    }
}
