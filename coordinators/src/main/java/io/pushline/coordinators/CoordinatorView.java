package io.pushline.coordinators;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one coordinator, as a {@link Step} sees it through {@link StepContext#coordinator()}: who it is
 * for, what it was started with, where it stands and what its earlier steps noted. Its journal and the transition
 * table it is checked against stay inside this module; only the coordinators' engine moves a coordinator.
 *
 * <p>Immutable: a view never changes under its holder, so it may be read from any thread and kept. The state it shows
 * is the one when it was taken (the start of the step that is running).
 */
public interface CoordinatorView {
    /** Its id, unique on its partition (the flows here use {@code <flow>:<id of the event that started it>}). */
    String id();

    /** The name of its flow ({@code like}, {@code unlike}, {@code follow}). */
    String flow();

    /** Who the flow is for; the coordinator lives on this id's partition. */
    String recipient();

    /** What it was started with (ids only: no tokens, no secrets). */
    Map<String, String> input();

    /** The current state: a step state, {@code PARKED}, or a terminal one ({@code DONE}, {@code CANCELLED}, {@code DISCARDED}). */
    String state();

    /** Whether it is finished ({@code DONE}, {@code CANCELLED} or {@code DISCARDED}): nothing will run for it again. */
    boolean isTerminal();

    /** Whether a supervisor parked it, waiting for an operator's retry or discard. */
    boolean isParked();

    /** The step state a parked coordinator was parked in; null otherwise. */
    String parkedFrom();

    /** Why it was parked; null if it is not parked. */
    String parkedReason();

    /** When the current step was entered (or retried by an operator). */
    Instant stepSince();

    /** When a failed step is tried again; null if it is not waiting. */
    Instant nextAttemptAt();

    /** Failures of the current step since it was entered, oldest first. */
    List<Instant> failures();

    /** The step states that succeeded, in order. */
    List<String> completed();

    /** What the steps noted, merged (a later note of the same name wins). */
    Map<String, String> notes();
}
