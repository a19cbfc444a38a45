package io.pushline.contracts;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Deterministic push ids. Stateless and thread-safe. */
public final class PushIds {
  private PushIds() {
  }

  /**
   * The id of the push that event {@code sourceEventId} causes to device {@code token}: the same
   * inputs always give the same id, on every JVM and in every language
   * ({@code UUID.nameUUIDFromBytes(UTF-8(sourceEventId + "|" + token))}, a version 3 UUID).
   */
  public static String pushId(String sourceEventId, String token) {
    Require.nonNull(sourceEventId, "sourceEventId");
    Require.nonNull(token, "token");
    return UUID.nameUUIDFromBytes((sourceEventId + "|" + token).getBytes(StandardCharsets.UTF_8)).toString();
  }
}
