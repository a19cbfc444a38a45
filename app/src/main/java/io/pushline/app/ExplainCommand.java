package io.pushline.app;

import io.pushline.admin.AdminArguments;
import io.pushline.contracts.DeadLetters;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.contracts.Topics;
import io.pushline.push.Tokens;
import io.pushline.topology.StreamsSettings;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code pushline explain PUSH_ID}: the path of one push, read from the topics that carry it: its task (lane, event,
 * user, platform, app), its retries, whether the expansion held it in its user's quiet hours (the held store's
 * changelog), its receipt (the outcome and, for a push that policy stopped, the policy: {@code policy muted},
 * {@code policy quiet hours: ...}), its dead letters, and for a push of the high lane, the journal of the coordinator that
 * wrote it (a like's or a follow's steps, or a like digest's). A bounded scan: from {@code --since} to the topics' ends as of
 * the start; nothing is consumed for a group, nothing is written.
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"What happened to one push: its task (lane, event, user, platform, app), retries, quiet-hours hold,",
                "receipt (outcome, or the policy that stopped it), dead letters and, for a like's or a follow's push, its",
                "coordinator's journal, read from the topics that carry them.",
                "A scan from --since to the topics' ends as of the start; never waits for more, never writes."})
final class ExplainCommand implements Callable<Integer> {
    /** A push id as Pushline makes them (a UUID, or a source-scoped hash): no separators that keys use. */
    private static final Pattern PUSH_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,200}");
    private static final Duration POLL = Duration.ofMillis(200);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;
    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "PUSH_ID", description = "The push (the apns-id, or FCM data pushline_push_id).")
    String pushId;

    @Option(names = "--since", paramLabel = "TIME", defaultValue = "1d",
            description = "Look at records from TIME on: an ISO-8601 instant, or a duration meaning that long ago (default: ${DEFAULT-VALUE}, "
                    + "the lane topics' retention).")
    String since;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
            description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--application-id", paramLabel = "ID", defaultValue = StreamsSettings.DEFAULT_APPLICATION_ID,
            description = "The topology's application id, whose held-push changelog is read (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--coordinators-application-id", paramLabel = "ID", defaultValue = CoordinatorTopology.DEFAULT_APPLICATION_ID,
            description = "The coordinators' application id, whose journal is read for a like's or a follow's push (default: ${DEFAULT-VALUE}).")
    String coordinatorsApplicationId;

    Clock clock = Clock.systemUTC();

    /** One step of the push's path, as found. */
    record Step(Instant at, String where, String what) {}

    @Override
    public Integer call() throws Exception {
        if (!PUSH_ID.matcher(pushId).matches()) {
            throw new ParameterException(spec.commandLine(), "PUSH_ID must be 1 to 200 of [A-Za-z0-9._:@-], was "
                    + (pushId.length() > 40 ? pushId.substring(0, 40) + "…" : pushId));
        }
        Instant from;
        Duration limit;
        try {
            from = AdminArguments.since(since, clock);
            limit = AdminArguments.timeout(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, Object> clients = cluster.clients(spec);
        return KafkaFailures.guarded(spec, "explain", clients, timeout, "Read on the lane, retry, receipts and dead-letter topics", () -> {
            List<Step> steps = scan(clients, from, clock.instant().plus(limit));
            PrintWriter out = spec.commandLine().getOut();
            if (steps.isEmpty()) {
                spec.commandLine().getErr().println("explain: no trace of push " + pushId + " since " + from
                        + " (tasks are kept 1 day, receipts while the workers need them; try an earlier --since)");
                return 1;
            }
            steps.sort(Comparator.comparing(Step::at));
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"TIME", "WHERE", "WHAT"});
            steps.forEach(s -> rows.add(new String[]{s.at().toString(), s.where(), s.what()}));
            out.println("push " + pushId);
            TextTable.print(out, rows, 3);
            return 0;
        });
    }

    private List<Step> scan(Map<String, Object> clients, Instant from, Instant deadline) {
        String held = applicationId + "-expansion-held-changelog";
        List<String> topics = new ArrayList<>(List.of(Topics.PUSH_BULK, Topics.PUSH_HIGH, Topics.PUSH_RECEIPTS, Topics.DEAD_LETTERS, held));
        for (io.pushline.contracts.Lane lane : io.pushline.contracts.Lane.values()) {
            topics.addAll(RetryTopics.names(WorkerConfig.defaults(lane)));
        }
        List<Step> steps = new ArrayList<>();
        java.util.Set<String> coordinatorEvents = new java.util.LinkedHashSet<>();
        String suffix = "|" + pushId;
        boolean any = read(clients, topics, java.util.Set.of(held), from, deadline, r -> {
            String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
            String where = r.topic() + "-" + r.partition() + "@" + r.offset();
            if (r.topic().equals(held)) {
                if (key.endsWith(suffix)) {
                    steps.add(new Step(Instant.ofEpochMilli(r.timestamp()), where, r.value() == null
                            ? "no longer held (released, expired or muted when due)"
                            : "held in its user's quiet hours, due " + Instant.ofEpochMilli(Long.parseLong(key.substring(0, key.indexOf('|'))))));
                }
            } else if (r.topic().equals(Topics.PUSH_RECEIPTS)) {
                if ((key.endsWith(suffix) || key.equals(pushId)) && r.value() != null) {
                    steps.add(new Step(Instant.ofEpochMilli(r.timestamp()), where, receipt(r.value())));
                }
            } else if (pushId.equals(header(r, "ce_id"))) {
                if (r.topic().equals(Topics.DEAD_LETTERS)) {
                    steps.add(new Step(Instant.ofEpochMilli(r.timestamp()), where, "dead-lettered: " + header(r, DeadLetters.REASON)
                            + (header(r, DeadLetters.DETAIL) == null ? "" : " (" + header(r, DeadLetters.DETAIL) + ")")));
                } else {
                    steps.add(new Step(Instant.ofEpochMilli(r.timestamp()), where, task(r)));
                    String event = highLaneEvent(r);
                    if (event != null) {
                        coordinatorEvents.add(event);
                    }
                }
            }
        });
        if (!any) {
            throw new IllegalStateException("none of Pushline's topics exist on " + clients.get("bootstrap.servers")
                    + ": is Pushline deployed there?");
        }
        if (!coordinatorEvents.isEmpty()) {
            steps.addAll(coordinatorSteps(clients, coordinatorEvents, from, deadline));
        }
        return steps;
    }

    /**
     * The coordinator that wrote a high-lane push: its journal (the coordinators' journal store's changelog), entry by
     * entry, from the latest version of it found. A like's or a follow's coordinator id ends with its event's id and
     * source ({@code like:EVENT@SOURCE}); a like digest's is {@code like-digest:DIGEST}, the digest's id being its
     * pushes' event id.
     */
    private List<Step> coordinatorSteps(Map<String, Object> clients, java.util.Set<String> events, Instant from, Instant deadline) {
        String journal = coordinatorsApplicationId + "-coordinator-journal-changelog";
        Map<String, ConsumerRecord<byte[], byte[]>> latest = new java.util.LinkedHashMap<>();
        read(clients, List.of(journal), java.util.Set.of(), from, deadline, r -> {
            String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
            for (String event : events) {
                if (key.contains(":" + event + "@") || key.equals("like-digest:" + event)) {
                    latest.put(key, r);
                }
            }
        });
        List<Step> steps = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : latest.values()) {
            String where = "coordinator " + new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                continue;   // finished and cleaned up since: an earlier version, if found, was read instead
            }
            try {
                JsonNode root = JSON.readTree(r.value());
                for (JsonNode e : root.path("entries")) {
                    StringBuilder what = new StringBuilder(e.path("kind").asText());
                    if (e.hasNonNull("from")) {
                        what.append(' ').append(e.get("from").asText()).append(" →");
                    }
                    what.append(' ').append(e.path("to").asText());
                    if (e.hasNonNull("detail")) {
                        what.append(": ").append(e.get("detail").asText());
                    }
                    JsonNode notes = e.path("notes");
                    if (notes.size() > 0) {
                        List<String> pairs = new ArrayList<>();
                        notes.fields().forEachRemaining(n -> pairs.add(n.getKey() + "=" + n.getValue().asText()));
                        what.append(" (").append(String.join(", ", pairs)).append(')');
                    }
                    steps.add(new Step(Instant.ofEpochMilli(e.path("at").asLong()), where, what.toString()));
                }
            } catch (java.io.IOException e) {
                steps.add(new Step(Instant.ofEpochMilli(r.timestamp()), where, "journal (unreadable: " + e.getClass().getSimpleName() + ")"));
            }
        }
        return steps;
    }

    /** The event id of a high-lane task (written by a coordinator), or null for a bulk one or an unreadable one. */
    private static String highLaneEvent(ConsumerRecord<byte[], byte[]> r) {
        try {
            JsonNode t = JSON.readTree(r.value());
            return "HIGH".equals(t.path("lane").asText()) ? t.path("sourceEventId").asText(null) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * Reads {@code topics} (those that exist) from {@code from} ({@code fromStart}: from their beginning) to their ends
     * as of now, handing each record to {@code each}; false if none of the topics exists.
     */
    private boolean read(Map<String, Object> clients, List<String> topics, java.util.Set<String> fromStart, Instant from,
                         Instant deadline, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<String, Object> config = io.pushline.admin.DeadLetterScan.readerConfig(clients, "pushline-explain");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, left(deadline));
                if (infos != null) {
                    infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
                }
            }
            if (partitions.isEmpty()) {
                return false;
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, left(deadline));
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, from.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, left(deadline));
            List<TopicPartition> open = new ArrayList<>();
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp at = found.get(p);
                if (fromStart.contains(p.topic())) {
                    consumer.seekToBeginning(List.of(p));   // compacted, its records stamped with another time: all of it
                } else {
                    consumer.seek(p, at == null ? end.get(p) : at.offset());
                }
                if (consumer.position(p, left(deadline)) < end.get(p)) {
                    open.add(p);
                }
            }
            consumer.pause(partitions.stream().filter(p -> !open.contains(p)).toList());
            while (!open.isEmpty()) {
                if (!clock.instant().isBefore(deadline)) {
                    throw new IllegalStateException("could not read the topics to their ends in time; give a longer --timeout, or a later --since");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        each.accept(r);
                    }
                }
                for (TopicPartition p : List.copyOf(open)) {
                    if (consumer.position(p, left(deadline)) >= end.get(p)) {
                        open.remove(p);
                        consumer.pause(List.of(p));
                    }
                }
            }
        }
        return true;
    }

    /** A task or a retry of it: lane, event, user, platform, app, the post's app; the token masked. */
    private static String task(ConsumerRecord<byte[], byte[]> r) {
        try {
            JsonNode t = JSON.readTree(r.value());
            String app = header(r, io.pushline.contracts.PushTask.APP_HEADER);
            String attempt = header(r, RetryTopics.ATTEMPT);
            String cause = header(r, RetryTopics.CAUSE);
            return (r.topic().equals(Topics.PUSH_BULK) || r.topic().equals(Topics.PUSH_HIGH) ? "task" : "retry")
                    + (attempt == null ? "" : " (attempt " + attempt + (cause == null ? "" : ", after: " + cause) + ")")
                    + ": lane " + t.path("lane").asText() + ", event " + t.path("sourceEventId").asText()
                    + ", user " + t.path("userId").asText() + ", " + t.path("platform").asText() + " " + Tokens.mask(t.path("token").asText())
                    + " of " + t.path("appId").asText() + (app == null ? "" : ", post of app " + app);
        } catch (java.io.IOException e) {
            return "task (unreadable: " + e.getClass().getSimpleName() + ")";
        }
    }

    /** A receipt: the outcome, the provider's id or the reason (a policy's or a provider's). */
    private static String receipt(byte[] value) {
        try {
            JsonNode t = JSON.readTree(value);
            String reason = t.path("reason").asText(null);
            String provider = t.path("providerId").asText(null);
            return "receipt: " + t.path("status").asText() + (reason == null ? "" : ", " + reason)
                    + (provider == null ? "" : ", provider id " + provider);
        } catch (java.io.IOException e) {
            return "receipt (unreadable: " + e.getClass().getSimpleName() + ")";
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private Duration left(Instant deadline) {
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero()) {
            return Duration.ofMillis(1);
        }
        return left.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : left;
    }
}
