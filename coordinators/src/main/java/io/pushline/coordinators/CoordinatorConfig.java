package io.pushline.coordinators;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How the coordinators run. Immutable; the {@code with…} methods return a copy.
 *
 * @param source             {@code ce_source} of the records they write
 * @param notificationWindow notifications about one object aggregate within this window ("Alice and 3 others …"); what
 *                           a coordinator noted for later (finished journals, the window itself, removal and follow
 *                           decisions) is kept this long (or the like digest window, if longer) plus
 *                           {@link #HISTORY_GRACE}, then deleted
 * @param pushTtl            how long a like's or follow's push stays worth delivering
 * @param supervisor         retries, backoff and parking
 * @param tick               the shortest time from now a wake-up is armed for (due retries, step timeouts, expiries,
 *                           on the stream's wall clock)
 * @param parkedRetention    how long a parked coordinator waits for an operator's retry or discard; past it, it is
 *                           discarded, dead-lettered and logged (default {@link #DEFAULT_PARKED_RETENTION})
 * @param likeDigestWindow   the like digest (issue 19): the likes of one recipient within this window, from the first,
 *                           become one push ("alice, bob and 13 others liked your post") at its end instead of one push
 *                           each; {@link Duration#ZERO} (the default) turns it off, else {@link #MIN_LIKE_DIGEST} to
 *                           {@link #MAX_LIKE_DIGEST}. The per-post notifications are not affected
 * @param quietHoursPassThrough push categories ({@link #CATEGORIES}) that ignore the recipient's quiet hours (issue 19):
 *                           pushed at once instead of held; a category the recipient muted is still not pushed. Empty
 *                           (the default): every category is held in quiet hours
 * @param steps              wraps every step; the identity in production, a fault injector in tests
 * @param meterRegistry      where metrics go
 */
public record CoordinatorConfig(URI source, Duration notificationWindow, Duration pushTtl, SupervisorPolicy supervisor,
                                Duration tick, Duration parkedRetention, Duration likeDigestWindow,
                                Set<String> quietHoursPassThrough, StepDecorator steps, MeterRegistry meterRegistry) {
    public static final URI DEFAULT_SOURCE = URI.create("pushline://coordinators");
    /** How long a parked coordinator is kept by default: a week, time for operators to see it and decide. */
    public static final Duration DEFAULT_PARKED_RETENTION = Duration.ofDays(7);
    /**
     * Kept past the notification window: an unlike arriving just after the window closed still finds what its like
     * noted (the journal, the window it joined).
     */
    public static final Duration HISTORY_GRACE = Duration.ofMinutes(5);
    /** The shortest like digest window (when it is on). */
    public static final Duration MIN_LIKE_DIGEST = Duration.ofSeconds(1);
    /** The longest like digest window: a like waits at most this long for its push. */
    public static final Duration MAX_LIKE_DIGEST = Duration.ofHours(1);
    /** The push categories a user can mute or a deployment can let pass quiet hours: likes, follows, timeline posts. */
    public static final Set<String> CATEGORIES = Set.of("like", "follow", "timeline");

    /** Wraps the step of {@code flow}'s {@code state}. */
    @FunctionalInterface
    public interface StepDecorator {
        Step wrap(String flow, String state, Step step);
    }

    /**
     * @throws NullPointerException     naming the missing component
     * @throws IllegalArgumentException naming the component and its value, for a non-positive duration (a like digest
     *                                  window: neither zero nor within its bounds), or for a pass-through category
     *                                  not in {@link #CATEGORIES} (naming it)
     */
    public CoordinatorConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(notificationWindow, "notificationWindow");
        Objects.requireNonNull(pushTtl, "pushTtl");
        Objects.requireNonNull(supervisor, "supervisor");
        Objects.requireNonNull(tick, "tick");
        Objects.requireNonNull(parkedRetention, "parkedRetention");
        Objects.requireNonNull(likeDigestWindow, "likeDigestWindow");
        Objects.requireNonNull(quietHoursPassThrough, "quietHoursPassThrough");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        if (tick.toMillis() < 1) {
            throw new IllegalArgumentException("tick must be at least 1 ms, was " + tick);
        }
        if (notificationWindow.isNegative() || notificationWindow.isZero()) {
            throw new IllegalArgumentException("notificationWindow must be positive, was " + notificationWindow);
        }
        if (parkedRetention.toMillis() < 1) {
            throw new IllegalArgumentException("parkedRetention must be at least 1 ms, was " + parkedRetention);
        }
        if (!likeDigestWindow.isZero()
                && (likeDigestWindow.compareTo(MIN_LIKE_DIGEST) < 0 || likeDigestWindow.compareTo(MAX_LIKE_DIGEST) > 0)) {
            throw new IllegalArgumentException("likeDigestWindow must be 0 (off) or between " + MIN_LIKE_DIGEST + " and "
                    + MAX_LIKE_DIGEST + ", was " + likeDigestWindow);
        }
        quietHoursPassThrough = Set.copyOf(quietHoursPassThrough);
        for (String category : quietHoursPassThrough) {
            if (!CATEGORIES.contains(category)) {
                throw new IllegalArgumentException("quietHoursPassThrough: unknown category '" + category + "' (categories are "
                        + String.join(", ", new java.util.TreeSet<>(CATEGORIES)) + ")");
            }
        }
    }

    public static CoordinatorConfig defaults() {
        return new CoordinatorConfig(DEFAULT_SOURCE, Duration.ofMinutes(15), Duration.ofHours(1), SupervisorPolicy.DEFAULT,
                Duration.ofMillis(50), DEFAULT_PARKED_RETENTION, Duration.ZERO, Set.of(), (flow, state, step) -> step,
                new SimpleMeterRegistry());
    }

    /** Whether likes are folded into a per-recipient digest ({@link #likeDigestWindow} is not zero). */
    public boolean likeDigest() {
        return !likeDigestWindow.isZero();
    }

    /**
     * How long what a finished coordinator noted is kept: the notification window (or the like digest window, if that
     * is longer: an unlike must still find which digest its like joined while that digest is open) plus
     * {@link #HISTORY_GRACE}.
     */
    Duration historyRetention() {
        Duration longest = likeDigestWindow.compareTo(notificationWindow) > 0 ? likeDigestWindow : notificationWindow;
        return longest.plus(HISTORY_GRACE);
    }

    public CoordinatorConfig withSupervisor(SupervisorPolicy supervisor) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    public CoordinatorConfig withSteps(StepDecorator steps) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    public CoordinatorConfig withMeterRegistry(MeterRegistry meterRegistry) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    public CoordinatorConfig withNotificationWindow(Duration notificationWindow) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    public CoordinatorConfig withParkedRetention(Duration parkedRetention) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    /** Whether pushes of {@code category} ignore quiet hours ({@link #quietHoursPassThrough}). */
    public boolean passesQuietHours(String category) {
        return quietHoursPassThrough.contains(category);
    }

    /** The categories whose pushes ignore quiet hours (mutes still apply); empty for none. */
    public CoordinatorConfig withQuietHoursPassThrough(Set<String> quietHoursPassThrough) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }

    /** The like digest window; {@link Duration#ZERO} turns the digest off. */
    public CoordinatorConfig withLikeDigestWindow(Duration likeDigestWindow) {
        return new CoordinatorConfig(source, notificationWindow, pushTtl, supervisor, tick, parkedRetention, likeDigestWindow,
                quietHoursPassThrough, steps, meterRegistry);
    }
}
