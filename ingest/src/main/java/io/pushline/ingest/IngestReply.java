package io.pushline.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One answer of the ingest, whatever decided it (the transport or the publish path): its HTTP status, the publisher to
 * count it for ({@link #UNKNOWN_PUBLISHER} before authentication), the headers it adds to the ones every answer carries
 * ({@code Content-Type: application/json}, {@code Cache-Control: no-store}, {@code Content-Length}) and its JSON body.
 * No token and no payload value ever goes into one.
 *
 * <p>Immutable apart from the body tree, which nobody changes once the record is made.
 */
record IngestReply(int status, String publisher, Map<String, String> headers, ObjectNode body) {
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
        Objects.requireNonNull(body, "body");
    }

    /** This answer with one more header. */
    IngestReply with(String header, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(header, value);
        return new IngestReply(status, publisher, h, body);
    }

    /** The body as written on the wire: the JSON and a newline, in UTF-8. */
    byte[] bytes() {
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

    /** {@code {"error": error, "message": message}}. */
    static IngestReply error(String publisher, int status, String error, String message) {
        return new IngestReply(status, publisher, Map.of(), object().put("error", error).put("message", message));
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
        return new IngestReply(status, publisher, Map.of(), body);
    }
}
