package io.pushline.coordinators;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Topics;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hosts the coordinators of one partition. Its inputs are co-partitioned by the flow's recipient: likes straight from
 * the events topic (keyed by the post's owner), follows re-keyed by the followee through the intake topic, the
 * recipients' devices, and operators' commands. Which event starts, cancels or is skipped by which coordinator is
 * {@link IntakePolicy}'s decision; what a coordinator does next is {@link CoordinatorEngine}'s. This class only reads
 * and writes: it decodes, hands the decisions their inputs, and carries out what they return.
 *
 * <p>Journal first: every transition the engine makes is put into the journal store (whose changelog topic is the
 * journal in Kafka) in the same Kafka transaction (exactly-once v2) as the records the step wrote and the input's
 * offset. A crash before the commit aborts all three, and the step is run again from the journal restored from the
 * changelog; a read_committed consumer therefore sees each step's records once. Waiting coordinators (a retry after
 * backoff, a step timeout) and the clean-up of finished journals are kept in a schedule store ordered by time and run
 * by a wall-clock punctuator.
 */
final class CoordinatorProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String JOURNAL_STORE = "coordinator-journal";
    static final String SCHEDULE_STORE = "coordinator-schedule";
    private static final Logger log = LoggerFactory.getLogger(CoordinatorProcessor.class);
    private static final String PARKED_COUNT = "parked-count";
    /** Prefix of the facts keys counting this task's unfinished coordinators by flow and state ({@code active|flow|state}). */
    private static final String ACTIVE_PREFIX = "active|";
    private static final int MAX_DUE_PER_TICK = 1_000;

    private final CloudEventCodec codec;
    private final CoordinatorConfig config;
    private final CoordinatorMetrics metrics;
    private final Duration journalRetention;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> journal;
    private KeyValueStore<String, byte[]> schedule;
    private Wakeup wakeup;
    private KeyValueStore<String, byte[]> facts;
    private Facts view;
    private Flows flows;
    private CoordinatorEngine engine;
    private JournalCodec journalCodec;
    private final IntakePolicy intake = new IntakePolicy();
    private IntakePolicy.Memory memory;
    private long parkedHere;
    /** This task's unfinished coordinators by {@code flow|state}, as stored under {@link #ACTIVE_PREFIX}. */
    private final Map<String, Long> activeHere = new HashMap<>();

    CoordinatorProcessor(CloudEventCodec codec, CoordinatorConfig config, CoordinatorMetrics metrics) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
        // A finished journal is kept as long as a later unlike may still need what it noted (its notification window).
        this.journalRetention = config.notificationWindow().plusMinutes(5);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.journal = context.getStateStore(JOURNAL_STORE);
        this.schedule = context.getStateStore(SCHEDULE_STORE);
        this.facts = context.getStateStore(Facts.STORE);
        this.view = new Facts(facts, context.getStateStore(Facts.DEVICES_STORE));
        this.flows = new Flows(view, config);
        this.engine = new CoordinatorEngine(flows::get, config.supervisor());
        this.journalCodec = new JournalCodec(flows::get);
        this.memory = new IntakePolicy.Memory() {
            @Override
            public Facts.Decision decision(String kind, String actor, String object) {
                return view.decision(kind, actor, object);
            }

            @Override
            public Coordinator coordinator(String id) {
                return load(id);
            }
        };
        byte[] count = facts.get(PARKED_COUNT);
        parkedHere = count == null ? 0 : Long.parseLong(new String(count, StandardCharsets.UTF_8));
        metrics.parked(parkedHere);
        // Every state a coordinator can wait in has its gauge from the start (at 0), so dashboards show 0, not "no data".
        for (Flow flow : flows.declarations()) {
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
        // Armed for the earliest entry of the schedule only, never ticking while nothing is due (see Wakeup).
        wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, config.tick(), this::runDue);
        wakeAtFirstDue();
    }

    @Override
    public void close() {
        wakeup.disarm();
        metrics.parked(-parkedHere);
        activeHere.forEach((flowAndState, n) -> {
            int bar = flowAndState.indexOf('|');
            metrics.active(flowAndState.substring(0, bar), flowAndState.substring(bar + 1), -n);
        });
        activeHere.clear();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        switch (origin.topic()) {
            case Topics.EVENTS -> onEvent(record);
            case Topics.COORDINATOR_INTAKE -> onIntake(record);
            case Topics.STATE_DEVICES -> onDevice(record);
            case Topics.COORDINATOR_COMMANDS -> onCommand(record, origin);
            default -> throw new IllegalStateException("coordinators are not wired to " + origin.topic());
        }
    }

    private Instant now() {
        return Instant.ofEpochMilli(context.currentSystemTimeMs());
    }

    // ---- inputs

    private void onEvent(Record<byte[], byte[]> record) {
        EventType type = typeOf(record.headers());
        if (type == null) {
            return;
        }
        switch (IntakePolicy.route(type)) {
            case DECIDE -> {
                Envelope<?> e = decode(record);
                if (e != null) {
                    carryOut(intake.onEvent(e, memory));
                }
            }
            case REKEY_BY_FOLLOWEE -> {
                Envelope<?> e = decode(record);
                String followee = e == null ? null : IntakePolicy.followee(e.data());
                if (followee != null) {
                    context.forward(new Record<>(followee.getBytes(StandardCharsets.UTF_8), record.value(), record.timestamp(),
                            new RecordHeaders(record.headers().toArray())), CoordinatorTopology.INTAKE_SINK);
                }
            }
            case IGNORE -> {
            }
        }
    }

    private void onIntake(Record<byte[], byte[]> record) {
        Envelope<?> e = decode(record);
        if (e != null) {
            carryOut(intake.onIntake(e, memory));
        }
    }

    /** Only the types a flow handles are decoded; the router dead-letters bad events, so they are only counted here. */
    private static EventType typeOf(Headers headers) {
        Header h = headers == null ? null : headers.lastHeader("ce_type");
        if (h == null || h.value() == null) {
            return null;
        }
        return EventType.fromCeType(new String(h.value(), StandardCharsets.UTF_8)).orElse(null);
    }

    private Envelope<?> decode(Record<byte[], byte[]> record) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Ok ok) {
            return ok.envelope();
        }
        metrics.skipped("any", "invalid");
        return null;
    }

    /** Carries out what the intake decided: cancel, remember, start, each journaled in this input's transaction. */
    private void carryOut(IntakePolicy.Plan plan) {
        if (plan instanceof IntakePolicy.Skip skip) {
            remember(skip.remember());
            metrics.skipped(skip.flow(), skip.reason());
        } else if (plan instanceof IntakePolicy.Act act) {
            if (act.cancel() != null) {
                Coordinator c = act.cancel().coordinator();
                persist(c, engine.cancel(c, act.cancel().reason(), now()));
            }
            remember(act.remember());
            IntakePolicy.Start start = act.start();
            if (start != null) {
                metrics.started(start.flow());
                persist(null, engine.start(start.id(), start.flow(), start.recipient(), start.input(), now()));
            }
        }
    }

    private void remember(IntakePolicy.Remember r) {
        if (r != null) {
            view.decide(r.kind(), r.actor(), r.object(), r.decision());
        }
    }

    private void onDevice(Record<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        String key = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            view.deleteDevice(key);
            return;
        }
        Envelope<?> e = decode(record);
        if (e != null && e.data() instanceof DeviceRegistered device) {
            view.putDevice(key, new Facts.Device(device.platform(), device.appId()));
        }
    }

    private void onCommand(Record<byte[], byte[]> record, RecordMetadata origin) {
        Admin.Command command;
        try {
            command = Admin.Command.fromJson(record.value());
        } catch (IllegalArgumentException bad) {
            metrics.command("unknown", "invalid");
            deadLetter(record, origin, DeadLetterReason.SCHEMA_VIOLATION, bad.getMessage());
            return;
        }
        Coordinator c;
        try {
            c = load(command.id());
        } catch (RuntimeException unreadable) {
            metrics.command(command.action(), "invalid");
            deadLetter(record, origin, DeadLetterReason.PROCESSING_FAILED, "journal of " + command.id() + " unreadable: " + unreadable);
            return;
        }
        if (c == null) {
            metrics.command(command.action(), "unknown");
            log.warn("operator command {} for coordinator {}: no such coordinator on partition {} (finished and cleaned up, "
                    + "or the command's key is not its recipient)", command.action(), command.id(), origin.partition());
            return;
        }
        if (!c.isParked()) {
            metrics.command(command.action(), "not-parked");
            log.warn("operator command {} for coordinator {}: it is {}, not parked; ignored", command.action(), c.id(), c.state());
            return;
        }
        Instant now = now();
        String note = "operator: " + command.note();
        CoordinatorEngine.Advance done = "retry".equals(command.action()) ? engine.retry(c, note, now) : engine.discard(c, note, now);
        persist(c, done);
        metrics.command(command.action(), "done");
        log.info("operator {} coordinator {} ({}): now {}", command.action(), c.id(), c.flow(), done.coordinator().state());
    }

    private void deadLetter(Record<byte[], byte[]> record, RecordMetadata origin, DeadLetterReason reason, String detail) {
        RecordHeaders headers = record.headers() == null ? new RecordHeaders() : new RecordHeaders(record.headers().toArray());
        DeadLetters.addTo(headers, reason, detail, origin.topic(), origin.partition(), origin.offset(), now());
        metrics.deadLettered(reason.name());
        log.atWarn().addKeyValue(DeadLetters.LOG_EVENT_ID, DeadLetters.eventId(record.headers()))
                .log("dead-lettered {}-{}@{}: {} ({})", origin.topic(), origin.partition(), origin.offset(), reason, detail);
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), CoordinatorTopology.DEAD_LETTER_SINK);
    }

    // ---- journal, outputs and schedule

    private Coordinator load(String id) {
        if (id == null) {
            return null;
        }
        byte[] bytes = journal.get(id);
        return bytes == null ? null : journalCodec.decode(bytes);
    }

    /** Journals what the engine did, then publishes its records; schedules what waits. Same transaction for all. */
    private void persist(Coordinator before, CoordinatorEngine.Advance advance) {
        if (!advance.changed()) {
            scheduleWake(advance);
            return;
        }
        Coordinator c = advance.coordinator();
        journal.put(c.id(), journalCodec.encode(c));
        for (JournalEntry e : advance.appended()) {
            metrics.transition(c.flow(), e.kind());
        }
        measure(c, advance.appended().size());
        String beforeState = before == null ? null : before.state();
        if (!Objects.equals(beforeState, c.state())) {
            countActive(c.flow(), beforeState, -1);
            countActive(c.flow(), c.state(), 1);
        }
        long timestamp = context.currentSystemTimeMs();
        for (Output out : advance.outputs()) {
            forward(out, timestamp);
        }
        boolean wasParked = before != null && before.isParked();
        if (c.isParked() && advance.parked()) {
            // Parked by this call: newly, or again at once after an operator's retry (then the record is replaced with
            // the new reason and time, and the count does not change).
            if (!wasParked) {
                countParked(1);
            }
            context.forward(new Record<>(c.id().getBytes(StandardCharsets.UTF_8), Admin.Parked.of(c).toJson(), timestamp),
                    CoordinatorTopology.PARKED_SINK);
            log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, c.id().substring(c.id().indexOf(':') + 1))
                    .log("parked coordinator {} ({} for {}) in {}: {}", c.id(), c.flow(), c.recipient(), c.parkedFrom(), c.parkedReason());
        } else if (!c.isParked() && wasParked) {
            countParked(-1);
            context.forward(new Record<>(c.id().getBytes(StandardCharsets.UTF_8), (byte[]) null, timestamp),
                    CoordinatorTopology.PARKED_SINK);
        }
        scheduleWake(advance);
        if (c.isTerminal()) {
            scheduleAt(Instant.ofEpochMilli(timestamp).plus(journalRetention), c.id());
        }
    }

    private void scheduleWake(CoordinatorEngine.Advance advance) {
        if (advance.wakeAt() != null) {
            scheduleAt(advance.wakeAt(), advance.coordinator().id());
        }
    }

    private void scheduleAt(Instant at, String id) {
        schedule.put(scheduleKey(at, id), new byte[0]);
        wakeup.at(at.toEpochMilli());
    }

    /** Arms the wake-up for the schedule's earliest entry, if there is one. */
    private void wakeAtFirstDue() {
        try (KeyValueIterator<String, byte[]> it = schedule.range(scheduleKey(Instant.EPOCH, ""), SCHEDULE_END)) {
            if (it.hasNext()) {
                String key = it.next().key;
                wakeup.at(Long.parseLong(key, 0, key.indexOf('|'), 10));
            }
        }
    }

    /** Step and whole-flow times of the last {@code appended} entries of {@code c}'s journal, on the journal's clock. */
    private void measure(Coordinator c, int appended) {
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

    private void countParked(long delta) {
        parkedHere += delta;
        metrics.parked(delta);
        facts.put(PARKED_COUNT, Long.toString(parkedHere).getBytes(StandardCharsets.UTF_8));
    }

    private void forward(Output out, long timestamp) {
        byte[] key = out.key().getBytes(StandardCharsets.UTF_8);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = out.event() == null ? null : codec.encode(out.event(), headers);
        context.forward(new Record<>(key, value, timestamp, headers), CoordinatorTopology.sinkFor(out.topic()));
    }

    /** After every schedule key: '~' sorts after the digits. */
    private static final String SCHEDULE_END = "~";

    static String scheduleKey(Instant at, String id) {
        return String.format("%013d|%s", Math.max(0, at.toEpochMilli()), id);
    }

    /**
     * Runs what is due: retries whose backoff has passed, steps whose timeout has passed (the engine parks those), and
     * finished journals past their retention (deleted). An entry may be stale (the coordinator moved on since): the
     * engine then does nothing, or schedules it again.
     */
    private void runDue(long wallClockMs) {
        Instant now = Instant.ofEpochMilli(wallClockMs);
        List<KeyValue<String, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = schedule.range(scheduleKey(Instant.EPOCH, ""), scheduleKey(now, "~"))) {
            while (it.hasNext() && due.size() < MAX_DUE_PER_TICK) {
                due.add(it.next());
            }
        }
        for (KeyValue<String, byte[]> entry : due) {
            schedule.delete(entry.key);
            String id = entry.key.substring(entry.key.indexOf('|') + 1);
            Coordinator c;
            try {
                c = load(id);
            } catch (RuntimeException unreadable) {
                log.error("journal of coordinator {} is unreadable; left in place for inspection: {}", id, unreadable.toString());
                continue;
            }
            if (c == null) {
                continue;
            }
            if (c.isTerminal()) {
                Instant finished = c.journal().get(c.journal().size() - 1).at();
                if (!now.isBefore(finished.plus(journalRetention))) {
                    journal.delete(id);
                } else {
                    scheduleAt(finished.plus(journalRetention), id);
                }
                continue;
            }
            persist(c, engine.advance(c, now));
        }
        wakeAtFirstDue();   // what is left: later entries, or more due ones than one wake-up runs
    }
}
