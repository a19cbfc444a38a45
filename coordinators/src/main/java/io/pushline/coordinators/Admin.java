package io.pushline.coordinators;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The records operators see and send: a parked coordinator's description on {@code pushline.coordinators.parked}
 * (compacted; tombstoned once it is retried, discarded or cancelled), and the commands on
 * {@code pushline.coordinators.commands} that retry or discard one. Both are small JSON documents.
 */
public final class Admin {
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Set<String> ACTIONS = Set.of("retry", "discard");

    private Admin() {
    }

    /**
     * A parked coordinator.
     *
     * @param id        its id
     * @param flow      its flow
     * @param recipient who it is for (its partition key)
     * @param state     the step it was parked in
     * @param reason    why
     * @param parkedAt  when
     * @param failures  failures of that step before it was parked
     * @param input     what it was started with (ids only: no tokens, no secrets)
     */
    public record Parked(String id, String flow, String recipient, String state, String reason, Instant parkedAt, int failures,
                         Map<String, String> input) {
        static Parked of(Coordinator c) {
            JournalEntry last = c.journal().get(c.journal().size() - 1);
            return new Parked(c.id(), c.flow(), c.recipient(), c.parkedFrom(), c.parkedReason(), last.at(), c.failures().size(),
                    c.input());
        }

        public byte[] toJson() {
            try {
                return JSON.writeValueAsBytes(Map.of("id", id, "flow", flow, "recipient", recipient, "state", state,
                        "reason", reason == null ? "" : reason, "parkedAt", parkedAt.toString(), "failures", failures, "input", input));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        public static Parked fromJson(byte[] bytes) {
            try {
                JsonNode n = JSON.readTree(bytes);
                @SuppressWarnings("unchecked")
                Map<String, String> input = JSON.convertValue(n.path("input"), Map.class);
                return new Parked(n.path("id").asText(), n.path("flow").asText(), n.path("recipient").asText(),
                        n.path("state").asText(), n.path("reason").asText(), Instant.parse(n.path("parkedAt").asText()),
                        n.path("failures").asInt(), input == null ? Map.of() : input);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("not a parked-coordinator record: " + e.getMessage(), e);
            }
        }
    }

    /**
     * An operator's command.
     *
     * @param action {@code retry} or {@code discard}
     * @param id     the coordinator's id
     * @param note   why (journaled with the transition)
     */
    public record Command(String action, String id, String note) {
        public Command {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(id, "id");
            if (!ACTIONS.contains(action)) {
                throw new IllegalArgumentException("action must be retry or discard, was '" + action + "'");
            }
            if (id.isBlank() || id.length() > 300) {
                throw new IllegalArgumentException("id must be 1 to 300 characters");
            }
            note = note == null ? "" : note.length() > 300 ? note.substring(0, 300) : note;
        }

        public byte[] toJson() {
            try {
                return JSON.writeValueAsBytes(Map.of("action", action, "id", id, "note", note));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * @throws IllegalArgumentException naming what is wrong, for bad input
         */
        public static Command fromJson(byte[] bytes) {
            if (bytes == null || bytes.length == 0) {
                throw new IllegalArgumentException("empty command");
            }
            if (bytes.length > 4096) {
                throw new IllegalArgumentException("command larger than 4096 bytes");
            }
            JsonNode n;
            try {
                n = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new IllegalArgumentException("command is not JSON: " + new String(bytes, 0, Math.min(bytes.length, 80),
                        StandardCharsets.UTF_8).replaceAll("[\\r\\n]", " "));
            }
            if (n == null || !n.isObject() || !n.path("action").isTextual() || !n.path("id").isTextual()) {
                throw new IllegalArgumentException("command must be an object with text fields action and id");
            }
            return new Command(n.get("action").asText(), n.get("id").asText(), n.path("note").asText(""));
        }
    }
}
