package io.pushline.contracts;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic push ids. Stateless and thread-safe.
 *
 * <p>A CloudEvent's {@code id} is unique only within its {@code source}, so an event is named by both: two publishers
 * that reuse an id get their pushes each. The rule, the same on every JVM and in every language:
 * <ul>
 *   <li>{@link #sourceTag}: the first 16 hex digits of {@code UUID.nameUUIDFromBytes(UTF-8(source))} (a version 3
 *       UUID without its dashes);</li>
 *   <li>{@link #pushId}: {@code UUID.nameUUIDFromBytes(UTF-8(sourceTag + "|" + eventId + "|" + token))}.</li>
 * </ul>
 * Pushes made before this rule hashed the event id alone ({@link #legacyPushId}); the workers check a receipt under
 * both ids while such receipts can still exist, so an upgrade does not send a push twice.
 */
public final class PushIds {
  private PushIds() {
  }

  /** A short stable name of an event source (64 bits of its UUID v3): see the class notes. */
  public static String sourceTag(String source) {
    Require.nonNull(source, "source");
    return UUID.nameUUIDFromBytes(source.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "").substring(0, 16);
  }

  /**
   * The id of the push that the event {@code eventId} of {@code source} causes to device {@code token}: the same
   * inputs always give the same id (see the class notes for the rule).
   */
  public static String pushId(String source, String eventId, String token) {
    Require.nonNull(eventId, "eventId");
    Require.nonNull(token, "token");
    return UUID.nameUUIDFromBytes((sourceTag(source) + "|" + eventId + "|" + token).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /**
   * The id the previous rule gave, from the event id alone ({@code UUID.nameUUIDFromBytes(UTF-8(eventId + "|" + token))}):
   * for receipts written before the upgrade, and for jobs and coordinators started before it, which keep their ids.
   */
  public static String legacyPushId(String eventId, String token) {
    Require.nonNull(eventId, "eventId");
    Require.nonNull(token, "token");
    return UUID.nameUUIDFromBytes((eventId + "|" + token).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /**
   * An event's name unique across sources, for keys of work started by an event (coordinators, fanout jobs):
   * {@code eventId + "@" + sourceTag(source)}.
   */
  public static String eventKey(String source, String eventId) {
    Require.nonNull(eventId, "eventId");
    return eventId + "@" + sourceTag(source);
  }
}
