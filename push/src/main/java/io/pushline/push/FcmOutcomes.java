package io.pushline.push;

import com.google.firebase.ErrorCode;
import com.google.firebase.IncomingHttpResponse;
import com.google.firebase.messaging.FirebaseMessagingException;
import com.google.firebase.messaging.MessagingErrorCode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Maps the Firebase Admin SDK's answer for one message onto {@link PushOutcome}. Works per message,
 * so the same mapping serves {@code sendAsync} and each {@code SendResponse} of {@code sendEach}.
 */
final class FcmOutcomes {

    /** Used when FCM answers QUOTA_EXCEEDED without a Retry-After header. */
    static final Duration DEFAULT_QUOTA_RETRY_AFTER = Duration.ofSeconds(60);

    private FcmOutcomes() {
    }

    static PushOutcome delivered(String messageName) {
        return new PushOutcome.Delivered(messageName == null ? "" : messageName);
    }

    /**
     * @return the outcome, or null when the failure is unexpected (a bug) and should fail the future
     */
    static PushOutcome fromFailure(Throwable failure, Clock clock) {
        Throwable cause = unwrap(failure);
        if (cause instanceof FirebaseMessagingException e) {
            return fromMessagingException(e, clock);
        }
        if (cause instanceof IOException || cause instanceof RejectedExecutionException
                || cause instanceof CancellationException || cause instanceof IllegalStateException) {
            // Transport trouble, or the app being deleted while the push waited.
            return new PushOutcome.RetryLater(describe(cause), null);
        }
        return null;
    }

    /** The whole {@code sendEach} call failed: every push of the batch is to be retried. */
    static PushOutcome fromBatchFailure(Throwable failure) {
        return new PushOutcome.RetryLater("FCM batch failed: " + describe(unwrap(failure)), null);
    }

    private static PushOutcome fromMessagingException(FirebaseMessagingException e, Clock clock) {
        MessagingErrorCode code = e.getMessagingErrorCode();
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (code != null) {
            switch (code) {
                case UNREGISTERED:
                    return new PushOutcome.Rejected(code.name(), true, clock.instant());
                case INVALID_ARGUMENT:
                    boolean aboutToken = message.toLowerCase(Locale.ROOT).contains("token");
                    return new PushOutcome.Rejected(code.name() + ": " + message, aboutToken, aboutToken ? clock.instant() : null);
                case QUOTA_EXCEEDED:
                    Duration retryAfter = retryAfter(e);
                    return new PushOutcome.RetryLater(code.name(), retryAfter != null ? retryAfter : DEFAULT_QUOTA_RETRY_AFTER);
                case UNAVAILABLE:
                case INTERNAL:
                    return new PushOutcome.RetryLater(code.name(), retryAfter(e));
                default:
                    return new PushOutcome.Rejected(code.name() + ": " + message, false, null);
            }
        }
        ErrorCode errorCode = e.getErrorCode();
        if (e.getHttpResponse() == null) {
            // No answer at all: connection refused or reset, timeout.
            return new PushOutcome.RetryLater(errorCode + ": " + message, null);
        }
        switch (errorCode) {
            case UNAVAILABLE:
            case INTERNAL:
            case DEADLINE_EXCEEDED:
            case RESOURCE_EXHAUSTED:
            case ABORTED:
                return new PushOutcome.RetryLater(errorCode.name(), retryAfter(e));
            default:
                return new PushOutcome.Rejected(errorCode.name() + ": " + message, false, null);
        }
    }

    /** Retry-After in delta-seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(FirebaseMessagingException e) {
        IncomingHttpResponse response = e.getHttpResponse();
        if (response == null || response.getHeaders() == null) {
            return null;
        }
        for (Map.Entry<String, Object> header : response.getHeaders().entrySet()) {
            if ("retry-after".equalsIgnoreCase(header.getKey())) {
                Object value = header.getValue();
                if (value instanceof Collection<?> values) {
                    value = values.isEmpty() ? null : values.iterator().next();
                }
                return value == null ? null : parseRetryAfter(value.toString().trim(), Clock.systemUTC());
            }
        }
        return null;
    }

    static Duration parseRetryAfter(String value, Clock clock) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(clock.instant(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static String describe(Throwable cause) {
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
