package io.pushline.contracts;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;

/**
 * Header names of dead-letter records on {@link Topics#DEAD_LETTERS}. A dead letter keeps the
 * original record's key, value and headers and adds these; every value is a UTF-8 string.
 * Stateless and thread-safe.
 */
public final class DeadLetters {
  /** The {@link DeadLetterReason} name. */
  public static final String REASON = "pushline.dlq.reason";
  /** Human-readable detail naming the field(s); never the payload or a token. */
  public static final String DETAIL = "pushline.dlq.detail";
  /** Topic the record was read from. */
  public static final String SOURCE_TOPIC = "pushline.dlq.source.topic";
  /** Partition the record was read from, in decimal. */
  public static final String SOURCE_PARTITION = "pushline.dlq.source.partition";
  /** Offset the record was read from, in decimal. */
  public static final String SOURCE_OFFSET = "pushline.dlq.source.offset";
  /** When the record was dead-lettered, ISO-8601 UTC, e.g. {@code 2025-01-31T12:00:00Z}. */
  public static final String DEAD_LETTERED_AT = "pushline.dlq.time";

  /**
   * On a record re-published from the dead letters ({@code pushline dlq replay}), where its dead letter is:
   * {@code pushline.dead-letters-PARTITION@OFFSET}, e.g. {@code pushline.dead-letters-2@1041}. The replayed record
   * carries the dead letter's key, value and headers without the {@code pushline.dlq.*} headers above, so its
   * {@code ce_id} (and so its push ids) are the original ones. Not one of the dead-letter headers: it is kept if the
   * record is dead-lettered again, and replaced if it is replayed again.
   */
  public static final String REPLAYED_FROM = "pushline.replayed.from";

  /** The key of the event id in structured logs (a key-value pair on the log event, a field of a JSON log line). */
  public static final String LOG_EVENT_ID = "event_id";

  /** Longer details are cut to this many characters. */
  public static final int MAX_DETAIL_CHARS = 1024;

  /** An exception's message is cut to this many characters in {@link #failureDetail}. */
  public static final int MAX_FAILURE_MESSAGE_CHARS = 300;
  /**
   * Runs of token characters this long are masked in {@link #failureDetail}: device tokens are 64 (APNs) to about 160
   * (FCM) such characters, ids at most 128 but rarely over 40, and an exception's message may quote either.
   */
  private static final java.util.regex.Pattern TOKEN_LIKE = java.util.regex.Pattern.compile("[A-Za-z0-9_:.\\-]{41,}");

  private DeadLetters() {
  }

  /**
   * A dead letter's detail for a failure: {@code ExceptionType: message}, the message cut to
   * {@link #MAX_FAILURE_MESSAGE_CHARS}, control characters replaced with {@code ?} and token-like runs masked, so that
   * a device token quoted by an exception never reaches the dead-letter topic or a log. Never the record's payload.
   */
  public static String failureDetail(Throwable error) {
    Require.nonNull(error, "error");
    StringBuilder out = new StringBuilder(error.getClass().getName());
    String message = error.getMessage();
    if (message != null && !message.isEmpty()) {
      String cut = message.length() > MAX_FAILURE_MESSAGE_CHARS ? message.substring(0, MAX_FAILURE_MESSAGE_CHARS) + "…" : message;
      StringBuilder clean = new StringBuilder(cut.length());
      cut.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? '?' : c));
      out.append(": ").append(TOKEN_LIKE.matcher(clean).replaceAll("[masked]"));
    }
    return out.toString();
  }

  /**
   * Adds the dead-letter headers to {@code headers}, replacing any earlier dead-letter headers
   * (a record dead-lettered twice carries only the latest). {@code detail} may be null (written
   * as empty) and is cut to {@link #MAX_DETAIL_CHARS}.
   *
   * @throws IllegalStateException if {@code headers} is read-only
   */
  public static void addTo(Headers headers, DeadLetterReason reason, String detail, String topic,
                           int partition, long offset, Instant at) {
    Require.nonNull(headers, "headers");
    Require.nonNull(reason, "reason");
    Require.nonNull(topic, "topic");
    Require.nonNull(at, "at");
    String d = detail == null ? "" : detail.length() > MAX_DETAIL_CHARS ? detail.substring(0, MAX_DETAIL_CHARS) : detail;
    put(headers, REASON, reason.name());
    put(headers, DETAIL, d);
    put(headers, SOURCE_TOPIC, topic);
    put(headers, SOURCE_PARTITION, Integer.toString(partition));
    put(headers, SOURCE_OFFSET, Long.toString(offset));
    put(headers, DEAD_LETTERED_AT, at.toString());
  }

  /**
   * The record's event id (its {@code ce_id} header) for a log line: at most 128 characters, control characters
   * replaced by {@code ?}; {@code "-"} when the record has none. Never throws.
   */
  public static String eventId(Headers headers) {
    org.apache.kafka.common.header.Header id = headers == null ? null : headers.lastHeader("ce_id");
    if (id == null || id.value() == null || id.value().length == 0) {
      return "-";
    }
    String s = new String(id.value(), 0, Math.min(id.value().length, 512), StandardCharsets.UTF_8);
    if (s.length() > 128) {
      s = s.substring(0, 128);
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return out.toString();
  }

  private static void put(Headers headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
