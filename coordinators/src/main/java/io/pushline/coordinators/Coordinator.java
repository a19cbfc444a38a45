package io.pushline.coordinators;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One coordinator: its identity, its input, and its journal; everything else is derived by folding the journal, and
 * every entry is checked against the flow's transition table as it is folded. Immutable: {@link #apply} returns a new
 * one. Outside this package it is seen as a {@link CoordinatorView}, without its journal.
 */
final class Coordinator implements CoordinatorView {
    private final String id;
    private final String flow;
    private final String recipient;
    private final Map<String, String> input;
    private final List<JournalEntry> journal;
    // Derived from the journal.
    private final String state;
    private final String parkedFrom;
    private final String parkedReason;
    private final Instant stepSince;
    private final Instant nextAttemptAt;
    private final List<Instant> failures;
    private final List<String> completed;
    private final Map<String, String> notes;

    private Coordinator(String id, String flow, String recipient, Map<String, String> input, List<JournalEntry> journal,
                        String state, String parkedFrom, String parkedReason, Instant stepSince, Instant nextAttemptAt,
                        List<Instant> failures, List<String> completed, Map<String, String> notes) {
        this.id = id;
        this.flow = flow;
        this.recipient = recipient;
        this.input = input;
        this.journal = journal;
        this.state = state;
        this.parkedFrom = parkedFrom;
        this.parkedReason = parkedReason;
        this.stepSince = stepSince;
        this.nextAttemptAt = nextAttemptAt;
        this.failures = failures;
        this.completed = completed;
        this.notes = notes;
    }

    /** A coordinator with an empty journal: append {@link JournalEntry.Kind#STARTED} first. */
    static Coordinator blank(String id, Flow flow, String recipient, Map<String, String> input) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(recipient, "recipient");
        return new Coordinator(id, flow.name(), recipient, Map.copyOf(input), List.of(), null, null, null, null, null,
                List.of(), List.of(), Map.of());
    }

    /** Folds {@code entries} onto a blank coordinator, checking each against {@code flow}. */
    static Coordinator replay(Flow flow, String id, String recipient, Map<String, String> input, List<JournalEntry> entries) {
        Coordinator c = blank(id, flow, recipient, input);
        for (JournalEntry e : entries) {
            c = c.apply(flow, e);
        }
        return c;
    }

    /**
     * This coordinator after {@code entry}.
     *
     * @throws IllegalTransitionException if the entry is out of sequence or not in the flow's table
     */
    Coordinator apply(Flow flow, JournalEntry entry) {
        if (!flow.name().equals(this.flow)) {
            throw new IllegalTransitionException("coordinator " + id + " is a " + this.flow + ", not a " + flow.name());
        }
        if (entry.seq() != journal.size() + 1) {
            throw new IllegalTransitionException("coordinator " + id + ": journal entry " + entry.seq() + " after " + journal.size());
        }
        if (!Objects.equals(entry.from(), state)) {
            throw new IllegalTransitionException("coordinator " + id + " is in " + state + ", but the entry moves from " + entry.from());
        }
        if (state != null && Flow.isTerminal(state)) {
            throw new IllegalTransitionException("coordinator " + id + " is " + state + " and cannot move to " + entry.to());
        }
        flow.check(entry.kind(), entry.from(), entry.to(), parkedFrom);

        List<JournalEntry> j = new ArrayList<>(journal);
        j.add(entry);
        String nextParkedFrom = parkedFrom;
        String nextReason = parkedReason;
        Instant since = stepSince;
        Instant next = null;
        List<Instant> fails = failures;
        List<String> done = completed;
        Map<String, String> n = notes;
        switch (entry.kind()) {
            case STARTED -> {
                since = entry.at();
                fails = List.of();
            }
            case SUCCEEDED -> {
                since = entry.at();
                fails = List.of();
                done = append(completed, entry.from());
                if (!entry.notes().isEmpty()) {
                    Map<String, String> merged = new LinkedHashMap<>(notes);
                    merged.putAll(entry.notes());
                    n = Collections.unmodifiableMap(merged);
                }
            }
            case FAILED -> {
                fails = append(failures, entry.at());
                next = entry.nextAttemptAt();
            }
            case PARKED -> {
                nextParkedFrom = entry.from();
                nextReason = entry.detail();
                fails = append(failures, entry.at());
            }
            case RETRIED -> {
                // An operator's retry: the step starts over, with a fresh failure budget and timeout.
                nextParkedFrom = null;
                nextReason = null;
                since = entry.at();
                fails = List.of();
            }
            case DISCARDED, CANCELLED -> {
            }
        }
        return new Coordinator(id, this.flow, recipient, input, Collections.unmodifiableList(j), entry.to(), nextParkedFrom,
                nextReason, since, next, fails, done, n);
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return Collections.unmodifiableList(copy);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String flow() {
        return flow;
    }

    /** Who the flow is for; the coordinator lives on this id's partition. */
    @Override
    public String recipient() {
        return recipient;
    }

    @Override
    public Map<String, String> input() {
        return input;
    }

    List<JournalEntry> journal() {
        return journal;
    }

    /** The current state; null before {@link JournalEntry.Kind#STARTED}. */
    @Override
    public String state() {
        return state;
    }

    @Override
    public boolean isTerminal() {
        return state != null && Flow.isTerminal(state);
    }

    @Override
    public boolean isParked() {
        return Flow.PARKED.equals(state);
    }

    /** The step state a parked coordinator was parked in; null otherwise. */
    @Override
    public String parkedFrom() {
        return parkedFrom;
    }

    @Override
    public String parkedReason() {
        return parkedReason;
    }

    /** When the current step was entered (or retried by an operator). */
    @Override
    public Instant stepSince() {
        return stepSince;
    }

    /** When a failed step is tried again; null if it is not waiting. */
    @Override
    public Instant nextAttemptAt() {
        return nextAttemptAt;
    }

    /** Failures of the current step since it was entered. */
    @Override
    public List<Instant> failures() {
        return failures;
    }

    /** Failures of the current step within {@code window} before {@code now}. */
    int failuresWithin(Duration window, Instant now) {
        Instant from = now.minus(window);
        return (int) failures.stream().filter(t -> t.isAfter(from)).count();
    }

    /** The step states that succeeded, in order. */
    @Override
    public List<String> completed() {
        return completed;
    }

    /** What the steps noted, merged. */
    @Override
    public Map<String, String> notes() {
        return notes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Coordinator c && id.equals(c.id) && flow.equals(c.flow) && recipient.equals(c.recipient)
                && input.equals(c.input) && journal.equals(c.journal);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, flow, journal.size());
    }

    @Override
    public String toString() {
        return "Coordinator[" + flow + " " + id + " for " + recipient + ": " + state
                + (parkedFrom == null ? "" : " (parked in " + parkedFrom + ": " + parkedReason + ")")
                + ", " + journal.size() + " journal entries]";
    }
}
