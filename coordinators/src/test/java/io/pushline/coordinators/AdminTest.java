package io.pushline.coordinators;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operators' records: parked-coordinator descriptions and retry/discard commands. */
class AdminTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- commands

    @Test
    void commandRoundTrip() throws IOException {
        Admin.Command retry = new Admin.Command("retry", "like:evt-1", "store is back");
        byte[] json = retry.toJson();
        JsonNode tree = JSON.readTree(json);
        assertThat(tree.get("action").asText()).isEqualTo("retry");
        assertThat(tree.get("id").asText()).isEqualTo("like:evt-1");
        assertThat(tree.get("note").asText()).isEqualTo("store is back");
        assertThat(Admin.Command.fromJson(json)).isEqualTo(retry);

        Admin.Command discard = new Admin.Command("discard", "follow:evt-2", null);
        assertThat(discard.note()).isEmpty();
        assertThat(Admin.Command.fromJson(discard.toJson())).isEqualTo(discard);
    }

    @Test
    void commandFromHandWrittenJson() {
        assertThat(Admin.Command.fromJson(utf8("{\"action\":\"discard\",\"id\":\"like:x\"}")))
                .isEqualTo(new Admin.Command("discard", "like:x", ""));
        // Unknown fields are ignored; a note that is not text is read as empty.
        assertThat(Admin.Command.fromJson(utf8("{\"action\":\"retry\",\"id\":\"like:x\",\"note\":{\"a\":1},\"by\":\"ops\"}")))
                .isEqualTo(new Admin.Command("retry", "like:x", ""));
    }

    @Test
    void longNotesAreCut() {
        assertThat(new Admin.Command("retry", "like:x", "n".repeat(1000)).note()).hasSize(300);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not json              | hello there                              | command is not JSON: hello there",
            "truncated json        | {\"action\":\"retry\"                    | command is not JSON: {\"action\":\"retry\"",
            "array                 | [1,2]                                    | command must be an object with text fields action and id",
            "missing id            | {\"action\":\"retry\"}                   | command must be an object with text fields action and id",
            "missing action        | {\"id\":\"like:x\"}                      | command must be an object with text fields action and id",
            "numeric id            | {\"action\":\"retry\",\"id\":42}         | command must be an object with text fields action and id",
            "unknown action        | {\"action\":\"explode\",\"id\":\"like:x\"} | action must be retry or discard, was 'explode'",
            "upper-case action     | {\"action\":\"RETRY\",\"id\":\"like:x\"}   | action must be retry or discard, was 'RETRY'",
            "blank id              | {\"action\":\"retry\",\"id\":\"  \"}     | id must be 1 to 300 characters",
    })
    void badCommandsAreRefusedWithAReason(String what, String json, String message) {
        assertThatThrownBy(() -> Admin.Command.fromJson(utf8(json))).as(what)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void emptyOversizeAndMultiLineCommandsAreRefused() {
        assertThatThrownBy(() -> Admin.Command.fromJson(null)).isInstanceOf(IllegalArgumentException.class).hasMessage("empty command");
        assertThatThrownBy(() -> Admin.Command.fromJson(new byte[0])).isInstanceOf(IllegalArgumentException.class).hasMessage("empty command");
        String big = "{\"action\":\"retry\",\"id\":\"like:x\",\"note\":\"" + "n".repeat(5000) + "\"}";
        assertThatThrownBy(() -> Admin.Command.fromJson(utf8(big))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command larger than 4096 bytes");
        String longId = "{\"action\":\"retry\",\"id\":\"" + "i".repeat(301) + "\"}";
        assertThatThrownBy(() -> Admin.Command.fromJson(utf8(longId))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must be 1 to 300 characters");
        // The message quotes at most 80 bytes of the input, on one line.
        String garbage = "line1\nline2\r" + "x".repeat(200);
        assertThatThrownBy(() -> Admin.Command.fromJson(utf8(garbage))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command is not JSON: line1 line2 " + "x".repeat(68));
    }

    // ---- parked descriptions

    @Test
    void parkedRoundTrip() throws IOException {
        Admin.Parked parked = new Admin.Parked("like:evt-1", "like", "u1", "NOTIFYING", "failed 3 times within PT10M: boom",
                T0, 3, Map.of("actorId", "u2", "postId", "p1"));
        byte[] json = parked.toJson();
        JsonNode tree = JSON.readTree(json);
        assertThat(tree.get("parkedAt").asText()).isEqualTo("2026-03-01T12:00:00Z");
        assertThat(tree.get("failures").asInt()).isEqualTo(3);
        assertThat(tree.get("input").get("postId").asText()).isEqualTo("p1");
        assertThat(Admin.Parked.fromJson(json)).isEqualTo(parked);
    }

    @Test
    void parkedOfARealParkedCoordinator() {
        AtomicBoolean on = new AtomicBoolean(true);
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(JournalFixtureGenerator.failing(Flows.LIKE, "NOTIFYING", on, new RuntimeException("inbox down"))));
        CoordinatorEngine engine = t.engine(new SupervisorPolicy(2, Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofSeconds(1)));
        Coordinator c = engine.start("like:evt-9", Flows.LIKE, "u1", JournalFixtureGenerator.likeInput("evt-9", T0, "u2", "p1", "u1"), T0)
                .coordinator();
        Instant parkedAt = c.nextAttemptAt();
        c = engine.advance(c, parkedAt).coordinator();
        assertThat(c.isParked()).isTrue();

        Admin.Parked parked = Admin.Parked.of(c);
        assertThat(parked).isEqualTo(new Admin.Parked("like:evt-9", "like", "u1", "NOTIFYING",
                "failed 2 times within PT10M: RuntimeException: inbox down", parkedAt, 2, c.input()));
        assertThat(Admin.Parked.fromJson(parked.toJson())).isEqualTo(parked);
    }

    @Test
    void badParkedRecordsAreRefused() {
        for (String bad : new String[] {"nope", "{}", "{\"id\":\"x\",\"parkedAt\":\"yesterday\"}"}) {
            assertThatThrownBy(() -> Admin.Parked.fromJson(utf8(bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a parked-coordinator record: ");
        }
        assertThatThrownBy(() -> Admin.Parked.fromJson(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
