package io.pushline.mock;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Decides how a mock answers each push. Called once per push, possibly from several threads at
 * once, so implementations must be thread-safe; they should be quick (use {@link Verdict#after}
 * for a slow provider rather than blocking).
 *
 * <p>Behaviours compose: {@code Behaviour.forTokens(t -> t.startsWith("dead"), Verdict.unregistered(at))
 * .orElse(Behaviour.acceptAll())}.
 */
@FunctionalInterface
public interface Behaviour {

    /**
     * @param token  the device token the push is addressed to
     * @param pushId the push id the client sent (APNs {@code apns-id}, FCM {@code data.pushline_push_id}); may be empty
     * @return how to answer; {@code null} means "no opinion" (the mock accepts; see {@link #orElse})
     */
    Verdict decide(String token, String pushId);

    static Behaviour acceptAll() {
        return (token, pushId) -> Verdict.accept();
    }

    /** Answers every push with {@code verdict}. */
    static Behaviour always(Verdict verdict) {
        Objects.requireNonNull(verdict, "verdict");
        return (token, pushId) -> verdict;
    }

    /** Answers pushes whose token matches with {@code verdict}; no opinion (null) for the others. */
    static Behaviour forTokens(Predicate<String> tokens, Verdict verdict) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(verdict, "verdict");
        return (token, pushId) -> tokens.test(token) ? verdict : null;
    }

    /**
     * Answers every push with {@code verdict} while {@code from <= clock.instant() < until}; no
     * opinion (null) before and after. Combine with {@link #orElse} for the rest of the time, e.g. a
     * 503 outage: {@code Behaviour.during(clock, t0, t0.plusSeconds(30), Verdict.serviceUnavailable(null)).orElse(Behaviour.acceptAll())}.
     *
     * @throws IllegalArgumentException if {@code until} is before {@code from}
     */
    static Behaviour during(Clock clock, Instant from, Instant until, Verdict verdict) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(verdict, "verdict");
        if (until.isBefore(from)) {
            throw new IllegalArgumentException("until must not be before from, was " + until + " < " + from);
        }
        return (token, pushId) -> {
            Instant now = clock.instant();
            return !now.isBefore(from) && now.isBefore(until) ? verdict : null;
        };
    }

    /** This behaviour, falling back to {@code fallback} where this one has no opinion. */
    default Behaviour orElse(Behaviour fallback) {
        Objects.requireNonNull(fallback, "fallback");
        return (token, pushId) -> {
            Verdict verdict = decide(token, pushId);
            return verdict != null ? verdict : fallback.decide(token, pushId);
        };
    }
}
