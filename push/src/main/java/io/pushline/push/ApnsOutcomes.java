package io.pushline.push;

import com.eatthepath.pushy.apns.PushNotificationResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletionException;

/** Maps Pushy's answers onto {@link PushOutcome}. Stateless. */
final class ApnsOutcomes {

    static final String UNREGISTERED = "Unregistered";
    static final String BAD_DEVICE_TOKEN = "BadDeviceToken";

    /** Rejections APNs documents as transient; {@code ExpiredProviderToken} heals itself: Pushy signs a fresh token. */
    private static final Set<String> TRANSIENT = Set.of(
            "TooManyRequests", "ServiceUnavailable", "InternalServerError", "Shutdown", "ExpiredProviderToken");

    private ApnsOutcomes() {
    }

    static PushOutcome fromResponse(PushNotificationResponse<?> response, Clock clock) {
        if (response.isAccepted()) {
            return new PushOutcome.Delivered(String.valueOf(response.getApnsId()));
        }
        String reason = response.getRejectionReason().orElse("HTTP " + response.getStatusCode());
        if (UNREGISTERED.equals(reason) || BAD_DEVICE_TOKEN.equals(reason)) {
            Instant invalidatedAt = response.getTokenInvalidationTimestamp().orElseGet(clock::instant);
            return new PushOutcome.Rejected(reason, true, invalidatedAt);
        }
        if (TRANSIENT.contains(reason)) {
            return new PushOutcome.RetryLater(reason, null);
        }
        return new PushOutcome.Rejected(reason, false, null);
    }

    /** The send itself failed (connection refused or lost, GOAWAY, client closing): always worth retrying. */
    static PushOutcome fromFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        String message = cause.getMessage();
        return new PushOutcome.RetryLater(cause.getClass().getSimpleName() + (message == null ? "" : ": " + message), null);
    }
}
