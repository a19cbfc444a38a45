package io.pushline.coordinators;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one coordinators task adds to the process's gauges and timers: its unfinished coordinators by flow and state,
 * its parked ones, and the step and flow times of each transition. The counts are kept in the facts store too, so a
 * task restored elsewhere (or restarted) adds back what it had; {@link #close} takes them out again.
 *
 * <p>Not thread-safe: one per task, used from its stream thread.
 */
final class TaskGauges {
    private static final String PARKED_COUNT = "parked-count";
    /** Prefix of the facts keys counting this task's unfinished coordinators by flow and state ({@code active|flow|state}). */
    private static final String ACTIVE_PREFIX = "active|";

    private final KeyValueStore<String, byte[]> facts;
    private final CoordinatorMetrics metrics;
    private long parkedHere;
    /** This task's unfinished coordinators by {@code flow|state}, as stored under {@link #ACTIVE_PREFIX}. */
    private final Map<String, Long> activeHere = new HashMap<>();

    TaskGauges(KeyValueStore<String, byte[]> facts, CoordinatorMetrics metrics) {
        this.facts = facts;
        this.metrics = metrics;
    }

    /** Adds this task's counts, as stored, to the gauges; every state of {@code flows} gets its gauge (at 0 if none). */
    void open(Collection<Flow> flows) {
        byte[] count = facts.get(PARKED_COUNT);
        parkedHere = count == null ? 0 : Long.parseLong(new String(count, StandardCharsets.UTF_8));
        metrics.parked(parkedHere);
        // Every state a coordinator can wait in has its gauge from the start (at 0), so dashboards show 0, not "no data".
        for (Flow flow : flows) {
            for (Flow.StepSpec step : flow.steps()) {
                metrics.active(flow.name(), step.state(), 0);
            }
            metrics.active(flow.name(), Flow.PARKED, 0);
        }
        try (KeyValueIterator<String, byte[]> it = facts.range(ACTIVE_PREFIX, ACTIVE_PREFIX + '~')) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> e = it.next();
                long n = Long.parseLong(new String(e.value, StandardCharsets.UTF_8));
                String flowAndState = e.key.substring(ACTIVE_PREFIX.length());
                activeHere.put(flowAndState, n);
                int bar = flowAndState.indexOf('|');
                metrics.active(flowAndState.substring(0, bar), flowAndState.substring(bar + 1), n);
            }
        }
    }

    /** Takes this task's counts out of the gauges (the task is closing or moving). */
    void close() {
        metrics.parked(-parkedHere);
        activeHere.forEach((flowAndState, n) -> {
            int bar = flowAndState.indexOf('|');
            metrics.active(flowAndState.substring(0, bar), flowAndState.substring(bar + 1), -n);
        });
        activeHere.clear();
    }

    /** Counts a coordinator of {@code flow} out of {@code from} (null: it is new) and into {@code to}. */
    void moved(String flow, String from, String to) {
        countActive(flow, from, -1);
        countActive(flow, to, 1);
    }

    /** Counts {@code delta} coordinators of {@code flow} into or out of {@code state}, if it is one a coordinator waits in. */
    private void countActive(String flow, String state, long delta) {
        if (state == null || Flow.isTerminal(state)) {
            return;
        }
        String key = flow + '|' + state;
        long n = activeHere.getOrDefault(key, 0L) + delta;
        if (n == 0) {
            activeHere.remove(key);
            facts.delete(ACTIVE_PREFIX + key);
        } else {
            activeHere.put(key, n);
            facts.put(ACTIVE_PREFIX + key, Long.toString(n).getBytes(StandardCharsets.UTF_8));
        }
        metrics.active(flow, state, delta);
    }

    void parked(long delta) {
        parkedHere += delta;
        metrics.parked(delta);
        facts.put(PARKED_COUNT, Long.toString(parkedHere).getBytes(StandardCharsets.UTF_8));
    }

    /** Step and whole-flow times of the last {@code appended} entries of {@code c}'s journal, on the journal's clock. */
    void measure(Coordinator c, int appended) {
        List<JournalEntry> j = c.journal();
        Instant stepStart = null;
        for (int i = 0; i < j.size(); i++) {
            JournalEntry e = j.get(i);
            if (i >= j.size() - appended && stepStart != null) {
                switch (e.kind()) {
                    case SUCCEEDED -> metrics.step(c.flow(), e.from(), "succeeded", Duration.between(stepStart, e.at()));
                    case PARKED -> metrics.step(c.flow(), e.from(), "parked", Duration.between(stepStart, e.at()));
                    default -> {
                    }
                }
            }
            if (e.kind() == JournalEntry.Kind.STARTED || e.kind() == JournalEntry.Kind.SUCCEEDED || e.kind() == JournalEntry.Kind.RETRIED) {
                stepStart = e.at();
            }
        }
        if (c.isTerminal() && appended > 0) {
            metrics.finished(c.flow(), c.state(), Duration.between(j.get(0).at(), j.get(j.size() - 1).at()));
        }
    }
}
