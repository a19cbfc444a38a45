package io.pushline.contracts;

/**
 * The outcome of {@link CloudEventCodec#decode}: a valid event, or the reason it is not one.
 * Bad input is an expected outcome, not an exception.
 */
public sealed interface Decoded permits Decoded.Ok, Decoded.Invalid {

  /**
   * A valid event: its data satisfied the schema.
   *
   * @param envelope the event
   */
  record Ok(Envelope<?> envelope) implements Decoded {
    /** Rejects a null envelope. */
    public Ok {
      Require.nonNull(envelope, "Ok.envelope");
    }
  }

  /**
   * An undecodable or invalid record, to be dead-lettered with its original bytes.
   *
   * @param reason why
   * @param detail human-readable; names the field(s), e.g.
   *     {@code "token: required property missing; platform: must be one of [APNS, FCM]"}. Never
   *     contains payload bytes or tokens.
   */
  record Invalid(DeadLetterReason reason, String detail) implements Decoded {
    /** Rejects null components. */
    public Invalid {
      Require.nonNull(reason, "Invalid.reason");
      Require.nonNull(detail, "Invalid.detail");
    }
  }
}
