package io.pushline.contracts;

import java.util.List;
import java.util.stream.Collectors;

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
   * @param violations what is wrong, at least one, each naming its field; never payload bytes or tokens
   */
  record Invalid(DeadLetterReason reason, List<Violation> violations) implements Decoded {
    /** Rejects null components and an empty list. */
    public Invalid {
      Require.nonNull(reason, "Invalid.reason");
      Require.nonNull(violations, "Invalid.violations");
      if (violations.isEmpty()) {
        throw new IllegalArgumentException("Invalid.violations must not be empty");
      }
      violations = List.copyOf(violations);
    }

    /** One violation. */
    public Invalid(DeadLetterReason reason, String field, String problem) {
      this(reason, List.of(new Violation(field, problem)));
    }

    /**
     * The violations as one human-readable line, {@code "field: problem; field: problem"}, e.g.
     * {@code "token: required property missing; platform: must be one of [APNS, FCM]"} (what dead letters carry).
     * For reading only: a problem may itself contain {@code "; "}; use {@link #violations()} to take it apart.
     */
    public String detail() {
      return violations.stream().map(Violation::text).collect(Collectors.joining("; "));
    }
  }

  /**
   * One thing wrong with a record.
   *
   * @param field what it is about: a header ({@code ce_type}, {@code content-type}), {@code data}, a path into the
   *     data ({@code devices[2].token}), or {@code (record)} for the record as a whole
   * @param problem what is wrong with it, for people
   */
  record Violation(String field, String problem) {
    /** Rejects null or blank components. */
    public Violation {
      Require.nonNull(field, "Violation.field");
      Require.nonNull(problem, "Violation.problem");
      if (field.isBlank() || problem.isBlank()) {
        throw new IllegalArgumentException("a violation names a field and a problem, got '" + field + "': '" + problem + "'");
      }
    }

    /** {@code "field: problem"}. */
    public String text() {
      return field + ": " + problem;
    }
  }
}
