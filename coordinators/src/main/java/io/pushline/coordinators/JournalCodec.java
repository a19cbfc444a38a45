package io.pushline.coordinators;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A coordinator's journal as stored (the value of the journal store, whose changelog topic is the journal in Kafka):
 * JSON, format version 1, times in epoch milliseconds.
 *
 * <pre>{@code
 * {"v":1,"id":"like:…","flow":"like","recipient":"u1","input":{"actorId":"u2",…},
 *  "entries":[{"seq":1,"kind":"STARTED","to":"SAVING","at":1764633600000}, …]}
 * }</pre>
 *
 * <p>Journals written by this version are checked in as test fixtures ({@code JournalReplayTest}): a change that cannot
 * read them, or folds them to another state, fails the build.
 */
final class JournalCodec {
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<String, Flow> flows;

    public JournalCodec(Function<String, Flow> flows) {
        this.flows = flows;
    }

    public byte[] encode(Coordinator c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("v", VERSION);
        root.put("id", c.id());
        root.put("flow", c.flow());
        root.put("recipient", c.recipient());
        ObjectNode input = root.putObject("input");
        c.input().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> input.put(e.getKey(), e.getValue()));
        ArrayNode entries = root.putArray("entries");
        for (JournalEntry e : c.journal()) {
            ObjectNode n = entries.addObject();
            n.put("seq", e.seq());
            n.put("kind", e.kind().name());
            if (e.from() != null) {
                n.put("from", e.from());
            }
            n.put("to", e.to());
            n.put("at", e.at().toEpochMilli());
            if (e.detail() != null) {
                n.put("detail", e.detail());
            }
            if (e.nextAttemptAt() != null) {
                n.put("next", e.nextAttemptAt().toEpochMilli());
            }
            if (!e.notes().isEmpty()) {
                ObjectNode notes = n.putObject("notes");
                e.notes().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(x -> notes.put(x.getKey(), x.getValue()));
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the journal of " + c.id(), e);
        }
    }

    /**
     * The coordinator the journal folds to.
     *
     * @throws IllegalArgumentException   if the bytes are not a journal of a known version
     * @throws IllegalTransitionException if an entry breaks its flow's transition table
     */
    public Coordinator decode(byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a coordinator journal: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (root == null || !root.isObject() || root.path("v").asInt(-1) != VERSION) {
            throw new IllegalArgumentException("not a version " + VERSION + " coordinator journal");
        }
        String flowName = text(root, "flow");
        Flow flow = flows.apply(flowName);
        if (flow == null) {
            throw new IllegalArgumentException("the journal names an unknown flow '" + flowName + "'");
        }
        Map<String, String> input = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.path("input").fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            input.put(f.getKey(), f.getValue().asText());
        }
        List<JournalEntry> entries = new ArrayList<>();
        for (JsonNode n : root.path("entries")) {
            Map<String, String> notes = new LinkedHashMap<>();
            n.path("notes").fields().forEachRemaining(x -> notes.put(x.getKey(), x.getValue().asText()));
            entries.add(new JournalEntry(n.path("seq").asInt(), JournalEntry.Kind.valueOf(text(n, "kind")),
                    n.hasNonNull("from") ? n.get("from").asText() : null, text(n, "to"),
                    Instant.ofEpochMilli(n.path("at").asLong()), n.hasNonNull("detail") ? n.get("detail").asText() : null,
                    n.hasNonNull("next") ? Instant.ofEpochMilli(n.get("next").asLong()) : null, notes));
        }
        return Coordinator.replay(flow, text(root, "id"), text(root, "recipient"), input, entries);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("coordinator journal: '" + field + "' is missing or not text");
        }
        return v.asText();
    }
}
