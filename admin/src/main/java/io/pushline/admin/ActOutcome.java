package io.pushline.admin;

import io.pushline.coordinators.Admin;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a retry or discard of a parked coordinator ended ({@link ParkedCoordinators#act}): not parked (nothing sent), sent
 * without waiting, sent and gone from the parked list, or sent and still parked when the wait ran out. Each says what
 * {@code pushline coordinators retry|discard} prints: its output lines, and for the two failures the line on stderr
 * (the admin API answers 409 with it).
 */
public sealed interface ActOutcome {
    /** The lines on stdout, in order. */
    List<String> output();

    /** The line on stderr, for the outcomes that are failures (exit code 1, HTTP 409). */
    Optional<String> error();

    /** Whether the command did what was asked. */
    default boolean succeeded() {
        return error().isEmpty();
    }

    /** The admin API's answer to a success: the output, as one text. */
    default Map<String, Object> toJson() {
        return Map.of("output", String.join(System.lineSeparator(), output()));
    }

    /** The first line of every outcome that sent the command. */
    private static String sentLine(CoordinatorAction action, String id, Admin.Parked target) {
        return String.format("sent %s for %s (%s for %s, parked in %s)", action.label(), id, target.flow(),
                target.recipient(), target.state());
    }

    /** {@code id} is not in the parked list: nothing was sent. */
    record NotParked(CoordinatorAction action, String id) implements ActOutcome {
        @Override
        public List<String> output() {
            return List.of();
        }

        @Override
        public Optional<String> error() {
            return Optional.of(String.format("coordinators %s: %s is not parked (`pushline coordinators list` shows the parked ones)",
                    action.label(), id));
        }
    }

    /** The command was sent ({@code id} as asked for, {@code target} as it was parked), and not waited for ({@code --wait 0}). */
    record Sent(CoordinatorAction action, String id, Admin.Parked target) implements ActOutcome {
        @Override
        public List<String> output() {
            return List.of(sentLine(action, id, target));
        }

        @Override
        public Optional<String> error() {
            return Optional.empty();
        }
    }

    /** The command was sent, and the coordinator has left the parked list. */
    record Left(CoordinatorAction action, String id, Admin.Parked target) implements ActOutcome {
        @Override
        public List<String> output() {
            return List.of(sentLine(action, id, target), String.format("%s: %s is no longer parked", action.done(), id));
        }

        @Override
        public Optional<String> error() {
            return Optional.empty();
        }
    }

    /**
     * The command was sent, but the coordinator was still parked after {@code waited}: the coordinators are not running,
     * or the step failed again and it was parked again.
     */
    record StillParked(CoordinatorAction action, String id, Admin.Parked target, Duration waited) implements ActOutcome {
        @Override
        public List<String> output() {
            return List.of(sentLine(action, id, target));
        }

        @Override
        public Optional<String> error() {
            return Optional.of(String.format("coordinators %s: %s is still parked after %s (are the coordinators running? if the "
                    + "step failed again it was parked again: see `pushline coordinators list`)", action.label(), id, waited));
        }
    }
}
