package io.pushline.coordinators;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What a step sees: its coordinator, the clock's reading, and where its effects go. */
public final class StepContext {
    private final Coordinator coordinator;
    private final Instant now;
    private final List<Output> outputs = new ArrayList<>();
    private final Map<String, String> notes = new LinkedHashMap<>();

    StepContext(Coordinator coordinator, Instant now) {
        this.coordinator = coordinator;
        this.now = now;
    }

    /** The coordinator as it was when the step started. */
    public CoordinatorView coordinator() {
        return coordinator;
    }

    /** The coordinator's input, e.g. {@code actorId}; fails loudly if the flow did not start with it. */
    public String input(String name) {
        String value = coordinator.input().get(name);
        if (value == null) {
            throw new IllegalStateException(coordinator.flow() + " coordinator " + coordinator.id() + " has no input " + name);
        }
        return value;
    }

    /** The clock's reading when the step started (the stream's wall clock; a test's clock in tests). */
    public Instant now() {
        return now;
    }

    /**
     * A name-based UUID from the coordinator's id, the step's state and {@code discriminator}: the same step of the same
     * coordinator always makes the same id, so a step redone after a crash is recognisably the same record.
     */
    public String deterministicId(String discriminator) {
        String name = coordinator.id() + '/' + coordinator.state() + '/' + discriminator;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    public void emit(Output output) {
        outputs.add(output);
    }

    /** Something the step decided that a later flow needs (e.g. which notification window it joined); journaled. */
    public void note(String name, String value) {
        notes.put(name, value);
    }

    /** A note a previous step of this coordinator wrote, or null. */
    public String noteOf(String name) {
        return coordinator.notes().get(name);
    }

    List<Output> outputs() {
        return outputs;
    }

    Map<String, String> notes() {
        return notes;
    }
}
