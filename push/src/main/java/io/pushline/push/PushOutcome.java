package io.pushline.push;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What became of one push. Expected results are values of this type, never exceptions.
 *
 * <ul>
 *   <li>{@link Delivered}: the provider accepted the push. Do not send it again.</li>
 *   <li>{@link Rejected}: permanent; sending the same push again will fail the same way. If
 *       {@link Rejected#tokenInvalid()}, the device token is dead and should be unregistered
 *       unless it was registered again after {@link Rejected#invalidatedAt()}.</li>
 *   <li>{@link RetryLater}: transient (provider throttling or unavailable, connection lost,
 *       this process's own in-flight limit reached, provider closing). Retry with backoff, no
 *       sooner than {@link RetryLater#retryAfter()} when given. {@link RetryLater#reachedProvider()}
 *       says whether the push was put to the provider at all: a local refusal (circuit open, rate
 *       limited, in-flight limit reached, provider closed) says nothing about the push, so a caller
 *       counting attempts should not count it (its TTL still bounds how long it is retried).</li>
 * </ul>
 */
public sealed interface PushOutcome permits PushOutcome.Delivered, PushOutcome.Rejected, PushOutcome.RetryLater {

    /** @param providerId the provider's id for the push (APNs {@code apns-id}, FCM message name) */
    record Delivered(String providerId) implements PushOutcome {
        public Delivered {
            Objects.requireNonNull(providerId, "providerId");
        }
    }

    /**
     * Permanent failure.
     *
     * @param reason        the provider's reason (e.g. {@code Unregistered}, {@code BadTopic}) or ours
     * @param tokenInvalid  whether the device token is invalid and should be dropped
     * @param invalidatedAt when the token became invalid (the provider's timestamp, else when we
     *                      learned it); null when {@code tokenInvalid} is false
     */
    record Rejected(String reason, boolean tokenInvalid, Instant invalidatedAt) implements PushOutcome {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Transient failure.
     *
     * @param cause           why, for logs and metrics
     * @param retryAfter      how long the provider (or the guard) asked us to wait; null when it gave no figure
     * @param reachedProvider true when the push was put to the provider (it answered 429/503/..., the connection
     *                        failed, or no answer came in time); false when it was refused here without being sent
     *                        (circuit open, rate limited, in-flight limit reached, provider closed)
     */
    record RetryLater(String cause, Duration retryAfter, boolean reachedProvider) implements PushOutcome {
        public RetryLater {
            Objects.requireNonNull(cause, "cause");
            if (retryAfter != null && retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
            }
        }

        /** A transient failure the provider answered (or a failed attempt to reach it). */
        public RetryLater(String cause, Duration retryAfter) {
            this(cause, retryAfter, true);
        }

        /** A refusal made here, before the push was sent: it must not count as an attempt. */
        public static RetryLater notSent(String cause, Duration retryAfter) {
            return new RetryLater(cause, retryAfter, false);
        }
    }
}
