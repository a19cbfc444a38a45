package io.pushline.coordinators;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Topics;
import io.pushline.contracts.UserPreferencesUpdated;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hosts the coordinators of one partition. Its inputs are co-partitioned by the flow's recipient: likes straight from
 * the events topic (keyed by the post's owner), follows re-keyed by the followee through the intake topic, bans
 * re-published to every partition of the intake topic, the recipients' devices and delivery preferences, and operators'
 * commands. Which event
 * starts, cancels or is skipped by which coordinator is {@link IntakePolicy}'s decision; what a coordinator does next
 * is {@link CoordinatorEngine}'s. This class only reads and writes: it decodes, hands the decisions their inputs, and
 * carries out what they return.
 *
 * <p>Journal first: every transition the engine makes is put into the journal store (whose changelog topic is the
 * journal in Kafka) in the same Kafka transaction (exactly-once v2) as the records the step wrote and the input's
 * offset. A crash before the commit aborts all three, and the step is run again from the journal restored from the
 * changelog; a read_committed consumer therefore sees each step's records once. Push tasks are the exception when an
 * {@link EarlyHighLane} is given (as in the pipeline): they are written at once, after the journal entry is put, and
 * the transaction commits only once they are acknowledged; a step run again writes them again with the same ids. What is due at a time (a retry after
 * backoff, a step timeout, the clean-up of a finished journal, a parked coordinator's retention, the expiry of a
 * window or a decision, a like digest's push, pushes held for quiet hours coming due) is kept in a schedule store
 * ordered by time and run by a one-shot wake-up ({@link Wakeup}) armed for the earliest entry: never a periodic scan.
 *
 * <p>Bans: how fresh the check is. A ban reaches this task when the task that read it from the events topic (the
 * banned profile's partition) has committed its re-publication and this task has read it from the intake topic:
 * typically one commit interval plus a poll, tens of milliseconds. From then on, a like or follow by or for the profile
 * starts nothing, the coordinators indexed as running about it are cancelled, and the engine asks {@link #stopReason}
 * right before every step, so right before a push step emits its push tasks. A like processed here before the ban
 * reached this task may still push: the events topic orders nothing across partitions. The workers' check of the
 * banned profiles at send time is the last line for those.
 */
final class CoordinatorProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String JOURNAL_STORE = "coordinator-journal";
    static final String SCHEDULE_STORE = "coordinator-schedule";
    private static final Logger log = LoggerFactory.getLogger(CoordinatorProcessor.class);
    private static final int MAX_DUE_PER_TICK = 1_000;

    private final CloudEventCodec codec;
    private final CoordinatorConfig config;
    private final CoordinatorMetrics metrics;
    /** Where push tasks go at once instead of through the transaction's sink; null: through the sink. */
    private final EarlyHighLane early;
    /** How long a finished journal, a window and a history decision are kept: the notification window and a grace. */
    private final Duration retention;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> journal;
    private Schedule schedule;
    private Wakeup wakeup;
    private Facts view;
    private Bans bans;
    private DeliveryPolicy delivery;
    private Flows flows;
    private CoordinatorEngine engine;
    private JournalCodec journalCodec;
    private final IntakePolicy intake = new IntakePolicy();
    private IntakePolicy.Memory memory;
    private TaskGauges gauges;
    /** Null once this task's state has been scanned for entries without an expiry. */
    private UpgradeScan upgradeScan;

    CoordinatorProcessor(CloudEventCodec codec, CoordinatorConfig config, CoordinatorMetrics metrics, EarlyHighLane early) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
        this.early = early;
        // A finished journal is kept as long as a later unlike may still need what it noted (its notification window).
        this.retention = config.historyRetention();
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.journal = context.getStateStore(JOURNAL_STORE);
        this.schedule = new Schedule(context.getStateStore(SCHEDULE_STORE));
        KeyValueStore<String, byte[]> facts = context.getStateStore(Facts.STORE);
        this.view = new Facts(facts, context.getStateStore(Facts.DEVICES_STORE), schedule::housekeepingAt, schedule::at);
        this.bans = new Bans(context.getStateStore(Bans.STORE));
        this.delivery = new DeliveryPolicy(context.getStateStore(DeliveryPolicy.PREFERENCES_STORE),
                context.getStateStore(DeliveryPolicy.HELD_STORE), schedule::at, config.quietHoursPassThrough());
        this.flows = new Flows(view, delivery, config);
        this.engine = new CoordinatorEngine(flows::get, config.supervisor(), bans::stopReason);
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

            @Override
            public boolean banned(String profileId) {
                return bans.banned(profileId);
            }
        };
        this.gauges = new TaskGauges(facts, metrics);
        gauges.open(flows.declarations());
        // Armed for the earliest entry of the schedule only, never ticking while nothing is due (see Wakeup).
        wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, config.tick(), this::runDue);
        schedule.wakeWith(wakeup);
        UpgradeScan scan = new UpgradeScan(journal, facts, journalCodec, view, retention, this::unfinishedBeforeUpgrade);
        if (scan.pending()) {
            upgradeScan = scan;
            wakeup.soon();
        }
        schedule.wakeAtFirstDue();
    }

    @Override
    public void close() {
        wakeup.disarm();
        gauges.close();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context.recordMetadata().orElseThrow();
        switch (origin.topic()) {
            case Topics.EVENTS -> onEvent(record);
            case Topics.COORDINATOR_INTAKE -> onIntake(record);
            case Topics.STATE_DEVICES -> onDevice(record);
            case Topics.STATE_PREFERENCES -> onPreferences(record);
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
            // Decoded (and so checked) only where it comes back, on every partition; keyed by the banned profile.
            case BROADCAST -> context.forward(new Record<>(record.key(), record.value(), record.timestamp(),
                    new RecordHeaders(record.headers().toArray())), CoordinatorTopology.BROADCAST_SINK);
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
        } else if (plan instanceof IntakePolicy.Ban ban) {
            ban(ban);
        }
    }

    /**
     * Remembers a decision. A removal (an unlike or unfollow) and every follow decision are history: they guard against
     * redelivered and reordered events, and expire with the notification window. A like that stands is live state: an
     * unlike must find it whenever it comes.
     */
    private void remember(IntakePolicy.Remember r) {
        if (r != null) {
            boolean history = !r.decision().active() || IntakePolicy.FOLLOW.equals(r.kind());
            view.decide(r.kind(), r.actor(), r.object(), r.decision(), now(), history ? retention : null);
        }
    }

    /** Remembers the ban and cancels every coordinator indexed as running about the profile, as actor or recipient. */
    private void ban(IntakePolicy.Ban ban) {
        Instant now = now();
        boolean fresh = bans.ban(ban.profileId(), ban.eventId(), now);
        int cancelled = 0;
        for (String id : view.runningAbout(ban.profileId())) {
            Coordinator c;
            try {
                c = load(id);
            } catch (RuntimeException unreadable) {
                log.error("journal of coordinator {} is unreadable; not cancelled by the ban of {}: {}", id, ban.profileId(),
                        unreadable.toString());
                continue;
            }
            if (c == null || c.isTerminal()) {
                view.running(ban.profileId(), id, false); // left by a journal deleted by hand
                continue;
            }
            if (engine.flow(c.flow()).canCancel(c.state(), c.parkedFrom())) {
                String role = ban.profileId().equals(Flows.actor(c)) ? "actor" : "recipient";
                persist(c, engine.cancel(c, Bans.REASON + "profile " + ban.profileId() + " (" + role + "), by " + ban.eventId(), now));
                cancelled++;
            }
        }
        log.info("profile {} banned by {} ({}): {} running coordinators cancelled on partition {}", ban.profileId(),
                ban.eventId(), fresh ? "new here" : "known here already", cancelled, context.taskId().partition());
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
            view.putDevice(key, new Facts.Device(device.platform(), device.appId(), device.subscription()));
        }
    }

    /**
     * A user's delivery preferences (keyed by userId, on the partition of their coordinators, like their devices); a
     * tombstone forgets them. A value that is not a {@code UserPreferencesUpdated} is ignored (the router validated what
     * it wrote; counted as skipped, invalid).
     */
    private void onPreferences(Record<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        String userId = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            delivery.forget(userId);
            return;
        }
        Envelope<?> e = decode(record);
        if (e != null && e.data() instanceof UserPreferencesUpdated) {
            delivery.preferences(userId, record.value());
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
            if (e.kind() == JournalEntry.Kind.CANCELLED && e.detail() != null && e.detail().startsWith(Bans.REASON)) {
                metrics.banned(c.flow());
            }
            countDigest(c, e);
            countPolicy(c, e);
        }
        gauges.measure(c, advance.appended().size());
        String beforeState = before == null ? null : before.state();
        if (!Objects.equals(beforeState, c.state())) {
            gauges.moved(c.flow(), beforeState, c.state());
        }
        boolean wasRunning = before != null && !before.isTerminal();
        if (wasRunning != !c.isTerminal()) {
            view.running(c, !c.isTerminal()); // a coordinator done within the call that started it is never indexed
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
                gauges.parked(1);
            }
            context.forward(new Record<>(c.id().getBytes(StandardCharsets.UTF_8), Admin.Parked.of(c).toJson(), timestamp),
                    CoordinatorTopology.PARKED_SINK);
            log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, c.input().getOrDefault(Flows.EVENT_ID, "-"))
                    .log("parked coordinator {} ({} for {}) in {}: {}", c.id(), c.flow(), c.recipient(), c.parkedFrom(), c.parkedReason());
            schedule.housekeepingAt(lastAt(c).plus(config.parkedRetention()), c.id());
        } else if (!c.isParked() && wasParked) {
            gauges.parked(-1);
            context.forward(new Record<>(c.id().getBytes(StandardCharsets.UTF_8), (byte[]) null, timestamp),
                    CoordinatorTopology.PARKED_SINK);
        }
        scheduleWake(advance);
        if (c.isTerminal()) {
            schedule.housekeepingAt(Instant.ofEpochMilli(timestamp).plus(retention), c.id());
            if (Flows.HELD.equals(c.flow()) && !Flow.DONE.equals(c.state())) {
                // Cancelled (a ban) or discarded before its step ran to the end: the held pushes go with it, unsent.
                String holdId = c.input().get(Flows.HOLD_ID);
                if (delivery.hold(holdId) != null) {
                    delivery.drop(holdId);
                    log.info("held pushes of {} dropped unsent: their release {} was {}", c.input().get(Flows.ORIGIN), c.id(),
                            c.state().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
    }

    /**
     * Counts what delivery policy did in a journaled step, as its notes say ({@link Flows#POLICY}): muted, held, passed,
     * released, expired. One count per step (a like, a follow, a digest, a release), whatever its number of devices.
     */
    private void countPolicy(Coordinator c, JournalEntry e) {
        String policy = e.kind() == JournalEntry.Kind.SUCCEEDED ? e.notes().get(Flows.POLICY) : null;
        if (policy == null) {
            return;
        }
        metrics.policy(policy);
        if ("expired".equals(policy) || "muted".equals(policy) && Flows.HELD.equals(c.flow())) {
            log.info("held pushes of {} for {} not sent ({}): {}", c.input().get(Flows.ORIGIN), c.recipient(), policy,
                    e.notes().get(Flows.POLICY_REASON));
        } else if (log.isDebugEnabled()) {
            log.debug("delivery policy {} for {} ({}): {}", policy, c.recipient(), c.id(), e.notes().get(Flows.POLICY_REASON));
        }
    }

    /** Counts what a journaled step did with a like digest, as its notes say: a like folded in, a digest sent. */
    private void countDigest(Coordinator c, JournalEntry e) {
        String digest = e.kind() == JournalEntry.Kind.SUCCEEDED ? e.notes().get(Flows.DIGEST) : null;
        if (digest == null) {
            return;
        }
        if (Flows.LIKE.equals(c.flow())) {
            metrics.likeDigest("folded"); // opened or folded: either way a like went into a digest
        } else if (Flows.LIKE_DIGEST.equals(c.flow())) {
            metrics.likeDigest(digest);
        }
    }

    /** A coordinator left unfinished by a version without the running index and the parked retention. */
    private void unfinishedBeforeUpgrade(Coordinator c) {
        view.running(c, true);
        if (c.isParked()) {
            schedule.housekeepingAt(lastAt(c).plus(config.parkedRetention()), c.id());
        }
    }

    /** When the last entry of {@code c}'s journal was made: for a parked coordinator, when it was parked. */
    private static Instant lastAt(Coordinator c) {
        return c.journal().get(c.journal().size() - 1).at();
    }

    private void scheduleWake(CoordinatorEngine.Advance advance) {
        if (advance.wakeAt() != null) {
            schedule.at(advance.wakeAt(), advance.coordinator().id());
        }
    }

    private void forward(Output out, long timestamp) {
        byte[] key = out.key().getBytes(StandardCharsets.UTF_8);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = out.event() == null ? null : codec.encode(out.event(), headers);
        if (early != null && Topics.PUSH_HIGH.equals(out.topic())) {
            early.send(Topics.PUSH_HIGH, key, value, headers, timestamp);
            return;
        }
        context.forward(new Record<>(key, value, timestamp, headers), CoordinatorTopology.sinkFor(out.topic()));
    }

    /**
     * Runs what is due: retries whose backoff has passed, steps whose timeout has passed (the engine parks those),
     * finished journals past their retention (deleted), parked coordinators past theirs (discarded), expiries of
     * windows and decisions ({@link Facts#expire}), like digests ({@link #digestDue}) and held pushes
     * ({@link #heldDue}). An entry may be stale (the coordinator moved on since): the engine then does nothing, or
     * schedules it again.
     */
    private void runDue(long wallClockMs) {
        Instant now = Instant.ofEpochMilli(wallClockMs);
        if (upgradeScan != null && upgradeScan.page(now)) {
            upgradeScan = null;
        }
        for (String id : schedule.takeDue(now, MAX_DUE_PER_TICK)) {
            runDue(id, now);
        }
        if (upgradeScan != null) {
            wakeup.soon();
        }
        schedule.wakeAtFirstDue();   // what is left: later entries, or more due ones than one wake-up runs
    }

    private void runDue(String id, Instant now) {
        if (id.startsWith(Facts.DIGEST_DUE)) {
            digestDue(Facts.digestRecipient(id), Facts.digestId(id), now);
            return;
        }
        if (id.startsWith(DeliveryPolicy.HELD_DUE)) {
            heldDue(DeliveryPolicy.dueHoldId(id), now);
            return;
        }
        if (id.startsWith(Facts.EXPIRY)) {
            String expired = view.expire(id, now, retention, this::stillRuns);
            if (expired != null) {
                metrics.expired(expired);
            }
            return;
        }
        Coordinator c;
        try {
            c = load(id);
        } catch (RuntimeException unreadable) {
            log.error("journal of coordinator {} is unreadable; left in place for inspection: {}", id, unreadable.toString());
            return;
        }
        if (c == null) {
            return;
        }
        if (c.isTerminal()) {
            Instant finished = lastAt(c);
            if (!now.isBefore(finished.plus(retention))) {
                journal.delete(id);
            } else {
                schedule.housekeepingAt(finished.plus(retention), id);
            }
        } else if (c.isParked()) {
            Instant until = lastAt(c).plus(config.parkedRetention());
            if (now.isBefore(until)) {
                schedule.housekeepingAt(until, id); // a stale entry (a retry's time): the retention's own entry is this one again
            } else {
                discardParked(c, now);
            }
        } else {
            persist(c, engine.advance(c, now));
        }
    }

    /**
     * A like digest is due: takes it out of the facts and starts the {@code like-digest} coordinator that pushes it,
     * with the digest as its input (see {@link Flows}); a digest with no like left in it (every one taken back, or by
     * actors banned since) is deleted and pushes nothing. An entry for a digest sent already (stale) does nothing. All in
     * the wake-up's transaction: a crash before its commit finds the digest open again, and the push, redone, has the
     * same ids.
     */
    private void digestDue(String recipient, String digestId, Instant now) {
        Facts.Digest d = view.digest(recipient);
        if (d == null || !d.id().equals(digestId)) {
            return;
        }
        view.closeDigest(recipient);
        Map<String, String> input = Flows.digestInput(d, bans::banned);
        String id = Flows.LIKE_DIGEST + ":" + digestId;
        if (input == null) {
            metrics.likeDigest("empty");
            log.debug("like digest {} for {} is due with no like left in it: nothing pushed", digestId, recipient);
            return;
        }
        if (journal.get(id) != null) {
            return; // started already (cannot happen while the digest and its coordinator commit together; kept safe)
        }
        metrics.started(Flows.LIKE_DIGEST);
        persist(null, engine.start(id, Flows.LIKE_DIGEST, recipient, input, now));
    }

    /**
     * Pushes held for quiet hours are due: starts the {@code held} coordinator that releases them (or finds them expired,
     * muted since, or still quiet), with the hold as its input (see {@link Flows}). A hold taken back since (an unlike)
     * starts nothing; an entry earlier than the hold's due time (stale) is scheduled again at it. In the wake-up's
     * transaction: a crash before its commit finds the hold due again, and the release, redone, writes the same ids.
     */
    private void heldDue(String holdId, Instant now) {
        DeliveryPolicy.Hold hold = delivery.hold(holdId);
        if (hold == null) {
            return;
        }
        if (now.toEpochMilli() < hold.dueAt()) {
            schedule.at(Instant.ofEpochMilli(hold.dueAt()), DeliveryPolicy.HELD_DUE + holdId);
            return;
        }
        String id = Flows.heldCoordinatorId(hold);
        if (journal.get(id) != null) {
            return; // started already: it runs (or waits for a retry, or is parked) on its own
        }
        metrics.started(Flows.HELD);
        persist(null, engine.start(id, Flows.HELD, hold.recipient(), Flows.heldInput(holdId, hold), now));
    }

    /** Whether the coordinator of {@code id} has not finished (an unreadable journal counts as not finished). */
    private boolean stillRuns(String id) {
        try {
            Coordinator c = load(id);
            return c != null && !c.isTerminal();
        } catch (RuntimeException unreadable) {
            return true;
        }
    }

    /**
     * Discards a coordinator parked for longer than its retention, never silently: journaled (DISCARDED, with the
     * reason), counted, logged, and dead-lettered with its description as the value ({@link Admin.Parked}), under the
     * reason {@link DeadLetterReason#PARKED_EXPIRED}, the parked topic as its source and offset -1 (no record of its
     * own). The dead letter is not replayable: the source is not a topic {@code pushline dlq replay} writes to.
     */
    private void discardParked(Coordinator c, Instant now) {
        Admin.Parked parked = Admin.Parked.of(c);
        String detail = "coordinator " + c.id() + " (" + c.flow() + " for " + c.recipient() + ") parked in " + c.parkedFrom()
                + " since " + parked.parkedAt() + ", longer than the parked retention " + config.parkedRetention()
                + ": discarded; parked for: " + c.parkedReason();
        persist(c, engine.discard(c, "retention: parked longer than " + config.parkedRetention(), now));
        RecordHeaders headers = new RecordHeaders();
        DeadLetters.addTo(headers, DeadLetterReason.PARKED_EXPIRED, detail, Topics.COORDINATORS_PARKED,
                context.taskId().partition(), -1, now);
        metrics.deadLettered(DeadLetterReason.PARKED_EXPIRED.name());
        metrics.expired("parked");
        log.atError().addKeyValue(DeadLetters.LOG_EVENT_ID, c.input().getOrDefault(Flows.EVENT_ID, "-"))
                .log("discarded parked coordinator and dead-lettered it: {}", detail);
        context.forward(new Record<>(c.id().getBytes(StandardCharsets.UTF_8), parked.toJson(), now.toEpochMilli(), headers),
                CoordinatorTopology.DEAD_LETTER_SINK);
    }
}
