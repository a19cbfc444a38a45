package io.pushline.contracts;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Fuzzes {@link CloudEventCodec#decode(Headers, byte[])} with binary-mode records that are mostly right: the
 * {@code ce_*} headers Pushline writes, each kept, dropped, duplicated, emptied or replaced by fuzzed text, and as the
 * value the JSON of a real event with one property replaced, a fuzzed splice of it, or fuzzed bytes. The property is
 * {@link #checkDecoded}. Run for a bounded time by the {@code fuzz-decode} surefire execution (see the pom); without
 * {@code JAZZER_FUZZ} it replays {@code CloudEventCodecFuzzTestInputs/decode/} only.
 */
class CloudEventCodecFuzzTest {
  /** Put before every fuzzed data value, so a detail that repeats one shows it (headers may be named, data not). */
  static final String MARKER = "\u2603val";
  private static final CloudEventCodec CODEC = new CloudEventCodec();
  private static final EventType[] TYPES = EventType.values();
  private static final Map<EventType, ObjectNode> SAMPLES = samples();
  private static final String[] HEADERS = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type",
      "ce_dataschema"};
  private static final String[] EXTRA_HEADERS = {"CE_ID", "Ce_Type", "Content-Type", "ce_subject", "ce_", "ce_x", "x",
      "traceparent", "ce_datacontenttype", "ce_specVersion"};

  @FuzzTest(maxDuration = "20s")
  void decode(FuzzedDataProvider in) {
    EventType type = TYPES[in.consumeInt(0, TYPES.length - 1)];
    Headers headers = headers(in, type);
    Value value = value(in, type);
    checkDecoded(CODEC, headers, value.bytes(), value.marked(), CODEC.decode(headers, value.bytes()));
  }

  /**
   * What every decode must give: an {@link Decoded.Ok} that the fast and full paths agree on, that re-encodes and
   * decodes to itself; or an {@link Decoded.Invalid} with a reason and a short detail that repeats no data value
   * ({@code marked}: the only occurrences of {@link #MARKER} are in data values).
   * The codec turns an unexpected RuntimeException into a dead letter ({@link CloudEventCodec#UNEXPECTED}); its Javadoc
   * calls that a bug, so here it is a finding.
   */
  static void checkDecoded(CloudEventCodec codec, Headers headers, byte[] value, boolean marked, Decoded decoded) {
    if (decoded == null) {
      throw new AssertionError("decode returned null");
    }
    if (decoded instanceof Decoded.Invalid invalid) {
      String detail = invalid.detail(); // never blank: Decoded.Violation refuses a blank field or problem
      if (detail.length() > DeadLetters.MAX_DETAIL_CHARS) {
        throw new AssertionError(invalid.reason() + " detail of " + detail.length() + " chars: " + detail.substring(0, 200));
      }
      if (invalid.violations().stream().anyMatch(v -> v.problem().startsWith(CloudEventCodec.UNEXPECTED))) {
        throw new AssertionError("decode hit an unexpected exception: " + detail);
      }
      if (marked && detail.contains(MARKER) && !inHeaders(headers, MARKER)) {
        throw new AssertionError("detail repeats a payload value: " + detail);
      }
      return;
    }
    Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
    // The fast path must only accept what the full path accepts, as the same envelope.
    Decoded full = codec.decodeFull(headers, value);
    if (!decoded.equals(full)) {
      throw new AssertionError("fast path gave " + decoded + " but the full path " + full);
    }
    ProducerRecord<String, byte[]> record;
    try {
      record = codec.toRecord(Topics.EVENTS, envelope);
    } catch (RuntimeException e) {
      throw new AssertionError("an accepted envelope does not re-encode: " + envelope, e);
    }
    Decoded again = codec.decode(record.headers(), record.value());
    if (!(again instanceof Decoded.Ok ok) || !ok.envelope().equals(envelope)) {
      throw new AssertionError("round trip of " + envelope + " gave " + again);
    }
  }

  private static boolean inHeaders(Headers headers, String text) {
    for (org.apache.kafka.common.header.Header h : headers == null ? new RecordHeaders() : headers) {
      if (h != null && (String.valueOf(h.key()).contains(text)
          || h.value() != null && new String(h.value(), StandardCharsets.UTF_8).contains(text))) {
        return true;
      }
    }
    return false;
  }

  private static Headers headers(FuzzedDataProvider in, EventType type) {
    RecordHeaders headers = new RecordHeaders();
    for (String name : HEADERS) {
      switch (in.consumeInt(0, 7)) {
        case 0, 1, 2 -> add(headers, name, canonical(name, type));
        case 3 -> { } // absent
        case 4 -> headers.add(name, null);
        case 5 -> add(headers, name, in.consumeString(64));
        case 6 -> { // another type's value, or a near miss of this one
          String other = canonical(name, TYPES[in.consumeInt(0, TYPES.length - 1)]);
          add(headers, name, in.consumeBoolean() ? other : other + in.consumeString(4));
        }
        default -> { // duplicated
          add(headers, name, canonical(name, type));
          add(headers, name, in.consumeBoolean() ? canonical(name, type) : in.consumeString(16));
        }
      }
    }
    if (in.consumeInt(0, 7) == 0) {
      String name = in.consumeBoolean() ? in.pickValue(EXTRA_HEADERS) : in.consumeString(16);
      if (in.consumeBoolean()) {
        headers.add(name, in.consumeBytes(64));
      } else {
        headers.add(name, null);
      }
    }
    if (in.consumeInt(0, 15) == 0) { // order must not matter
      List<org.apache.kafka.common.header.Header> all = new ArrayList<>(List.of(headers.toArray()));
      Collections.reverse(all);
      headers = new RecordHeaders(all);
    }
    return headers;
  }

  private static String canonical(String header, EventType type) {
    return switch (header) {
      case "ce_specversion" -> "1.0";
      case "ce_id" -> Samples.EVENT_ID;
      case "ce_source" -> Samples.SOURCE.toString();
      case "ce_type" -> type.ceType();
      case "ce_time" -> "2025-01-31T12:00:00.123Z";
      case "content-type" -> CloudEventCodec.CONTENT_TYPE;
      case "ce_dataschema" -> Schemas.id(type);
      default -> throw new IllegalArgumentException(header);
    };
  }

  /** A record value; {@code marked} if {@link #MARKER} occurs in it only inside data values. */
  private record Value(byte[] bytes, boolean marked) {
  }

  private static Value value(FuzzedDataProvider in, EventType type) {
    ObjectNode sample = SAMPLES.get(in.consumeBoolean() ? type : TYPES[in.consumeInt(0, TYPES.length - 1)]).deepCopy();
    switch (in.consumeInt(0, 4)) {
      case 0: // a real event with one property replaced, added or removed
        mutate(in, sample);
        return new Value(bytes(sample), true);
      case 1: { // a real event with a fuzzed splice
        byte[] json = bytes(sample);
        int from = in.consumeInt(0, json.length);
        int to = in.consumeInt(from, json.length);
        byte[] middle = in.consumeBytes(32);
        byte[] out = new byte[from + middle.length + json.length - to];
        System.arraycopy(json, 0, out, 0, from);
        System.arraycopy(middle, 0, out, from, middle.length);
        System.arraycopy(json, to, out, from + middle.length, json.length - to);
        return new Value(out, false);
      }
      case 2: // nesting around the parser's limit
        return new Value(nested(in.consumeInt(1, 2 * Json.MAX_NESTING_DEPTH), in.consumeBoolean()), false);
      case 3:
        return new Value(in.consumeBoolean() ? null : new byte[0], false);
      default:
        return new Value(in.consumeRemainingAsBytes(), false);
    }
  }

  private static void mutate(FuzzedDataProvider in, ObjectNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    String name = names.isEmpty() || in.consumeInt(0, 5) == 0
        // A property name may be named in a detail, so it must not hold the marker. Not replace(MARKER, ""): removing one
        // can join two halves into a new one ("\u2603v\u2603valal"), as the fuzzer found; no snowman, no marker.
        ? in.consumeString(16).replace("\u2603", "")
        : names.get(in.consumeInt(0, names.size() - 1));
    switch (in.consumeInt(0, 9)) {
      case 0 -> node.remove(name);
      case 1 -> node.putNull(name);
      case 2 -> node.put(name, in.consumeLong());
      case 3 -> node.put(name, in.consumeDouble());
      case 4 -> node.put(name, in.consumeBoolean());
      case 5 -> node.set(name, nestedNode(in.consumeInt(1, Json.MAX_NESTING_DEPTH + 2)));
      case 6 -> node.put(name, "2025-01-31T" + in.consumeString(24));
      case 7 -> {
        ArrayNode array = node.putArray(name);
        for (int i = in.consumeInt(0, 12); i > 0; i--) {
          array.add(MARKER + in.consumeString(16));
        }
      }
      default -> node.put(name, MARKER + in.consumeString(200));
    }
  }

  /** {@code depth} nested arrays (or objects) around a number. */
  static byte[] nested(int depth, boolean arrays) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      b.append(arrays ? "[" : "{\"a\":");
    }
    b.append('1');
    for (int i = 0; i < depth; i++) {
      b.append(arrays ? ']' : '}');
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode nestedNode(int depth) {
    JsonNode node = JsonNodeFactory.instance.numberNode(1);
    for (int i = 1; i < depth; i++) {
      node = JsonNodeFactory.instance.arrayNode().add(node);
    }
    return node;
  }

  private static void add(Headers headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsBytes(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<EventType, ObjectNode> samples() {
    Map<EventType, ObjectNode> m = new EnumMap<>(EventType.class);
    Samples.all().forEach((type, data) -> m.put(type, Json.MAPPER.valueToTree(data)));
    return m;
  }
}
