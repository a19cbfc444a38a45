package io.pushline.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * {@link CloudEventCodec}'s decoder for the common case, without the CloudEvents SDK's reader and without a JSON tree
 * for trusted types: exactly the attributes Pushline writes (specversion 1.0, id, source, type, time, optional
 * dataschema equal to the type's schema id, content-type {@code application/json}), each once, and data that binds.
 * Anything else (a missing, duplicate, extra or odd header; data that does not parse, bind or validate) gives null,
 * and the codec's full path decodes the record again and gives the exact reason: this path only ever accepts what
 * that path accepts (but for the schema check of trusted types). CloudEventCodecFastPathTest and the fuzz tests hold
 * the two paths to that.
 *
 * <p>Immutable and thread-safe.
 */
final class FastPathDecoder {
  /** The string attributes this path reads, in its slot order. */
  private static final List<String> ATTRIBUTES = List.of("ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema");

  private final int maxEventBytes;
  private final Set<EventType> trusted;

  FastPathDecoder(int maxEventBytes, Set<EventType> trusted) {
    this.maxEventBytes = maxEventBytes;
    this.trusted = trusted;
  }

  /**
   * The record decoded, or null if it is not exactly in Pushline's shape or does not bind and validate. {@code parsed}
   * is {@code value} already read as JSON by the caller (null: read it here).
   */
  Decoded decode(Headers headers, byte[] value, JsonNode parsed) {
    if (headers == null || value == null || value.length == 0 || value.length > maxEventBytes) {
      return null;
    }
    String[] attributes = new String[ATTRIBUTES.size()];   // id, source, type, time, dataschema
    boolean json = false;
    boolean v1 = false;
    for (Header h : headers) {
      String key = h == null ? null : h.key();
      if (key == null) {
        continue;
      }
      byte[] v = h.value();
      int slot = ATTRIBUTES.indexOf(key);
      if (slot >= 0) {
        if (attributes[slot] != null || v == null) {
          return null;   // a duplicate or an empty attribute: the full path names it
        }
        attributes[slot] = new String(v, StandardCharsets.UTF_8);
      } else if (key.equals("ce_specversion")) {
        if (v1 || v == null || !Arrays.equals(v, CloudEventCodec.SPEC_VERSION_1)) {
          return null;
        }
        v1 = true;
      } else if (key.equals(CloudEventCodec.CONTENT_TYPE_HEADER)) {
        if (json || v == null || !Arrays.equals(v, CloudEventCodec.CONTENT_TYPE_BYTES)) {
          return null;
        }
        json = true;
      } else if (key.regionMatches(true, 0, CloudEventCodec.CE_PREFIX, 0, CloudEventCodec.CE_PREFIX.length())
          || key.equalsIgnoreCase(CloudEventCodec.CONTENT_TYPE_HEADER)) {
        return null;   // an extension, or a name in another case: the full path decides
      }
    }
    String id = attributes[0];
    String source = attributes[1];
    String ceType = attributes[2];
    String time = attributes[3];
    String dataSchema = attributes[4];
    if (!v1 || id == null || source == null || ceType == null || time == null || !json || !Require.ID.matcher(id).matches()) {
      return null;
    }
    EventType type = EventType.fromCeType(ceType).orElse(null);
    if (type == null || (dataSchema != null && !dataSchema.equals(Schemas.id(type)))) {
      return null;
    }
    URI sourceUri = Uris.parse(source);
    if (sourceUri == null) {
      return null;
    }
    Instant at;
    try {
      at = Rfc3339.parse(time);
    } catch (RuntimeException e) {
      return null;
    }
    if (!plainUtf8Object(value)) {
      return null;
    }
    EventData data;
    try {
      if (trusted.contains(type)) {
        data = Json.MAPPER.readValue(value, type.dataClass());
      } else {
        JsonNode node = parsed != null ? parsed : Json.MAPPER.readTree(value);
        if (node == null || node.isMissingNode() || !Schemas.violations(type, node).isEmpty()) {
          return null;
        }
        data = Json.MAPPER.treeToValue(node, type.dataClass());
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (data == null) {
      return null;
    }
    return new Decoded.Ok(Envelope.of(id, sourceUri, at, data));
  }

  /**
   * Whether Jackson's byte parser will read {@code value} as the full path reads it (as strict UTF-8 text): it starts
   * with '{' (no BOM, no leading space), none of its first four bytes is NUL (so Jackson cannot guess UTF-16 or
   * UTF-32), and it is strictly valid UTF-8 (checked only when it is not plain ASCII).
   */
  private static boolean plainUtf8Object(byte[] value) {
    if (value[0] != '{') {
      return false;
    }
    boolean ascii = true;
    for (int i = 0; i < value.length; i++) {
      byte b = value[i];
      if (b == 0 && i < 4) {
        return false;
      }
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return true;
    }
    try {
      StrictUtf8.decode(value);
      return true;
    } catch (StrictUtf8.InvalidUtf8 e) {
      return false;
    }
  }
}
