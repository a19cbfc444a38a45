package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Topics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The dead letters of {@code pushline.dead-letters}: lists them by reason, and replays those of one reason to the topic
 * they came from once their cause is fixed. Used by {@code pushline dlq} and the admin API alike.
 *
 * <p><b>What a replay writes.</b> Each matching dead letter is re-published with its original key, value and headers,
 * minus the {@code pushline.dlq.*} headers, plus {@link DeadLetters#REPLAYED_FROM}, through an idempotent producer
 * ({@code acks=all}), to its source partition (where the original was; the key's partition if that number is not
 * valid). Dead letters from {@code pushline.events} go back there; those from a push lane go back to the lane, and
 * those from a lane's retry topic ({@code pushline.push.<lane>.retry-*}) to the lane's main topic, without the
 * {@code pushline.retry.*} headers: the worker treats a lane record as a first attempt with a fresh retry budget,
 * whereas a record put back on a retry topic would come with its attempts already used up. Dead letters from any
 * other topic (the Streams apps' internal and state topics, the coordinators' commands) are skipped and counted: their
 * records are partition-placed or compacted state that only Pushline itself writes; a record without a source topic
 * too. The record timestamp is the replay's; the {@code ce_time} is the original.
 *
 * <p><b>Why replaying is safe, and replaying twice too</b> (each point checked against the code it names):
 * <ul>
 *   <li>The {@code ce_id} is the original one, so every push id ({@code UUID-v3(ce_id | token)}) is the original one.</li>
 *   <li>Workers: before every send the worker checks whether the push id has a receipt (of any status: delivered,
 *       rejected, expired, cancelled, failed), and skips it if so ({@code pushline.worker.deduplicated}). Receipts are
 *       compacted and never expire. So a push that was sent is not sent again. The one exception is what replaying
 *       {@code RETRIES_EXHAUSTED} is for: the worker gave up on such a push and wrote a {@code FAILED} receipt; a
 *       replayed record (with {@link DeadLetters#REPLAYED_FROM}) whose push's only receipt says {@code FAILED} is sent
 *       after all, and its new receipt makes a second replay skip it. {@code NO_PROVIDER}, {@code PROCESSING_FAILED}
 *       and undecodable tasks have no receipt, and are sent.</li>
 *   <li>Coordinators (likes, unlikes, follows): the decision store keeps the latest decision per actor and object,
 *       with its event id, forever. The same event again is skipped as {@code duplicate}; if a newer event about the
 *       same pair came since, as {@code stale} or {@code already} ({@code pushline.coordinators.skipped}). The decision
 *       lives on the event's partition: a replay goes to its source partition.</li>
 *   <li>Router: its outputs are keyed upserts on compacted topics, so applying an event twice is applying it once; the
 *       device registry and the ban handling also compare the event's own times or ignore a repeat. But they are not
 *       order-safe for follows: a replayed {@code FollowCreated} is written to {@code pushline.state.follows} as the
 *       latest state even if its {@code FollowRemoved} came after it (and the other way round), so replaying an old
 *       follow restores the edge. The report counts replayed follow events and says so.</li>
 *   <li>Expansion: a {@code TimelinePosted} is deduplicated only while its fanout job runs. Once the job has finished,
 *       a replay starts a second job that expands the author's followers as they are now: the devices that got the
 *       post have the same push ids and are skipped by their receipts (bulk-lane work, no second delivery); devices
 *       registered and follows made since get it; the push tasks' TTL counts from the replay.</li>
 *   <li>The one window left is the one a crash has: a push in flight (sent, receipt not yet written) when its replay
 *       reaches the worker can be sent twice.</li>
 * </ul>
 * Decoding reasons ({@code NO_HEADERS} to {@code PAYLOAD_TOO_LARGE}) are about the bytes: a replay is dead-lettered
 * again with the same reason unless the decoder changed (a bug fixed, a limit raised).
 *
 * <p><b>Access.</b> Both operations use the Kafka client settings given (the admin principal's SASL or TLS settings):
 * the dead letters hold original payloads and replay writes to Pushline's inputs, so that principal needs Read on
 * {@code pushline.dead-letters} and Write on the topics replayed to ({@link AccessControl.AclRole#ADMIN}), and nobody else.
 *
 * <p>Both are bounded: they read up to the end offsets captured at start (never waiting for new records, never
 * reading the dead letters their own replay causes) within their timeout. Expected failures are
 * {@link DeadLetterScan.DlqException} (a topic missing, the end not reached in time) and Kafka's own exceptions
 * ({@link AdminFailures} words them). Thread-safe: each call uses clients of its own.
 */
public final class DeadLetterService {
    /** The ACLs these operations need, for the "not authorised" line. */
    public static final String NEEDS = "Read on " + Topics.DEAD_LETTERS + ", and for replay Write on the topics replayed to ("
            + AccessControl.GRANTED_BY_ADMIN + ")";

    private final Map<String, Object> clients;
    private final Clock clock;

    /** Works with the Kafka client settings {@code clients} (see {@link AdminArguments#clients}); times by {@code clock}. */
    public DeadLetterService(Map<String, Object> clients, Clock clock) {
        this.clients = Collections.unmodifiableMap(new HashMap<>(clients));
        this.clock = clock;
    }

    /**
     * The dead letters dead-lettered at or after {@code since} (null: all) of the reasons {@code only} (null: all), by
     * reason; a dead letter without a reason is listed under {@link DeadLetterSummary#NONE} when all are asked for.
     */
    public DeadLetterSummary list(Instant since, Set<DeadLetterReason> only, Duration timeout) {
        Set<String> wanted = only == null ? null : only.stream().map(Enum::name).collect(Collectors.toSet());
        Map<String, Tally> byReason = new HashMap<>();
        long[] total = {0};
        new DeadLetterScan(clients, clock).scan(since, clock.instant().plus(timeout), d -> {
            String reason = d.reason() == null ? DeadLetterSummary.NONE : d.reason();
            if (wanted == null || wanted.contains(reason)) {
                byReason.computeIfAbsent(reason, Tally::new).add(d);
                total[0]++;
            }
            return true;
        });
        List<DeadLetterSummary.Reason> reasons = new ArrayList<>(byReason.values().stream().map(Tally::reason).toList());
        reasons.sort(Comparator.comparingLong((DeadLetterSummary.Reason r) -> -r.count()).thenComparing(DeadLetterSummary.Reason::reason));
        return new DeadLetterSummary(total[0], since, reasons);
    }

    /** Replays (or in a dry run counts) the dead letters {@code request} asks for; a failed write is in the report. */
    public ReplayReport replay(ReplayRequest request) {
        return new DeadLetterReplay(clients, clock, request).run();
    }

    /**
     * Where a dead letter from {@code source} is replayed to, or null if replay does not write there: the events topic
     * and the push lanes to themselves, a lane's retry topics to the lane.
     */
    public static String replayTarget(String source) {
        return DeadLetterReplay.target(source);
    }

    /** Per reason, while reading: how many, from where, when, and the latest detail. */
    private static final class Tally {
        private final String reason;
        private long count;
        private final Map<String, Long> sources = new TreeMap<>();
        private Instant first;
        private Instant last;
        private String detail;

        Tally(String reason) {
            this.reason = reason;
        }

        void add(DeadLetterScan.DeadLetter d) {
            count++;
            sources.merge(d.sourceTopic() == null ? DeadLetterSummary.NONE : d.sourceTopic(), 1L, Long::sum);
            Instant at = d.deadLetteredAt();
            if (first == null || at.isBefore(first)) {
                first = at;
            }
            if (last == null || !at.isBefore(last)) {
                last = at;
                detail = d.detail();
            }
        }

        DeadLetterSummary.Reason reason() {
            return new DeadLetterSummary.Reason(reason, count, new TreeMap<>(sources), first, last, detail);
        }
    }
}
