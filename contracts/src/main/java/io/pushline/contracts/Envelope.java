package io.pushline.contracts;

import java.net.URI;
import java.time.Instant;

/**
 * A Pushline event: the CloudEvent attributes ({@code ce_id}, {@code ce_source}, {@code ce_time};
 * {@code ce_type} follows from the data) around the domain data. Immutable.
 *
 * <p>{@code id} identifies the event for deduplication and becomes {@link PushTask#sourceEventId()}
 * of the pushes it causes, so it follows the contract's id rule: 1 to 128 of
 * {@code [A-Za-z0-9._:@-]} (a UUID fits; {@code |} does not).
 *
 * @param id CloudEvent id, unique per source
 * @param source CloudEvent source, e.g. {@code urn:pushline:service:likes}
 * @param time when the event happened
 * @param data the domain fields
 * @param <D> the data type
 */
public record Envelope<D extends EventData>(String id, URI source, Instant time, D data) {

  /**
   * @throws NullPointerException if any component is null
   * @throws IllegalArgumentException if {@code id} breaks the id rule
   */
  public Envelope {
    Require.nonNull(id, "Envelope.id");
    Require.nonNull(source, "Envelope.source");
    Require.nonNull(time, "Envelope.time");
    Require.nonNull(data, "Envelope.data");
    if (!Require.ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "Envelope.id must match " + Require.ID.pattern() + " but was '" + Require.printable(id, 200) + "'");
    }
  }

  /** Same as the constructor. */
  public static <D extends EventData> Envelope<D> of(String id, URI source, Instant time, D data) {
    return new Envelope<>(id, source, time, data);
  }

  /** {@code data().type()}. */
  public EventType type() {
    return data.type();
  }

  /** The Kafka record key publishers must use: {@code type().keyOf(data())}. */
  public String key() {
    return data.type().keyOf(data);
  }
}
