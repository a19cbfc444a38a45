package io.pushline.contracts;

import java.time.Instant;

/**
 * The final outcome of one push. Kafka key: {@code userId|pushId} on the partition of {@code userId}, on the
 * compacted {@link Topics#PUSH_RECEIPTS} (co-partitioned with the push tasks). Workers check receipts before sending, so a push that has a
 * receipt is not sent again.
 *
 * @param pushId the push ({@link PushTask#pushId()})
 * @param sourceEventId CloudEvent id of the event that caused the push
 * @param token push token; never log it
 * @param platform provider the token belongs to
 * @param status the outcome
 * @param providerId optional: the provider's id for the notification (apns-id, FCM message name)
 * @param reason optional: the provider's rejection reason or the last error
 * @param decidedAt when the outcome was decided
 */
public record PushReceipt(String pushId, String sourceEventId, String token, Platform platform,
                          ReceiptStatus status, @Nullable String providerId, @Nullable String reason,
                          Instant decidedAt) implements EventData {
  /** Rejects {@code null} required components. */
  public PushReceipt {
    Require.nonNull(pushId, "PushReceipt.pushId");
    Require.nonNull(sourceEventId, "PushReceipt.sourceEventId");
    Require.nonNull(token, "PushReceipt.token");
    Require.nonNull(platform, "PushReceipt.platform");
    Require.nonNull(status, "PushReceipt.status");
    Require.nonNull(decidedAt, "PushReceipt.decidedAt");
  }

  /** The receipt of {@code task}: {@code providerId} for a push the provider took, else null and the {@code reason}. */
  public static PushReceipt of(PushTask task, ReceiptStatus status, @Nullable String providerId, @Nullable String reason,
                               Instant decidedAt) {
    return new PushReceipt(task.pushId(), task.sourceEventId(), task.token(), task.platform(), status, providerId, reason,
        decidedAt);
  }

  @Override
  public EventType type() {
    return EventType.PUSH_RECEIPT;
  }

  /** Omits the token, so the record can be logged. */
  @Override
  public String toString() {
    return "PushReceipt[pushId=" + pushId + ", sourceEventId=" + sourceEventId + ", token=<redacted>, platform="
        + platform + ", status=" + status + ", providerId=" + providerId + ", reason=" + reason
        + ", decidedAt=" + decidedAt + "]";
  }
}
