package io.pushline.contracts;

/**
 * Why a record was dead-lettered; its name is written to {@link DeadLetters#REASON}. The decoding
 * reasons are permanent for the record's bytes: decoding the same record again gives the same
 * reason, so never retry such a dead letter unchanged. The delivery reasons ({@link #NO_PROVIDER},
 * {@link #RETRIES_EXHAUSTED}, {@link #PROCESSING_FAILED}) are about the pipeline, not the bytes: replay
 * them once the cause is fixed ({@code pushline dlq replay}). The worker writes a FAILED receipt when it gives up
 * on a push (RETRIES_EXHAUSTED); a replayed push whose only receipt says FAILED is sent again.
 *
 * <p>{@link CloudEventCodec#decode} checks in this order and reports the first failure:
 * NO_HEADERS, PAYLOAD_TOO_LARGE, NOT_A_CLOUDEVENT, UNKNOWN_TYPE, NOT_UTF8, MALFORMED_JSON,
 * SCHEMA_VIOLATION.
 */
public enum DeadLetterReason {
  /** The record has no headers at all, so it cannot be a binary-mode CloudEvent. */
  NO_HEADERS,
  /**
   * The envelope is missing or invalid: no {@code ce_specversion} (or not 1.0), a missing
   * {@code ce_id}, {@code ce_source}, {@code ce_type} or {@code ce_time}, an unparsable attribute,
   * a duplicated {@code ce_*} header, a {@code ce_id} that breaks the id rule, structured mode,
   * or a content type other than JSON.
   */
  NOT_A_CLOUDEVENT,
  /** {@code ce_type} is not one of {@link EventType}. */
  UNKNOWN_TYPE,
  /** The data is not valid UTF-8. */
  NOT_UTF8,
  /** The data is empty or not exactly one well-formed JSON document. */
  MALFORMED_JSON,
  /** The data is JSON but breaks the type's JSON Schema. */
  SCHEMA_VIOLATION,
  /** The record value is larger than the codec's {@code maxEventBytes}; checked before parsing. */
  PAYLOAD_TOO_LARGE,
  /** A push task for a platform no provider is configured for. */
  NO_PROVIDER,
  /** A push the provider kept answering "retry later" to, until the worker's attempt limit. */
  RETRIES_EXHAUSTED,
  /** An unexpected failure while processing a valid record; the detail names the exception type. */
  PROCESSING_FAILED,
  /**
   * A parked coordinator that no operator retried or discarded within its retention (7 days by default): discarded,
   * with its description as the value. Not replayable (its source is the parked topic); retry the event instead.
   */
  PARKED_EXPIRED
}
