package io.pushline.app;

import io.pushline.admin.DeadLetterScan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.EventType;
import io.pushline.contracts.Topics;
import io.pushline.workers.RetryTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code pushline dlq}: lists the dead letters of {@code pushline.dead-letters} by reason, and replays those of one
 * reason to the topic they came from once their cause is fixed.
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
 *       follow restores the edge. The command counts replayed follow events and says so.</li>
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
 * <p><b>Access.</b> Both subcommands use the Kafka client's own credentials ({@code --kafka-config} with SASL or TLS
 * settings): the dead letters hold original payloads and replay writes to Pushline's inputs, so give the principal
 * of that file Read on {@code pushline.dead-letters} and Write on the topics replayed to, and nobody else.
 *
 * <p>Both are bounded: they read up to the end offsets captured at start (never waiting for new records, never
 * reading the dead letters their own replay causes) within {@code --timeout}.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Lists dead letters by reason, and replays those of one reason after a fix."},
        footer = {"", DlqCommand.ADMIN_NOTE},
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Replay.class})
final class DlqCommand implements Runnable {
    static final String ADMIN_NOTE = "Admin operation: dead letters hold original payloads, and replay writes to Pushline's input topics. "
            + "Both run with the Kafka client's own credentials: give an admin principal's SASL (or TLS) settings in "
            + "--kafka-config FILE (security.protocol, sasl.mechanism, sasl.jaas.config, ...), as for `pushline run`, and "
            + "grant that principal Read on pushline.dead-letters and Write on pushline.events and the push lanes "
            + "(`pushline acls --principal User:NAME --role admin` prints these ACLs; --apply creates them).";

    /** The decoding reasons: about the record's bytes, so a replay fails again unless the decoder changed. */
    private static final Set<DeadLetterReason> ABOUT_THE_BYTES = EnumSet.of(DeadLetterReason.NO_HEADERS,
            DeadLetterReason.NOT_A_CLOUDEVENT, DeadLetterReason.UNKNOWN_TYPE, DeadLetterReason.NOT_UTF8,
            DeadLetterReason.MALFORMED_JSON, DeadLetterReason.SCHEMA_VIOLATION, DeadLetterReason.PAYLOAD_TOO_LARGE);
    private static final List<String> LANES = List.of(Topics.PUSH_HIGH, Topics.PUSH_BULK);
    private static final List<String> RETRY_HEADERS = List.of(RetryTopics.ATTEMPT, RetryTopics.NOT_BEFORE, RetryTopics.CAUSE,
            RetryTopics.ORIGIN);
    private static final String DLQ_HEADER_PREFIX = "pushline.dlq.";
    private static final Pattern DAYS = Pattern.compile("(\\d{1,4})d");
    private static final int DETAIL_COLUMN_CHARS = 100;
    private static final String NO_SOURCE = "(none)";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list or replay");
    }

    /** Where and as whom, and for how long. */
    static final class Access {
        /** Its --kafka-config is the admin credential: Read on pushline.dead-letters, and for replay Write on the topics replayed to. */
        @Mixin
        CoordinatorsCommand.Cluster cluster;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
                description = "Give up after this long, reading and writing included (90s, 5m, PT5M; default: ${DEFAULT-VALUE}).")
        String timeout;

        Map<String, Object> clients(CommandSpec spec) {
            return cluster.clients(spec);
        }

        Duration timeout(CommandSpec spec) {
            try {
                return Durations.parse(timeout);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
            }
        }
    }

    /** {@code --since}: an ISO-8601 instant, or a duration meaning "that long ago" (with {@code d} for days). */
    static Instant since(String text, Clock clock, CommandSpec spec) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notAnInstant) {
            // an offset, or a duration
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException notAnOffsetTime) {
            // a duration
        }
        Matcher days = DAYS.matcher(t.toLowerCase(Locale.ROOT));
        try {
            Duration ago = days.matches() ? Duration.ofDays(Long.parseLong(days.group(1))) : Durations.parse(t);
            if (ago.isZero()) {
                throw new IllegalArgumentException("zero");
            }
            return clock.instant().minus(ago);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--since: '" + text + "' is neither an ISO-8601 instant "
                    + "(2026-12-01T10:00:00Z) nor a positive duration meaning that long ago (90m, 2h, 3d, PT2H)");
        }
    }

    /**
     * Where a dead letter from {@code source} is replayed to, or null if replay does not write there: the events topic
     * and the push lanes to themselves, a lane's retry topics to the lane.
     */
    static String replayTarget(String source) {
        if (source == null) {
            return null;
        }
        if (source.equals(Topics.EVENTS) || LANES.contains(source)) {
            return source;
        }
        for (String lane : LANES) {
            if (source.startsWith(lane + ".retry-")) {
                return lane;
            }
        }
        return null;
    }

    /** A one-line, bounded version of a detail for a table cell: control characters become {@code ?}. */
    static String oneLine(String detail, int max) {
        if (detail == null || detail.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(detail.length(), max + 1));
        for (int i = 0; i < detail.length() && out.length() < max; i++) {
            char c = detail.charAt(i);
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        return detail.length() > max ? out.append('…').toString() : out.toString();
    }

    /** Runs {@code body}, turning the expected failures into one line on stderr and exit code 1. */
    static int guarded(CommandSpec spec, Map<String, Object> clients, String timeout, Callable<Integer> body) throws Exception {
        String name = "dlq " + spec.name();
        return KafkaFailures.guarded(spec, name, clients, timeout,
                "Read on " + Topics.DEAD_LETTERS + ", and for replay Write on the topics replayed to ("
                        + AclsCommand.GRANTED_BY_ADMIN + ")", () -> {
                    try {
                        return body.call();
                    } catch (DeadLetterScan.DlqException e) {
                        spec.commandLine().getErr().println(name + ": " + e.getMessage());
                        return 1;
                    }
                });
    }

    /** Per reason: how many, from where, when, and the latest detail. */
    static final class ReasonSummary {
        final String reason;
        long count;
        final Map<String, Long> sources = new TreeMap<>();
        Instant first;
        Instant last;
        String detail;

        ReasonSummary(String reason) {
            this.reason = reason;
        }

        void add(DeadLetterScan.DeadLetter d) {
            count++;
            sources.merge(d.sourceTopic() == null ? NO_SOURCE : d.sourceTopic(), 1L, Long::sum);
            Instant at = d.deadLetteredAt();
            if (first == null || at.isBefore(first)) {
                first = at;
            }
            if (last == null || !at.isBefore(last)) {
                last = at;
                detail = d.detail();
            }
        }

        String sourcesText() {
            if (sources.size() == 1) {
                return sources.keySet().iterator().next();
            }
            List<String> parts = new ArrayList<>();
            sources.forEach((topic, n) -> parts.add(topic + " (" + n + ")"));
            return String.join(", ", parts);
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("reason", reason);
            json.put("count", count);
            json.put("sourceTopics", sources);
            json.put("first", first.toString());
            json.put("last", last.toString());
            json.put("exampleDetail", detail == null ? "" : oneLine(detail, DeadLetters.MAX_DETAIL_CHARS));
            return json;
        }
    }

    enum Format { table, json }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Dead letters by reason: how many, from which topics, first and last dead-lettered, and the latest "
                    + "detail (never a payload). Reads pushline.dead-letters up to its end as of the start; never waits for more."},
            footer = {"", ADMIN_NOTE})
    static final class ListDeadLetters implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Access access;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only those dead-lettered at or after TIME: an ISO-8601 instant, or a duration meaning that long ago (2h, 3d).")
        String since;

        @Option(names = "--reason", paramLabel = "REASON", description = "Only this reason (repeatable): ${COMPLETION-CANDIDATES}.")
        List<DeadLetterReason> reasons;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        Format format;

        Clock clock = Clock.systemUTC();

        @Override
        public Integer call() throws Exception {
            Instant from = since(since, clock, spec);
            Duration timeout = access.timeout(spec);
            Map<String, Object> clients = access.clients(spec);
            Set<String> wanted = reasons == null ? null : reasons.stream().map(Enum::name).collect(java.util.stream.Collectors.toSet());
            return guarded(spec, clients, access.timeout, () -> {
                Map<String, ReasonSummary> byReason = new HashMap<>();
                long[] total = {0};
                new DeadLetterScan(clients, clock).scan(from, clock.instant().plus(timeout), d -> {
                    String reason = d.reason() == null ? NO_SOURCE : d.reason();
                    if (wanted == null || wanted.contains(reason)) {
                        byReason.computeIfAbsent(reason, ReasonSummary::new).add(d);
                        total[0]++;
                    }
                    return true;
                });
                List<ReasonSummary> rows = new ArrayList<>(byReason.values());
                rows.sort(Comparator.comparingLong((ReasonSummary r) -> -r.count).thenComparing(r -> r.reason));
                print(rows, total[0], from);
                return 0;
            });
        }

        private void print(List<ReasonSummary> rows, long total, Instant from) throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (format == Format.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("deadLetters", total);
                json.put("since", from == null ? null : from.toString());
                json.put("reasons", rows.stream().map(ReasonSummary::toJson).toList());
                printJson(out, json);
                return;
            }
            String scope = (from == null ? "" : " since " + from.truncatedTo(ChronoUnit.SECONDS)) + (reasons == null ? "" : " with reason " + joined(reasons));
            if (rows.isEmpty()) {
                out.println("no dead letters" + scope);
                return;
            }
            int countWidth = rows.stream().mapToInt(r -> Long.toString(r.count).length()).max().orElse(1);
            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"REASON", "COUNT", "SOURCE TOPICS", "FIRST", "LAST", "EXAMPLE DETAIL"});
            for (ReasonSummary r : rows) {
                table.add(new String[] {r.reason, String.format("%" + Math.max(countWidth, 5) + "d", r.count), r.sourcesText(),
                        r.first.truncatedTo(ChronoUnit.SECONDS).toString(), r.last.truncatedTo(ChronoUnit.SECONDS).toString(),
                        oneLine(r.detail, DETAIL_COLUMN_CHARS)});
            }
            TextTable.print(out, table, table.get(0).length);
            out.printf("%d dead letter%s%s; once a cause is fixed: pushline dlq replay --reason REASON [--since TIME] [--dry-run]%n",
                    total, total == 1 ? "" : "s", scope);
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Re-publishes the dead letters of one reason to the topic they came from (pushline.events, or a push "
                    + "lane; a lane's retry topic goes back to the lane), with their original key, value and headers, without "
                    + "the pushline.dlq.* headers, plus pushline.replayed.from. Ids are kept, so an event or push that was in fact "
                    + "processed is skipped by the coordinators or by its receipt rather than delivered twice; replaying "
                    + "twice re-drives twice, safely. Dead letters from other topics, or without a source topic, are skipped and counted."},
            footer = {"", ADMIN_NOTE})
    static final class Replay implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Access access;

        @Option(names = "--reason", paramLabel = "REASON", required = true,
                description = "The reason whose dead letters to replay: ${COMPLETION-CANDIDATES}.")
        DeadLetterReason reason;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only those dead-lettered at or after TIME: an ISO-8601 instant, or a duration meaning that long ago (2h, 3d).")
        String since;

        @Option(names = "--dry-run", description = "Show what would be replayed; write nothing.")
        boolean dryRun;

        @Option(names = "--limit", paramLabel = "N", description = "Replay at most N dead letters (the oldest first in each partition).")
        Long limit;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        Format format;

        Clock clock = Clock.systemUTC();

        /** Replayed (or, in a dry run, matched) dead letters per source and target topic. */
        private final Map<String, AtomicLong> replayed = new ConcurrentHashMap<>();
        private final Map<String, Long> skippedNotReplayable = new TreeMap<>();
        private long skippedNoSource;
        private long sent;
        private final Map<EventType, Long> byType = new HashMap<>();

        @Override
        public Integer call() throws Exception {
            if (limit != null && limit < 1) {
                throw new ParameterException(spec.commandLine(), "--limit must be at least 1, was " + limit);
            }
            Instant from = since(since, clock, spec);
            Duration timeout = access.timeout(spec);
            Map<String, Object> clients = access.clients(spec);
            return guarded(spec, clients, access.timeout, () -> replay(clients, from, clock.instant().plus(timeout), timeout));
        }

        private int replay(Map<String, Object> clients, Instant from, Instant deadline, Duration timeout) throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Integer> partitionCounts = new HashMap<>();
            AtomicReference<Exception> failed = new AtomicReference<>();
            try (KafkaConsumer<byte[], byte[]> metadata = dryRun ? null : metadataConsumer(clients);
                 KafkaProducer<byte[], byte[]> producer = dryRun ? null : producer(clients, timeout)) {
                KafkaConsumer<byte[], byte[]> lookup = metadata;
                long[] matched = {0};
                new DeadLetterScan(clients, clock).scan(from, deadline, d -> {
                    if (!reason.name().equals(d.reason())) {
                        return true;
                    }
                    matched[0]++;
                    String target = replayTarget(d.sourceTopic());
                    if (d.sourceTopic() == null) {
                        skippedNoSource++;
                        return true;
                    }
                    if (target == null) {
                        skippedNotReplayable.merge(d.sourceTopic(), 1L, Long::sum);
                        return true;
                    }
                    if (limit != null && sent >= limit) {
                        return false;
                    }
                    if (failed.get() != null) {
                        return false;
                    }
                    sent++;
                    String ceType = d.header("ce_type");
                    EventType.fromCeType(ceType == null ? "" : ceType).ifPresent(t -> byType.merge(t, 1L, Long::sum));
                    String route = d.sourceTopic() + "\u0000" + target;
                    AtomicLong done = replayed.computeIfAbsent(route, k -> new AtomicLong());
                    if (dryRun) {
                        done.incrementAndGet();
                        return true;
                    }
                    int partitions = partitionCounts.computeIfAbsent(target, t -> partitionsOf(lookup, t, deadline));
                    Integer partition = d.sourcePartition() != null && d.sourcePartition() >= 0 && d.sourcePartition() < partitions
                            ? d.sourcePartition() : null;
                    producer.send(new ProducerRecord<>(target, partition, null, d.record().key(), d.record().value(),
                            replayHeaders(d, LANES.contains(target))), (meta, error) -> {
                        if (error == null) {
                            done.incrementAndGet();
                        } else {
                            failed.compareAndSet(null, error);
                        }
                    });
                    return true;
                });
                if (producer != null) {
                    producer.flush();
                }
                if (matched[0] == 0 && format == Format.table) {
                    out.println("no dead letters with reason " + reason + (from == null ? "" : " since " + from.truncatedTo(ChronoUnit.SECONDS)));
                    return 0;
                }
            }
            report(out, from);
            Exception error = failed.get();
            if (error != null) {
                spec.commandLine().getErr().printf("dlq replay: a write failed (%s); the ones counted above were written, and replaying "
                        + "them again is safe%n", error.getMessage());
                return 1;
            }
            return 0;
        }

        private void report(PrintWriter out, Instant from) {
            long total = replayed.values().stream().mapToLong(AtomicLong::get).sum();
            long notReplayable = skippedNotReplayable.values().stream().mapToLong(Long::longValue).sum();
            boolean limitReached = limit != null && sent >= limit;
            List<String> skipped = new ArrayList<>();
            if (skippedNoSource > 0) {
                skipped.add(skippedNoSource + " without a source topic");
            }
            skippedNotReplayable.forEach((topic, n) -> skipped.add(n + " from " + topic + ", which replay does not write"));
            List<String> notes = total == 0 ? List.of() : notes();
            if (format == Format.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("reason", reason.name());
                json.put("since", from == null ? null : from.toString());
                json.put("dryRun", dryRun);
                json.put(dryRun ? "wouldReplay" : "replayed", total);
                json.put("routes", new TreeMap<>(replayed).entrySet().stream().map(e -> {
                    String[] parts = e.getKey().split("\u0000", 2);
                    Map<String, Object> route = new LinkedHashMap<>();
                    route.put("sourceTopic", parts[0]);
                    route.put("replayedTo", parts[1]);
                    route.put("count", e.getValue().get());
                    return route;
                }).toList());
                json.put("limitReached", limitReached);
                json.put("skipped", skippedNoSource + notReplayable);
                json.put("skippedWhy", skipped);
                json.put("notes", notes);
                printJson(out, json);
                return;
            }
            if (!replayed.isEmpty()) {
                List<String[]> table = new ArrayList<>();
                table.add(new String[] {"SOURCE TOPIC", "REPLAYED TO", dryRun ? "WOULD REPLAY" : "REPLAYED"});
                new TreeMap<>(replayed).forEach((route, n) -> {
                    String[] parts = route.split("\u0000", 2);
                    table.add(new String[] {parts[0], parts[1], Long.toString(n.get())});
                });
                TextTable.print(out, table, 2);
            }
            StringBuilder line = new StringBuilder(dryRun ? "dry run, nothing written: would replay " : "replayed ")
                    .append(total).append(" dead letter").append(total == 1 ? "" : "s").append(" with reason ").append(reason);
            if (from != null) {
                line.append(" dead-lettered since ").append(from.truncatedTo(ChronoUnit.SECONDS));
            }
            if (limitReached) {
                line.append(" (--limit ").append(limit).append(" reached)");
            }
            out.println(line);
            if (!skipped.isEmpty()) {
                out.println("skipped " + (skippedNoSource + notReplayable) + ": " + String.join("; ", skipped));
            }
            notes.forEach(note -> out.println("note: " + note));
        }

        /** What an operator should know about what was replayed. */
        private List<String> notes() {
            List<String> notes = new ArrayList<>();
            if (ABOUT_THE_BYTES.contains(reason)) {
                notes.add(reason + " is about the record's bytes: unless the decoder changed since (a bug fixed, a limit "
                        + "raised), the replayed records are dead-lettered again with the same reason.");
            }
            if (reason == DeadLetterReason.RETRIES_EXHAUSTED) {
                notes.add("the workers wrote a FAILED receipt for each push they gave up on; a replayed push whose only receipt "
                        + "says FAILED is sent again, one delivered meanwhile is skipped (pushline_worker_deduplicated_total). "
                        + "Two replays racing each other can send a push twice.");
            }
            long follows = byType.getOrDefault(EventType.FOLLOW_CREATED, 0L) + byType.getOrDefault(EventType.FOLLOW_REMOVED, 0L);
            if (follows > 0) {
                notes.add(follows + " follow event(s): the router writes each to pushline.state.follows as the latest state "
                        + "of its pair, even if a newer follow or unfollow of the pair came after it.");
            }
            long posts = byType.getOrDefault(EventType.TIMELINE_POSTED, 0L);
            if (posts > 0) {
                notes.add(posts + " timeline post(s): a post whose fanout has finished is expanded again over the author's "
                        + "followers as they are now; devices that had it are skipped by their receipts, devices and follows added "
                        + "since get it.");
            }
            notes.add("each replay re-drives its dead letters again; ids are kept, so events and pushes already processed "
                    + "are skipped (coordinators: duplicate; workers: receipt exists) rather than delivered twice.");
            return notes;
        }

        /** The original headers without the dead-letter ones (and, bound for a lane, the retry ones), plus where it was replayed from. */
        private static RecordHeaders replayHeaders(DeadLetterScan.DeadLetter d, boolean toLane) {
            RecordHeaders headers = new RecordHeaders();
            for (Header h : d.record().headers()) {
                String key = h.key();
                if (key.startsWith(DLQ_HEADER_PREFIX) || key.equals(DeadLetters.REPLAYED_FROM) || toLane && RETRY_HEADERS.contains(key)) {
                    continue;
                }
                headers.add(h);
            }
            headers.add(DeadLetters.REPLAYED_FROM, d.position().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return headers;
        }

        private int partitionsOf(KafkaConsumer<byte[], byte[]> lookup, String topic, Instant deadline) {
            Duration left = Duration.between(clock.instant(), deadline);
            List<PartitionInfo> infos = lookup.partitionsFor(topic, left.isNegative() ? Duration.ofMillis(1) : left);
            if (infos == null || infos.isEmpty()) {
                throw new DeadLetterScan.DlqException("topic " + topic + " does not exist: replay writes only to existing topics");
            }
            return infos.size();
        }

        private static KafkaConsumer<byte[], byte[]> metadataConsumer(Map<String, Object> clients) {
            Map<String, Object> config = new HashMap<>(clients);
            config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
            config.remove(ConsumerConfig.GROUP_ID_CONFIG);
            return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        private static KafkaProducer<byte[], byte[]> producer(Map<String, Object> clients, Duration timeout) {
            Map<String, Object> config = new HashMap<>(clients);
            config.remove("default.api.timeout.ms");
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_EVENTS_MESSAGE_BYTES);
            config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, "pushline-dlq-replay");
            long bound = Math.max(timeout.toMillis(), 15_000);
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(bound, Integer.MAX_VALUE));
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(bound, 30_000L));
            return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        }
    }

    /** {@code json} (maps, lists, strings, numbers, booleans) as indented JSON on {@code out}. */
    static void printJson(PrintWriter out, Object json) {
        try {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String joined(List<DeadLetterReason> reasons) {
        return String.join(", ", reasons.stream().map(Enum::name).toList());
    }
}
