package io.pushline.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Rfc3339;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads CloudEvents in HTTP structured mode ({@code application/cloudevents+json}, one object), batch mode
 * ({@code application/cloudevents-batch+json}, an array of such objects) and binary mode (the attributes from
 * {@code ce-*} headers, the body as the data: {@link #binary}, the same object assembled from its parts), and validates
 * each exactly as the router
 * validates a binary-mode Kafka record: the attributes are turned into {@code ce_*} headers and the {@code data} object
 * into the record value, and {@link CloudEventCodec#decode} judges them (id rule, source URI, time, known type, the
 * type's JSON Schema). So an event the ingest accepts is one the router will never dead-letter.
 *
 * <p>Pushline's additions to structured mode: {@code specversion} must be {@code "1.0"}; {@code datacontenttype}, if
 * given, must be {@code application/json}; {@code data} must be a JSON object ({@code data_base64} is refused);
 * {@code time} is optional and defaults to the time of receipt; other attributes (extensions, {@code subject},
 * {@code dataschema}) are refused rather than silently dropped, since the Kafka record would not carry them.
 *
 * <p>Never throws for bad input: a {@link Result.Invalid} names each problem's entry (batch index) and field
 * ({@code id}, {@code type}, {@code data.followeeId}, ...) and never repeats a payload value. Parsing is bounded:
 * nesting deeper than {@link #MAX_NESTING_DEPTH} is refused while reading. Thread-safe and stateless.
 */
final class StructuredEvents {
    /** Nesting allowed in a request: the batch array, the event object, and the data's own depth as the codec allows it. */
    static final int MAX_NESTING_DEPTH = 34;
    /** The attributes structured mode may carry here; anything else is refused by name. */
    private static final Set<String> KNOWN = Set.of("specversion", "id", "source", "type", "time", "datacontenttype", "data");
    private static final Map<String, String> ATTRIBUTE_OF_HEADER = Map.of(
            "ce_specversion", "specversion", "ce_id", "id", "ce_source", "source", "ce_type", "type", "ce_time", "time",
            "content-type", "datacontenttype");
    private static final byte[] SPEC_VERSION = "1.0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JSON_CONTENT_TYPE = CloudEventCodec.CONTENT_TYPE.getBytes(StandardCharsets.US_ASCII);
    private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[a-z0-9]+");
    /** Where binary mode carries each attribute structured mode knows ({@code data} is the body, named as is). */
    private static final Map<String, String> HEADER_OF_ATTRIBUTE = Map.of(
            "specversion", "ce-specversion", "id", "ce-id", "source", "ce-source", "type", "ce-type", "time", "ce-time",
            "datacontenttype", "Content-Type");
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One problem: the batch entry ({@code -1} for a single event), the field, and what is wrong with it. */
    record Problem(int index, String field, String reason) {
        Problem {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A valid event and the binary-mode record that carries it, as validated: its {@code ce_*} and {@code content-type}
     * headers and its data's bytes, produced as they are (never encoded again).
     */
    record Event(Envelope<?> envelope, RecordHeaders headers, byte[] value) {
        Event {
            Objects.requireNonNull(envelope, "envelope");
            Objects.requireNonNull(headers, "headers");
            Objects.requireNonNull(value, "value");
        }

        /** Equal events carry equal envelopes, headers and bytes (the array by content, not identity). */
        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && envelope.equals(e.envelope) && headers.equals(e.headers) && Arrays.equals(value, e.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(envelope, headers, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Event[" + envelope + ", " + value.length + " bytes]";
        }
    }

    /** The outcome of reading a request body. */
    sealed interface Result permits Result.Ok, Result.Invalid, Result.TooManyEvents {
        /** Every event is valid, in request order, each with the record to produce for it. */
        record Ok(List<Event> parsed) implements Result {
            public Ok {
                parsed = List.copyOf(parsed);
            }

            /** The events alone. */
            List<Envelope<?>> events() {
                return parsed.stream().<Envelope<?>>map(Event::envelope).toList();
            }
        }

        /** At least one problem; nothing of the request may be published. */
        record Invalid(List<Problem> problems) implements Result {
            public Invalid {
                problems = List.copyOf(problems);
            }
        }

        /** A batch with more than the allowed number of events (HTTP 413). */
        record TooManyEvents(int count, int max) implements Result {
        }
    }

    private final CloudEventCodec codec;
    private final Clock clock;

    StructuredEvents(CloudEventCodec codec, Clock clock) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** One event in structured mode. */
    Result single(byte[] body) {
        Read read = read(body);
        if (read.problem() != null) {
            return new Result.Invalid(List.of(read.problem()));
        }
        JsonNode root = read.node();
        List<Problem> problems = new ArrayList<>();
        Event event = event(root, -1, null, problems);
        return problems.isEmpty() ? new Result.Ok(List.of(event)) : new Result.Invalid(problems);
    }

    /** A batch: a JSON array of 1 to {@code maxEvents} events, all valid or none accepted. */
    Result batch(byte[] body, int maxEvents) {
        Read read = read(body);
        if (read.problem() != null) {
            return new Result.Invalid(List.of(read.problem()));
        }
        JsonNode root = read.node();
        if (!root.isArray()) {
            return new Result.Invalid(List.of(new Problem(-1, "(root)", "must be a JSON array of CloudEvents (batch mode)")));
        }
        if (root.isEmpty()) {
            return new Result.Invalid(List.of(new Problem(-1, "(root)", "empty batch: give at least one event")));
        }
        if (root.size() > maxEvents) {
            return new Result.TooManyEvents(root.size(), maxEvents);
        }
        List<Problem> problems = new ArrayList<>();
        List<Event> events = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            Event event = event(root.get(i), i, null, problems);
            if (event != null) {
                events.add(event);
            }
        }
        return problems.isEmpty() ? new Result.Ok(events) : new Result.Invalid(problems);
    }

    /**
     * One event in binary mode: {@code attributes} from its {@code ce-*} headers ({@link CeHeaders}, already decoded)
     * and its body as the data, whose content type the transport found to be JSON. The event is judged as the same
     * event in structured mode would be; each problem names the header it comes from ({@code ce-id},
     * {@code Content-Type}) or the data's field ({@code data.followeeId}).
     */
    Result binary(Map<String, String> attributes, byte[] body) {
        List<Problem> problems = new ArrayList<>();
        ObjectNode event = MAPPER.createObjectNode();
        Map<String, String> headerOf = new HashMap<>(HEADER_OF_ATTRIBUTE);
        attributes.forEach((name, value) -> {
            String header = CeHeaders.PREFIX + printable(name);
            switch (name) {
                case "datacontenttype" -> problems.add(new Problem(-1, header,
                        "not allowed in binary mode: the Content-Type header is the data's content type"));
                case "data", "data_base64" -> problems.add(new Problem(-1, header, "not an attribute: in binary mode the body is the data"));
                default -> {
                    if (!ATTRIBUTE_NAME.matcher(name).matches()) {
                        // Also keeps a header's name from ever looking like a field of the data once renamed.
                        problems.add(new Problem(-1, header, "not a CloudEvents attribute name (lower-case letters and digits only)"));
                        return;
                    }
                    event.put(name, value);
                    headerOf.put(printable(name), header);
                }
            }
        });
        Read read = read(body);
        if (read.problem() != null) {
            problems.add(new Problem(-1, "data", read.problem().reason()));   // the body is the data
        }
        if (!problems.isEmpty()) {
            return new Result.Invalid(problems);
        }
        event.put("datacontenttype", CloudEventCodec.CONTENT_TYPE);
        event.set("data", read.node());
        Event parsed = event(event, -1, body, problems);   // the body is produced as it is
        if (problems.isEmpty()) {
            return new Result.Ok(List.of(parsed));
        }
        return new Result.Invalid(problems.stream()
                .map(p -> new Problem(p.index(), headerOf.getOrDefault(p.field(), p.field()), p.reason()))
                .toList());
    }

    /** A parsed body, or why it is not one. */
    private record Read(JsonNode node, Problem problem) {
        static Read failed(String reason) {
            return new Read(null, new Problem(-1, "(root)", reason));
        }
    }

    private static Read read(byte[] body) {
        if (body.length == 0) {
            return Read.failed("empty body: expected JSON");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                return Read.failed("no JSON value (only whitespace)");
            }
            return new Read(node, null);
        } catch (StreamConstraintsException e) {
            return Read.failed("exceeds parser limits (nesting deeper than "
                    + MAX_NESTING_DEPTH + " or a value too long)");
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null || e.getLocation().getLineNr() < 0 ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            return Read.failed("not well-formed JSON" + where);
        } catch (java.io.IOException e) {
            return Read.failed("cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * The event of {@code node} and its record, or null after adding its problems. {@code data} is the data's bytes
     * as they came (binary mode's body), or null to write them from the node's {@code data} (structured mode); the
     * codec judges those bytes with the tree already read ({@link CloudEventCodec#decode(org.apache.kafka.common.header.Headers,
     * byte[], JsonNode)}), so nothing is parsed twice.
     */
    private Event event(JsonNode node, int index, byte[] data, List<Problem> problems) {
        if (!node.isObject()) {
            problems.add(new Problem(index, "(event)", "must be a JSON object (a CloudEvent in structured mode)"));
            return null;
        }
        int before = problems.size();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KNOWN.contains(name)) {
                problems.add(new Problem(index, printable(name), name.equals("data_base64")
                        ? "not supported: give the data as a JSON object in data"
                        : "unsupported attribute: Pushline carries only specversion, id, source, type, time, datacontenttype and data"));
            }
        }
        String specVersion = text(node, "specversion", true, index, problems);
        if (specVersion != null && !specVersion.equals("1.0")) {
            problems.add(new Problem(index, "specversion", "must be \"1.0\""));
        }
        String id = text(node, "id", true, index, problems);
        String source = text(node, "source", true, index, problems);
        String type = text(node, "type", true, index, problems);
        String time = text(node, "time", false, index, problems);
        String contentType = text(node, "datacontenttype", false, index, problems);
        if (contentType != null && !isJson(contentType)) {
            problems.add(new Problem(index, "datacontenttype", "must be application/json (or absent)"));
        }
        JsonNode dataNode = node.get("data");
        if (dataNode == null || dataNode.isNull()) {
            problems.add(new Problem(index, "data", "required: the event's data as a JSON object"));
        } else if (!dataNode.isObject()) {
            problems.add(new Problem(index, "data", "must be a JSON object"));
        }
        if (problems.size() > before) {
            return null;
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", SPEC_VERSION);
        headers.add("ce_id", id.getBytes(StandardCharsets.UTF_8));
        headers.add("ce_source", source.getBytes(StandardCharsets.UTF_8));
        headers.add("ce_type", type.getBytes(StandardCharsets.UTF_8));
        EventType known = EventType.fromCeType(type).orElse(null);
        if (known != null) {
            // As the codec writes it, so the record is the one a Kafka publisher would have written.
            headers.add("ce_dataschema", CloudEventCodec.dataSchema(known).getBytes(StandardCharsets.UTF_8));
        }
        headers.add("ce_time", (time != null ? time : Rfc3339.format(clock.instant())).getBytes(StandardCharsets.UTF_8));
        headers.add("content-type", JSON_CONTENT_TYPE);
        byte[] value = data;
        if (value == null) {
            try {
                value = MAPPER.writeValueAsBytes(dataNode);
            } catch (JsonProcessingException e) {
                problems.add(new Problem(index, "data", "cannot be written as JSON"));
                return null;
            }
        }
        Decoded decoded = codec.decode(headers, value, dataNode);
        if (decoded instanceof Decoded.Ok ok) {
            return new Event(ok.envelope(), headers, value);
        }
        Decoded.Invalid invalid = (Decoded.Invalid) decoded;
        problems.addAll(problemsOf(index, invalid));
        return null;
    }

    /** The codec's violations, with header names turned into attribute names and data paths prefixed by data. */
    private static List<Problem> problemsOf(int index, Decoded.Invalid invalid) {
        boolean aboutData = invalid.reason() == DeadLetterReason.SCHEMA_VIOLATION || invalid.reason() == DeadLetterReason.MALFORMED_JSON
                || invalid.reason() == DeadLetterReason.NOT_UTF8 || invalid.reason() == DeadLetterReason.PAYLOAD_TOO_LARGE;
        List<Problem> problems = new ArrayList<>();
        for (Decoded.Violation violation : invalid.violations()) {
            String field = violation.field();
            String reason = violation.problem();
            String attribute = ATTRIBUTE_OF_HEADER.get(field);
            if (attribute != null) {
                field = attribute;
            } else if (field.equals("(record)")) {
                field = "(event)";
            } else if (aboutData) {
                field = field.equals("data") || field.equals("(root)") ? "data" : field.startsWith("[") ? "data" + field : "data." + field;
            }
            problems.add(new Problem(index, field, reason));
        }
        return problems;
    }

    /** The attribute as a string; null (with a problem if it is required or not a string) otherwise. */
    private static String text(JsonNode event, String name, boolean required, int index, List<Problem> problems) {
        JsonNode value = event.get(name);
        if (value == null || value.isNull()) {
            if (required) {
                problems.add(new Problem(index, name, "required"));
            }
            return null;
        }
        if (!value.isTextual()) {
            problems.add(new Problem(index, name, "must be a string"));
            return null;
        }
        if (value.textValue().isEmpty()) {
            problems.add(new Problem(index, name, "must not be empty"));
            return null;
        }
        return value.textValue();
    }

    private static boolean isJson(String contentType) {
        int semicolon = contentType.indexOf(';');
        String mediaType = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim();
        return mediaType.equalsIgnoreCase(CloudEventCodec.CONTENT_TYPE);
    }

    /** The name cut to 64 characters, control characters as '?'; an empty or blank name quoted, so it still shows. */
    private static String printable(String name) {
        String cut = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        StringBuilder b = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return name.isBlank() ? "\"" + b + "\"" : b.toString();
    }
}
