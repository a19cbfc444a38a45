package io.pushline.contracts;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes {@link Envelope}s as Kafka records holding binary-mode CloudEvents 1.0 (attributes in
 * {@code ce_*} headers, JSON data in the value, {@code content-type: application/json}), and
 * decodes and validates such records.
 *
 * <p><b>Decoding never throws for bad input.</b> {@link #decode} returns {@link Decoded.Ok} or
 * {@link Decoded.Invalid} with a {@link DeadLetterReason} and a detail that names the field(s) but
 * never contains payload bytes or tokens. The checks run in the order documented on
 * {@link DeadLetterReason}; the size check runs before any parsing.
 *
 * <p><b>Encoding validates</b>: data that breaks its JSON Schema, or whose JSON is larger than
 * {@link #maxEventBytes()}, is a programming error and throws {@link IllegalArgumentException}, so
 * Pushline never publishes an event its own decoder would reject. A codec made with {@link #trusting}
 * skips the schema check (both ways) for the types it names: Pushline's internal records on its hot
 * path.
 *
 * <p>Records in exactly the shape Pushline writes are decoded by a fast path (no CloudEvents SDK reader,
 * no JSON tree for trusted types); any other record, and any record the fast path cannot decode, goes
 * through the full path, which names the exact problem. The record timestamp is left to
 * the producer; the event time travels in {@code ce_time}. {@code ce_dataschema} carries the
 * schema's {@code $id}.
 *
 * <p>Thread-safe and stateless apart from its limit: create one and share it.
 */
public final class CloudEventCodec {
  /** Default largest accepted record value (data JSON), in bytes: 1 MiB. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 1_048_576;
  /** The data content type Pushline writes and accepts. */
  public static final String CONTENT_TYPE = "application/json";

  private static final Logger LOG = LoggerFactory.getLogger(CloudEventCodec.class);
  private static final int MAX_TYPE_CHARS = 200;
  static final String CONTENT_TYPE_HEADER = "content-type";
  /** How the problem of a record that hit an unexpected exception (a bug) starts; package-private for tests. */
  static final String UNEXPECTED = "undecodable: unexpected ";
  static final String CE_PREFIX = "ce_";
  // The header values Pushline writes, which FastPathDecoder compares against: shared, so never modify them.
  static final byte[] SPEC_VERSION_1 = "1.0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] CONTENT_TYPE_BYTES = "application/json".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern MISSING_ATTRIBUTE = Pattern.compile("Attribute '([A-Za-z0-9]+)' cannot be null");
  private static final Pattern BAD_ATTRIBUTE = Pattern.compile("for \"([A-Za-z0-9]+)\"");
  private static final Pattern JSON_MEDIA_TYPE = Pattern.compile("application/(?:[a-z0-9.+-]*\\+)?json");

  private final int maxEventBytes;
  private final Set<EventType> trusted;
  private final FastPathDecoder fastPath;

  /** A codec accepting values up to {@link #DEFAULT_MAX_EVENT_BYTES}. */
  public CloudEventCodec() {
    this(DEFAULT_MAX_EVENT_BYTES);
  }

  /**
   * A codec accepting values up to {@code maxEventBytes}.
   *
   * @throws IllegalArgumentException if {@code maxEventBytes <= 0}
   */
  public CloudEventCodec(int maxEventBytes) {
    this(maxEventBytes, Set.of());
  }

  private CloudEventCodec(int maxEventBytes, Set<EventType> trusted) {
    this.maxEventBytes = Require.positive(maxEventBytes, "maxEventBytes");
    this.trusted = trusted.isEmpty() ? Set.of() : Set.copyOf(trusted);
    this.fastPath = new FastPathDecoder(this.maxEventBytes, this.trusted);
    Schemas.id(EventType.PUSH_TASK); // load the schemas now: a packaging error fails here, not on the first record
  }

  /**
   * A codec like this one that skips the JSON Schema check, on encode and on decode, for {@code types}: for
   * Pushline's internal records (push tasks, receipts) on its hot path, which only Pushline's own roles write (the
   * deployment's ACLs say so) from typed records. Such a record is still bound strictly (unknown, duplicate or
   * missing required properties, wrong types, trailing data and invalid UTF-8 are still dead-lettered, with the
   * same reasons), but a constraint only the schema states (a length, a pattern) is not checked. Every other type
   * is validated as by {@link #CloudEventCodec(int)}.
   */
  public CloudEventCodec trusting(EventType... types) {
    Set<EventType> all = new HashSet<>(trusted);
    all.addAll(List.of(types));
    return new CloudEventCodec(maxEventBytes, all);
  }

  /** The types whose schema check this codec skips; see {@link #trusting}. */
  public Set<EventType> trusted() {
    return trusted;
  }

  /** The {@code ce_dataschema} this codec writes for {@code type}: the id of the type's JSON Schema. */
  public static String dataSchema(EventType type) {
    return Schemas.id(Require.nonNull(type, "type"));
  }

  /** The largest record value (data JSON) this codec accepts or writes, in bytes. */
  public int maxEventBytes() {
    return maxEventBytes;
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /** {@code decode(record.headers(), record.value())}. */
  public Decoded decode(ConsumerRecord<?, byte[]> record) {
    if (record == null) {
      return invalid(DeadLetterReason.NO_HEADERS, "(record)", "null");
    }
    return decode(record.headers(), record.value());
  }

  /**
   * Decodes and validates a binary-mode CloudEvent. Never throws for bad input; a {@code null}
   * or empty {@code headers} gives {@link DeadLetterReason#NO_HEADERS}.
   *
   * @param headers the record's headers, may be null
   * @param value the record's value, may be null
   */
  public Decoded decode(Headers headers, byte[] value) {
    return decode(headers, value, null);
  }

  /**
   * {@link #decode(Headers, byte[])} for a caller that has read {@code value} as JSON already, into {@code parsed}
   * (null: not read), so that it is not read twice: HTTP ingest, which has each event's data as a tree from the
   * request body and writes {@code value} from it. {@code parsed} must be what {@code value} reads as, with duplicate
   * names refused; whatever is odd about the record is judged on {@code value} alone, exactly as the one-argument form
   * would judge it.
   */
  public Decoded decode(Headers headers, byte[] value, JsonNode parsed) {
    try {
      Decoded fast = fastPath.decode(headers, value, parsed);
      return fast != null ? fast : decodeFull(headers, value);
    } catch (RuntimeException e) {
      // Every expected failure is handled below; this is a bug, but the partition must keep moving.
      LOG.warn("unexpected {} while decoding a record; dead-lettering it as NOT_A_CLOUDEVENT", e.getClass().getName());
      LOG.debug("unexpected decode failure", e);
      return invalid(DeadLetterReason.NOT_A_CLOUDEVENT, "(record)", UNEXPECTED + e.getClass().getSimpleName());
    }
  }

  /** The full path: every check, in the order {@link DeadLetterReason} documents; package-private for tests. */
  Decoded decodeFull(Headers headers, byte[] value) {
    if (headers == null || !headers.iterator().hasNext()) {
      return invalid(DeadLetterReason.NO_HEADERS, "(record)", "no headers; expected a binary-mode CloudEvent (ce_* headers)");
    }
    if (value != null && value.length > maxEventBytes) {
      return invalid(DeadLetterReason.PAYLOAD_TOO_LARGE,
          "data", value.length + " bytes exceeds the limit of " + maxEventBytes + " bytes");
    }

    Optional<Decoded.Violation> headerProblem = checkHeaders(headers);
    if (headerProblem.isPresent()) {
      return new Decoded.Invalid(DeadLetterReason.NOT_A_CLOUDEVENT, List.of(headerProblem.get()));
    }
    CloudEvent event;
    try {
      event = KafkaMessageFactory.createReader(headers, value).toEvent();
    } catch (RuntimeException e) {
      return new Decoded.Invalid(DeadLetterReason.NOT_A_CLOUDEVENT, List.of(describeReadFailure(e)));
    }
    List<Decoded.Violation> envelopeProblems = checkEnvelope(event);
    if (!envelopeProblems.isEmpty()) {
      return new Decoded.Invalid(DeadLetterReason.NOT_A_CLOUDEVENT, envelopeProblems);
    }

    Optional<EventType> type = EventType.fromCeType(event.getType());
    if (type.isEmpty()) {
      return invalid(DeadLetterReason.UNKNOWN_TYPE,
          "ce_type", "unknown type '" + Require.printable(event.getType(), MAX_TYPE_CHARS) + "'");
    }

    if (value == null || value.length == 0) {
      return invalid(DeadLetterReason.MALFORMED_JSON, "data", "empty; expected a JSON object");
    }
    String text;
    try {
      text = StrictUtf8.decode(value);
    } catch (StrictUtf8.InvalidUtf8 e) {
      return invalid(DeadLetterReason.NOT_UTF8, "data", "invalid UTF-8 at byte offset " + e.offset);
    }

    JsonNode node;
    try {
      node = Json.MAPPER.readTree(text);
    } catch (StreamConstraintsException e) {
      return invalid(DeadLetterReason.MALFORMED_JSON, "data", "exceeds parser limits (nesting deeper than "
          + Json.MAX_NESTING_DEPTH + " or a value too long)" + at(e.getLocation()));
    } catch (JsonProcessingException e) {
      return invalid(DeadLetterReason.MALFORMED_JSON, "data", "not well-formed JSON" + at(e.getLocation()));
    }
    if (node == null || node.isMissingNode()) {
      return invalid(DeadLetterReason.MALFORMED_JSON, "data", "no JSON value (only whitespace)");
    }

    List<Decoded.Violation> violations;
    try {
      violations = Schemas.violations(type.get(), node);
    } catch (RuntimeException e) {
      LOG.warn("schema validation of {} failed with {}", type.get(), e.getClass().getName());
      return invalid(DeadLetterReason.SCHEMA_VIOLATION, "data", "could not be validated (" + e.getClass().getSimpleName() + ")");
    }
    if (!violations.isEmpty()) {
      return new Decoded.Invalid(DeadLetterReason.SCHEMA_VIOLATION, violations);
    }

    EventData data;
    try {
      data = Json.MAPPER.treeToValue(node, type.get().dataClass());
    } catch (JsonProcessingException | RuntimeException e) {
      // The schema accepted it but the record did not (e.g. a date-time java.time cannot represent).
      return invalid(DeadLetterReason.SCHEMA_VIOLATION, bindingPath(e), "cannot be bound to "
          + type.get().dataClass().getSimpleName());
    }
    return new Decoded.Ok(Envelope.of(event.getId(), event.getSource(), event.getTime().toInstant(), data));
  }

  /** Problems the SDK would not report, or would report as an unhelpful exception. */
  private static Optional<Decoded.Violation> checkHeaders(Headers headers) {
    Set<String> seen = new HashSet<>();
    String contentType = null;
    for (Header h : headers) {
      if (h == null || h.key() == null) {
        continue;
      }
      String key = h.key().toLowerCase(Locale.ROOT);
      if (!key.startsWith(CE_PREFIX) && !key.equals(CONTENT_TYPE_HEADER)) {
        continue;
      }
      String shown = Require.printable(key, 64);
      if (!seen.add(key)) {
        return Optional.of(new Decoded.Violation(shown, "duplicate header"));
      }
      if (h.value() == null) {
        return Optional.of(new Decoded.Violation(shown, "header has no value"));
      }
      if (key.equals(CONTENT_TYPE_HEADER)) {
        contentType = new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    if (contentType != null && contentType.trim().toLowerCase(Locale.ROOT).startsWith("application/cloudevents")) {
      return Optional.of(new Decoded.Violation(CONTENT_TYPE_HEADER,
          "structured mode is not supported; send a binary-mode CloudEvent (ce_* headers)"));
    }
    return Optional.empty();
  }

  private static Decoded.Violation describeReadFailure(RuntimeException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (e instanceof CloudEventRWException) {
      CloudEventRWException rw = (CloudEventRWException) e;
      switch (rw.getKind()) {
        case UNKNOWN_ENCODING:
          return new Decoded.Violation("ce_specversion", "required (expected a binary-mode CloudEvent)");
        case INVALID_SPEC_VERSION:
          return new Decoded.Violation("ce_specversion", "unsupported; must be 1.0");
        case INVALID_ATTRIBUTE_VALUE:
        case INVALID_ATTRIBUTE_TYPE: {
          Matcher m = BAD_ATTRIBUTE.matcher(message);
          return m.find() ? new Decoded.Violation(CE_PREFIX + m.group(1), "invalid value")
              : new Decoded.Violation("ce_*", "invalid CloudEvent attribute value");
        }
        case INVALID_ATTRIBUTE_NAME:
        case INVALID_EXTENSION_NAME:
          return new Decoded.Violation("ce_*", "invalid attribute or extension name");
        default:
          return new Decoded.Violation("(record)", "not a valid CloudEvent (" + rw.getKind() + ")");
      }
    }
    Matcher m = MISSING_ATTRIBUTE.matcher(message);
    if (m.find()) {
      return new Decoded.Violation(CE_PREFIX + m.group(1), "required");
    }
    return new Decoded.Violation("(record)", "not a valid CloudEvent (" + e.getClass().getSimpleName() + ")");
  }

  /** Pushline's rules on top of CloudEvents 1.0. */
  private static List<Decoded.Violation> checkEnvelope(CloudEvent event) {
    List<Decoded.Violation> problems = new ArrayList<>();
    if (event.getSpecVersion() != SpecVersion.V1) {
      problems.add(new Decoded.Violation("ce_specversion", "must be 1.0"));
    }
    if (!Require.ID.matcher(event.getId()).matches()) {
      problems.add(new Decoded.Violation("ce_id", "must match " + Require.ID.pattern()));
    }
    if (event.getTime() == null) {
      problems.add(new Decoded.Violation("ce_time", "required"));
    }
    String contentType = event.getDataContentType();
    if (contentType != null && !isJson(contentType)) {
      problems.add(new Decoded.Violation(CONTENT_TYPE_HEADER, "must be " + CONTENT_TYPE));
    }
    return problems;
  }

  private static boolean isJson(String contentType) {
    int semicolon = contentType.indexOf(';');
    String mediaType = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim().toLowerCase(Locale.ROOT);
    return JSON_MEDIA_TYPE.matcher(mediaType).matches();
  }

  private static String at(JsonLocation location) {
    if (location == null || location.getLineNr() < 0) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String bindingPath(Exception e) {
    if (!(e instanceof JsonMappingException)) {
      return "(root)";
    }
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference ref : ((JsonMappingException) e).getPath()) {
      if (ref.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(Require.printable(ref.getFieldName(), 64));
      } else if (ref.getIndex() >= 0) {
        b.append('[').append(ref.getIndex()).append(']');
      }
    }
    return b.length() == 0 ? recordField(e) : b.toString();
  }

  /** A record constructor's refusal names its field first ("UserPreferencesUpdated.timeZone must be ..."). */
  private static final java.util.regex.Pattern REFUSED_FIELD = java.util.regex.Pattern.compile("^[A-Z][A-Za-z]*\\.([a-z][A-Za-z.]*)\\b");

  /**
   * The field a record's constructor refused, taken from its message's leading {@code Record.field} (a name this
   * package writes, never a value), or {@code (root)}.
   */
  private static String recordField(Exception e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    if (cause instanceof IllegalArgumentException || cause instanceof NullPointerException) {
      java.util.regex.Matcher m = REFUSED_FIELD.matcher(String.valueOf(cause.getMessage()));
      if (m.find()) {
        return m.group(1);
      }
    }
    return "(root)";
  }

  private static Decoded invalid(DeadLetterReason reason, String field, String problem) {
    return new Decoded.Invalid(reason, field, problem);
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /**
   * A record for {@code topic} keyed by {@link Envelope#key()}, with no explicit partition (Kafka's
   * default partitioner places it by key).
   *
   * @throws IllegalArgumentException if the data breaks its schema or is larger than {@link #maxEventBytes()}
   */
  public ProducerRecord<String, byte[]> toRecord(String topic, Envelope<?> envelope) {
    Require.nonNull(envelope, "envelope");
    return toRecord(topic, null, envelope.key(), envelope);
  }

  /**
   * A record for {@code topic} with an explicit partition (null: by key) and key (may be null), as
   * the state topics need (keyed {@code a|b}, partitioned by {@code a}: see {@link Keys}).
   *
   * @throws IllegalArgumentException if the data breaks its schema or is larger than {@link #maxEventBytes()}
   */
  public ProducerRecord<String, byte[]> toRecord(String topic, Integer partition, String key, Envelope<?> envelope) {
    Require.nonNull(topic, "topic");
    if (partition != null && partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0 or null but was " + partition);
    }
    RecordHeaders headers = new RecordHeaders();
    byte[] value = encode(envelope, headers);
    return new ProducerRecord<>(topic, partition, key, value, headers);
  }

  /**
   * Writes the {@code ce_*} and {@code content-type} headers of {@code envelope} into
   * {@code headersOut}, replacing any already there, and returns the record value (the data JSON).
   * For callers that build records themselves, such as a Kafka Streams processor.
   *
   * @throws IllegalArgumentException if the data breaks its schema or is larger than {@link #maxEventBytes()}
   * @throws IllegalStateException if {@code headersOut} is read-only
   */
  public byte[] encode(Envelope<?> envelope, Headers headersOut) {
    Require.nonNull(headersOut, "headersOut");
    Require.nonNull(envelope, "envelope");
    byte[] data = dataOf(envelope);
    Set<String> stale = null;
    for (Header h : headersOut) {
      String key = h.key().toLowerCase(Locale.ROOT);
      if (key.startsWith(CE_PREFIX) || key.equals(CONTENT_TYPE_HEADER)) {
        if (stale == null) {
          stale = new HashSet<>();
        }
        stale.add(h.key());
      }
    }
    if (stale != null) {
      stale.forEach(headersOut::remove);
    }
    // What the CloudEvents SDK's binary-mode Kafka writer writes (CloudEventCodecFastPathTest compares the two),
    // without building a CloudEvent first.
    EventType type = envelope.type();
    headersOut.add("ce_specversion", SPEC_VERSION_1);
    headersOut.add("ce_id", envelope.id().getBytes(StandardCharsets.UTF_8));
    headersOut.add("ce_source", envelope.source().toString().getBytes(StandardCharsets.UTF_8));
    headersOut.add("ce_type", type.ceType().getBytes(StandardCharsets.UTF_8));
    headersOut.add("ce_dataschema", Schemas.id(type).getBytes(StandardCharsets.UTF_8));
    headersOut.add("ce_time", Rfc3339.format(envelope.time()).getBytes(StandardCharsets.US_ASCII));
    headersOut.add(CONTENT_TYPE_HEADER, CONTENT_TYPE_BYTES);
    return data;
  }

  /** The data's JSON, schema-checked unless its type is trusted, within {@link #maxEventBytes()}. */
  private byte[] dataOf(Envelope<?> envelope) {
    EventType type = envelope.type();
    byte[] data;
    try {
      if (trusted.contains(type)) {
        data = Json.MAPPER.writeValueAsBytes(envelope.data());
      } else {
        JsonNode node = Json.MAPPER.valueToTree(envelope.data());
        List<Decoded.Violation> violations = Schemas.violations(type, node);
        if (!violations.isEmpty()) {
          throw new IllegalArgumentException(type.dataClass().getSimpleName() + " breaks " + type.schemaName()
              + ".schema.json: " + new Decoded.Invalid(DeadLetterReason.SCHEMA_VIOLATION, violations).detail());
        }
        data = Json.MAPPER.writeValueAsBytes(node);
      }
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + type.dataClass().getSimpleName() + " as JSON", e);
    }
    if (data.length > maxEventBytes) {
      throw new IllegalArgumentException(type.dataClass().getSimpleName() + " is " + data.length
          + " bytes of JSON but maxEventBytes is " + maxEventBytes);
    }
    return data;
  }
}
