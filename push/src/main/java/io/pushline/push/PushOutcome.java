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
 *       sooner than {@link RetryLater#retryAfter()} when given.</li>
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
     * @param cause      why, for logs and metrics
     * @param retryAfter how long the provider asked us to wait; null when it gave no figure
     */
    record RetryLater(String cause, Duration retryAfter) implements PushOutcome {
        public RetryLater {
            Objects.requireNonNull(cause, "cause");
            if (retryAfter != null && retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
            }
        }
    }
}
