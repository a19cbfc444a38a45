package io.pushline.coordinators;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The journals this version wrote, checked in under {@code journals/v1/} (made once by {@link JournalFixtureGenerator}
 * with the real engine and flows): the current codec and flows must read every one of them and fold it to the state
 * written next to it. A change that cannot, fails here, not in production on a restored changelog.
 */
class JournalReplayTest {
    private static final String DIR = "/journals/v1/";
    /** Every fixture; a fixture added to the directory but not here fails {@link #everyFixtureInTheDirectoryIsListed}. */
    private static final List<String> FIXTURES = List.of("like-completed", "like-parked-retried-done", "like-parked-timed-out",
            "like-discarded", "unlike-with-undo", "follow-completed", "follow-cancelled",
            // Added with bans and the parked retention: the same kinds and format, other details.
            "like-banned-while-parked", "like-parked-expired");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JournalCodec codec = new JournalCodec(TestFlows.declarations()::get);

    static List<String> fixtures() {
        return FIXTURES;
    }

    private static byte[] read(String name) {
        try (InputStream in = JournalReplayTest.class.getResourceAsStream(DIR + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void aCheckedInJournalFoldsToItsExpectedState(String name) throws IOException {
        Coordinator c = codec.decode(read(name + ".json"));
        JsonNode expected = JSON.readTree(read(name + ".expected.json"));

        assertThat(c.id()).isEqualTo(expected.get("id").asText());
        assertThat(c.flow()).isEqualTo(expected.get("flow").asText());
        assertThat(c.recipient()).isEqualTo(expected.get("recipient").asText());
        assertThat(c.state()).isEqualTo(expected.get("state").asText());
        assertThat(c.journal()).hasSize(expected.get("entries").asInt());
        List<String> completed = new ArrayList<>();
        expected.get("completed").forEach(n -> completed.add(n.asText()));
        assertThat(c.completed()).containsExactlyElementsOf(completed);
        assertThat(c.notes()).isEqualTo(JSON.convertValue(expected.get("notes"), Map.class));
        assertThat(c.parkedFrom()).isEqualTo(textOrNull(expected, "parkedFrom"));
        assertThat(c.parkedReason()).isEqualTo(textOrNull(expected, "parkedReason"));
        assertThat(c.failures()).hasSize(expected.get("failures").asInt());
        assertThat(c.stepSince() == null ? null : c.stepSince().toString()).isEqualTo(textOrNull(expected, "stepSince"));
        assertThat(c.nextAttemptAt() == null ? null : c.nextAttemptAt().toString()).isEqualTo(textOrNull(expected, "nextAttemptAt"));
        // The whole expectation, as the generator writes it: nothing in it went unchecked.
        assertThat(JournalFixtureGenerator.expected(c)).isEqualTo(expected);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void reEncodingADecodedJournalGivesTheSameBytes(String name) {
        byte[] bytes = read(name + ".json");
        assertThat(new String(codec.encode(codec.decode(bytes)), StandardCharsets.UTF_8))
                .isEqualTo(new String(bytes, StandardCharsets.UTF_8));
    }

    @Test
    void theFixturesCoverTheInterestingStates() {
        List<String> states = FIXTURES.stream().map(n -> codec.decode(read(n + ".json")).state()).toList();
        assertThat(states).contains(Flow.DONE, Flow.PARKED, Flow.DISCARDED, Flow.CANCELLED);
        List<JournalEntry.Kind> kinds = FIXTURES.stream().flatMap(n -> codec.decode(read(n + ".json")).journal().stream())
                .map(JournalEntry::kind).distinct().toList();
        assertThat(kinds).containsExactlyInAnyOrder(JournalEntry.Kind.values());
    }

    @Test
    void everyFixtureInTheDirectoryIsListed() throws IOException, URISyntaxException {
        Path dir = Path.of(JournalReplayTest.class.getResource(DIR).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrderElementsOf(FIXTURES.stream()
                            .flatMap(n -> Stream.of(n + ".json", n + ".expected.json")).toList());
        }
    }

    // ---- journals that must not be read

    @Test
    void aJournalWhoseEntryBreaksTheTableFails() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(read("like-completed.json"));
        // Entry 3 (UPDATING_TIMELINE → APPENDING_ACTIVITY) now skips a step.
        ObjectNode third = (ObjectNode) root.get("entries").get(2);
        assertThat(third.get("from").asText()).isEqualTo("UPDATING_TIMELINE");
        third.put("to", "NOTIFYING");
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(root)))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("like: SUCCEEDED from UPDATING_TIMELINE to NOTIFYING is not in the transition table");
    }

    @Test
    void aJournalWithAGapOrAForeignFirstEntryFails() throws IOException {
        ObjectNode gap = (ObjectNode) JSON.readTree(read("follow-completed.json"));
        ((ArrayNode) gap.get("entries")).remove(1);
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(gap)))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("journal entry 3 after 1");

        // A journal that starts with anything but STARTED.
        for (String kind : List.of("CANCELLED", "SUCCEEDED", "PARKED", "RETRIED", "DISCARDED", "FAILED")) {
            ObjectNode root = (ObjectNode) JSON.readTree(read("follow-completed.json"));
            ObjectNode first = (ObjectNode) root.get("entries").get(0);
            first.put("kind", kind);
            assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(root))).as(kind)
                    .isInstanceOf(IllegalTransitionException.class)
                    .hasMessageContaining("is not in the transition table");
        }
    }

    @Test
    void aJournalOfAnUnknownVersionFails() throws IOException {
        for (String version : List.of("2", "0", "-1")) {
            String text = new String(read("like-completed.json"), StandardCharsets.UTF_8).replace("{\"v\":1,", "{\"v\":" + version + ",");
            assertThat(text).doesNotStartWith("{\"v\":1,");
            assertThatThrownBy(() -> codec.decode(text.getBytes(StandardCharsets.UTF_8))).as(version)
                    .isInstanceOf(IllegalArgumentException.class)
                    .isNotInstanceOf(IllegalTransitionException.class)
                    .hasMessage("not a version 1 coordinator journal");
        }
        ObjectNode noVersion = (ObjectNode) JSON.readTree(read("like-completed.json"));
        noVersion.remove("v");
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(noVersion))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aJournalOfAnUnknownFlowFails() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(read("like-completed.json"));
        root.put("flow", "share");
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(root)))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(IllegalTransitionException.class)
                .hasMessage("the journal names an unknown flow 'share'");
    }

    @Test
    void bytesThatAreNoJournalFail() throws IOException {
        assertThatThrownBy(() -> codec.decode("{\"v\":1,".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a coordinator journal");
        assertThatThrownBy(() -> codec.decode("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a version 1 coordinator journal");
        ObjectNode noId = (ObjectNode) JSON.readTree(read("like-completed.json"));
        noId.remove("id");
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(noId)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("coordinator journal: 'id' is missing or not text");
        ObjectNode badKind = (ObjectNode) JSON.readTree(read("like-completed.json"));
        ((ObjectNode) badKind.get("entries").get(1)).put("kind", "EXPLODED");
        assertThatThrownBy(() -> codec.decode(JSON.writeValueAsBytes(badKind))).isInstanceOf(IllegalArgumentException.class);
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
