package io.pushline.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pushline.contracts.Envelope;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One answer of the ingest, whatever decided it (the transport or the publish path): its HTTP status, the publisher to
 * count it for ({@link #UNKNOWN_PUBLISHER} before authentication), the headers it adds to the ones every answer carries
 * ({@code Content-Type: application/json}, {@code Cache-Control: no-store}, {@code Content-Length}) and its JSON body,
 * written once, when the answer is made ({@link #bytes}). No token and no payload value ever goes into one.
 *
 * <p>The 202 of {@link #accepted} is written straight from its values with a streaming generator; the rarer refusals
 * are built as trees. Immutable: nobody changes the bytes once the record is made ({@link #bytes} gives them as they
 * are, for the one write).
 */
record IngestReply(int status, String publisher, Map<String, String> headers, byte[] bytes) {
    /** The publisher tag of an answer given before the publisher is known. */
    static final String UNKNOWN_PUBLISHER = "unknown";
    /** Seconds a publisher is asked to wait when the ingest is saturated (in flight, producer buffer, threads). */
    static final long SATURATED_RETRY_AFTER_SECONDS = 1;
    /** Seconds a publisher is asked to wait when the broker failed or did not acknowledge in time. */
    static final long BROKER_RETRY_AFTER_SECONDS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    IngestReply {
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(bytes, "bytes");
    }

    private IngestReply(int status, String publisher, ObjectNode body) {
        this(status, publisher, Map.of(), write(body));
    }

    /** This answer with one more header. */
    IngestReply with(String header, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(header, value);
        return new IngestReply(status, publisher, h, bytes);
    }

    /** The body read back as a tree: for tests and for anyone who inspects an answer, not for the write. */
    ObjectNode body() {
        try {
            return (ObjectNode) JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read an ingest answer back", e);   // it was written by Jackson
        }
    }

    /** The body as written on the wire: the JSON and a newline, in UTF-8. */
    private static byte[] write(ObjectNode body) {
        try {
            return (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an ingest answer", e);   // a tree of strings and numbers always writes
        }
    }

    /** A new, empty JSON object for a body. */
    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /**
     * The 202 of a request whose events were all acknowledged or known: {@code {"events": [{"index": i (batches only),
     * "id", "source", "status": "accepted" | "duplicate"}], "accepted": n, "duplicates": m}}, written without a tree.
     *
     * @param first for each event, whether this request produced it (else it was a duplicate)
     */
    static IngestReply accepted(String publisher, boolean batch, List<Envelope<?>> events, boolean[] first) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 96 * events.size());
        int accepted = 0;
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (int i = 0; i < events.size(); i++) {
                Envelope<?> e = events.get(i);
                accepted += first[i] ? 1 : 0;
                g.writeStartObject();
                if (batch) {
                    g.writeNumberField("index", i);
                }
                g.writeStringField("id", e.id());
                g.writeStringField("source", e.source().toString());
                g.writeStringField("status", first[i] ? "accepted" : "duplicate");
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("accepted", accepted);
            g.writeNumberField("duplicates", events.size() - accepted);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write an ingest answer", e);   // into memory: it always writes
        }
        out.write('\n');
        return new IngestReply(202, publisher, Map.of(), out.toByteArray());
    }

    /** {@code {"error": error, "message": message}}. */
    static IngestReply error(String publisher, int status, String error, String message) {
        return new IngestReply(status, publisher, object().put("error", error).put("message", message));
    }

    /** 429 {@code saturated} with {@code Retry-After}: the ingest (not the publisher) is at a bound. */
    static IngestReply saturated(String publisher, String message) {
        return error(publisher, 429, "saturated", message).with("Retry-After", Long.toString(SATURATED_RETRY_AFTER_SECONDS));
    }

    /** 413 {@code too_large}, naming every size limit of {@code config}. */
    static IngestReply tooLarge(String publisher, String message, IngestConfig config) {
        return error(publisher, 413, "too_large", message + " (single events: " + config.maxEventBytes() + " bytes; batches: "
                + config.maxBatchBytes() + " bytes and " + config.maxBatchEvents() + " events)");
    }

    /** An error with the list of problems under {@code errors}: each names its batch entry (if any), field and reason. */
    static IngestReply problems(String publisher, int status, String error, String message, List<StructuredEvents.Problem> problems) {
        ObjectNode body = object().put("error", error).put("message", message);
        ArrayNode list = body.putArray("errors");
        for (StructuredEvents.Problem p : problems) {
            ObjectNode o = list.addObject();
            if (p.index() >= 0) {
                o.put("index", p.index());
            }
            o.put("field", p.field()).put("reason", p.reason());
        }
        return new IngestReply(status, publisher, body);
    }
}
