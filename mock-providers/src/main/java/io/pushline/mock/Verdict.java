package io.pushline.mock;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How a mock answers one push: accept it, or reject it with a {@link Fault}; either after an
 * optional delay (a slow provider).
 */
public sealed interface Verdict permits Verdict.Accept, Verdict.Reject {

    /** How long the mock waits before answering; {@link Duration#ZERO} for at once. */
    Duration delay();

    /** Returns the same verdict answered after {@code delay}. */
    Verdict after(Duration delay);

    /** Accept the push (it is recorded in the mock's {@link PushLedger}). */
    record Accept(Duration delay) implements Verdict {
        public Accept {
            delay = checkDelay(delay);
        }

        @Override
        public Accept after(Duration delay) {
            return new Accept(delay);
        }
    }

    /**
     * Reject the push.
     *
     * @param fault         what went wrong
     * @param invalidatedAt when the token stopped being valid (APNs sends it with 410); nullable
     * @param retryAfter    the Retry-After the provider sends (FCM only); nullable
     * @param delay         how long to wait before answering
     */
    record Reject(Fault fault, Instant invalidatedAt, Duration retryAfter, Duration delay) implements Verdict {
        public Reject {
            Objects.requireNonNull(fault, "fault");
            delay = checkDelay(delay);
            if (retryAfter != null && retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
            }
        }

        @Override
        public Reject after(Duration delay) {
            return new Reject(fault, invalidatedAt, retryAfter, delay);
        }
    }

    static Verdict accept() {
        return new Accept(Duration.ZERO);
    }

    /** The token is no longer registered, since {@code invalidatedAt} (APNs 410, FCM UNREGISTERED). */
    static Verdict unregistered(Instant invalidatedAt) {
        return new Reject(Fault.UNREGISTERED, Objects.requireNonNull(invalidatedAt, "invalidatedAt"), null, Duration.ZERO);
    }

    static Verdict badDeviceToken() {
        return new Reject(Fault.BAD_DEVICE_TOKEN, null, null, Duration.ZERO);
    }

    /** 429; {@code retryAfter} is nullable and only FCM sends it. */
    static Verdict tooManyRequests(Duration retryAfter) {
        return new Reject(Fault.TOO_MANY_REQUESTS, null, retryAfter, Duration.ZERO);
    }

    /** 503; {@code retryAfter} is nullable and only FCM sends it. */
    static Verdict serviceUnavailable(Duration retryAfter) {
        return new Reject(Fault.SERVICE_UNAVAILABLE, null, retryAfter, Duration.ZERO);
    }

    /** Drop the connection instead of answering (see {@link Fault#CONNECTION_DROP}). */
    static Verdict connectionDrop() {
        return new Reject(Fault.CONNECTION_DROP, null, null, Duration.ZERO);
    }

    /** A rejection that says the sender is misconfigured (see {@link Fault#BAD_TOPIC} and the faults after it). */
    static Verdict misconfigured(Fault fault) {
        if (fault.ordinal() < Fault.BAD_TOPIC.ordinal()) {
            throw new IllegalArgumentException(fault + " is not a misconfiguration fault");
        }
        return new Reject(fault, null, null, Duration.ZERO);
    }

    static Verdict internalError() {
        return new Reject(Fault.INTERNAL_ERROR, null, null, Duration.ZERO);
    }

    private static Duration checkDelay(Duration delay) {
        if (delay == null) {
            return Duration.ZERO;
        }
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, was " + delay);
        }
        return delay;
    }
}
