package io.pushline.admin;

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

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One replay: what {@code DeadLetterService} says it writes, counted as it goes.
 * One use per instance (made and run by {@code DeadLetterService#replay}); the producer's callbacks run on its I/O thread, hence the concurrent counters.
 */
final class DeadLetterReplay {
    /** The decoding reasons: about the record's bytes, so a replay fails again unless the decoder changed. */
    private static final Set<DeadLetterReason> ABOUT_THE_BYTES = EnumSet.of(DeadLetterReason.NO_HEADERS,
            DeadLetterReason.NOT_A_CLOUDEVENT, DeadLetterReason.UNKNOWN_TYPE, DeadLetterReason.NOT_UTF8,
            DeadLetterReason.MALFORMED_JSON, DeadLetterReason.SCHEMA_VIOLATION, DeadLetterReason.PAYLOAD_TOO_LARGE);
    private static final List<String> RETRY_HEADERS = List.of(RetryTopics.ATTEMPT, RetryTopics.NOT_BEFORE, RetryTopics.CAUSE,
            RetryTopics.ORIGIN);
    private static final String DLQ_HEADER_PREFIX = "pushline.dlq.";
    private static final List<String> LANES = List.of(Topics.PUSH_HIGH, Topics.PUSH_BULK);
    /** Separates the source and target topic in a route's key; sorts before any character of a topic name. */
    private static final String ROUTE_SEPARATOR = "\u0000";

    private final Map<String, Object> clients;
    private final Clock clock;
    private final ReplayRequest request;

    /** Replayed (or, in a dry run, matched) dead letters per source and target topic. */
    private final Map<String, AtomicLong> replayed = new ConcurrentHashMap<>();
    private final Map<String, Long> skippedNotReplayable = new TreeMap<>();
    private final Map<EventType, Long> byType = new HashMap<>();
    private final AtomicReference<Exception> failed = new AtomicReference<>();
    private long skippedNoSource;
    private long sent;
    private long matched;

    DeadLetterReplay(Map<String, Object> clients, Clock clock, ReplayRequest request) {
        this.clients = clients;
        this.clock = clock;
        this.request = request;
    }

    ReplayReport run() {
        Instant deadline = clock.instant().plus(request.timeout());
        boolean dryRun = request.dryRun();
        Map<String, Integer> partitionCounts = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> metadata = dryRun ? null : metadataConsumer(clients);
             KafkaProducer<byte[], byte[]> producer = dryRun ? null : producer(clients, request.timeout())) {
            new DeadLetterScan(clients, clock).scan(request.since(), deadline, d -> {
                if (!request.reason().name().equals(d.reason())) {
                    return true;
                }
                matched++;
                String target = target(d.sourceTopic());
                if (d.sourceTopic() == null) {
                    skippedNoSource++;
                    return true;
                }
                if (target == null) {
                    skippedNotReplayable.merge(d.sourceTopic(), 1L, Long::sum);
                    return true;
                }
                if (request.limit() != null && sent >= request.limit() || failed.get() != null) {
                    return false;
                }
                sent++;
                String ceType = d.header("ce_type");
                EventType.fromCeType(ceType == null ? "" : ceType).ifPresent(t -> byType.merge(t, 1L, Long::sum));
                AtomicLong done = replayed.computeIfAbsent(d.sourceTopic() + ROUTE_SEPARATOR + target, k -> new AtomicLong());
                if (dryRun) {
                    done.incrementAndGet();
                    return true;
                }
                int partitions = partitionCounts.computeIfAbsent(target, t -> partitionsOf(metadata, t, deadline));
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
        }
        return report();
    }

    /** Called once the producer is closed: every callback has run. */
    private ReplayReport report() {
        List<ReplayReport.Route> routes = new ArrayList<>();
        new TreeMap<>(replayed).forEach((key, n) -> {
            String[] parts = key.split(ROUTE_SEPARATOR, 2);
            routes.add(new ReplayReport.Route(parts[0], parts[1], n.get()));
        });
        long total = routes.stream().mapToLong(ReplayReport.Route::count).sum();
        boolean limitReached = request.limit() != null && sent >= request.limit();
        Exception error = failed.get();
        return new ReplayReport(request.reason(), request.since(), request.dryRun(), request.limit(), matched, routes, limitReached,
                skippedNoSource, new TreeMap<>(skippedNotReplayable), total == 0 ? List.of() : notes(),
                Optional.ofNullable(error).map(Exception::getMessage));
    }

    /** {@link DeadLetterService#replayTarget}. */
    static String target(String source) {
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

    /** What an operator should know about what was replayed. */
    private List<String> notes() {
        DeadLetterReason reason = request.reason();
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
        headers.add(DeadLetters.REPLAYED_FROM, d.position().getBytes(StandardCharsets.UTF_8));
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
