package io.pushline.admin;

import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads {@link Topics#DEAD_LETTERS} once, bounded: from the beginning (or from {@code since}) up to the end offsets
 * captured when the scan starts, so it never waits for new records and never reads the dead letters a replay causes;
 * and within a deadline. Records are read {@code read_committed}: a dead letter of an aborted Streams transaction
 * (which the retried transaction wrote again) is not seen twice.
 *
 * <p>{@code since} is about when a record was dead-lettered ({@link DeadLetters#DEAD_LETTERED_AT}; the record's
 * timestamp if it has no such header). Kafka finds records by their own timestamp, which for the Streams apps' dead
 * letters is the original event's (earlier than its dead-lettering by the consumer's lag), so the scan starts at the
 * first record stamped {@link #SEEK_MARGIN} before {@code since} and filters by the header: a record whose event
 * was stamped more than that before it was dead-lettered (a router hours behind) is missed by a {@code since} scan.
 *
 * <p>One use per instance; not thread-safe. The consumer is closed before {@link #scan} returns.
 */
public final class DeadLetterScan {
    /** How far before {@code since} the scan starts looking, by record timestamp. */
    public static final Duration SEEK_MARGIN = Duration.ofHours(1);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration CALL_TIMEOUT_CAP = Duration.ofSeconds(30);

    /** A dead letter as read: where it is on the dead-letter topic, its record, and its dead-letter headers. */
    public record DeadLetter(int partition, long offset, ConsumerRecord<byte[], byte[]> record, String reason, String detail,
                      String sourceTopic, Integer sourcePartition, Instant deadLetteredAt) {
        /** {@code pushline.dead-letters-PARTITION@OFFSET}, the value of {@link DeadLetters#REPLAYED_FROM}. */
        public String position() {
            return Topics.DEAD_LETTERS + "-" + partition + "@" + offset;
        }

        /** The value of header {@code name} as UTF-8, or null. */
        public String header(String name) {
            return DeadLetterScan.header(record.headers(), name);
        }
    }

    /** What a scan saw: the dead letters read in the range, and how many of them matched {@code since}. */
    public record Totals(long read, long inRange) {}

    private final Map<String, Object> clients;
    private final Clock clock;

    public DeadLetterScan(Map<String, Object> clients, Clock clock) {
        this.clients = clients;
        this.clock = clock;
    }

    /**
     * Hands every dead letter dead-lettered at or after {@code since} (null: all) to {@code each}, in offset order per
     * partition, until the captured end offsets or until {@code each} answers false.
     *
     * @throws DlqException if the topic does not exist or cannot be read to its end by {@code deadline}
     */
    public Totals scan(Instant since, Instant deadline, Predicate<DeadLetter> each) {
        Map<String, Object> config = readerConfig(clients, "pushline-dlq");
        long read = 0;
        long inRange = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.DEAD_LETTERS, left(deadline));
            if (infos == null || infos.isEmpty()) {
                throw new DlqException("topic " + Topics.DEAD_LETTERS + " does not exist on " + clients.get("bootstrap.servers")
                        + ": is Pushline deployed there?");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, left(deadline));
            if (since == null) {
                consumer.seekToBeginning(partitions);
            } else {
                long from = since.minus(SEEK_MARGIN).toEpochMilli();
                Map<TopicPartition, Long> query = new HashMap<>();
                partitions.forEach(p -> query.put(p, Math.max(0, from)));
                Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, left(deadline));
                for (TopicPartition p : partitions) {
                    OffsetAndTimestamp at = found.get(p);
                    consumer.seek(p, at == null ? end.get(p) : Math.min(at.offset(), end.get(p)));
                }
            }
            List<TopicPartition> open = new ArrayList<>();
            for (TopicPartition p : partitions) {
                if (consumer.position(p, left(deadline)) < end.get(p)) {
                    open.add(p);
                }
            }
            consumer.pause(partitions.stream().filter(p -> !open.contains(p)).toList());
            while (!open.isEmpty()) {
                if (!clock.instant().isBefore(deadline)) {
                    throw new DlqException("could not read " + Topics.DEAD_LETTERS + " to its end in time (" + read
                            + " dead letters read); give a longer --timeout, or a --since");
                }
                Duration wait = left(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait.compareTo(POLL) < 0 ? wait : POLL)) {
                    TopicPartition p = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(p)) {
                        continue;   // written after the scan started (perhaps by this very replay)
                    }
                    read++;
                    DeadLetter letter = view(r);
                    if (since != null && letter.deadLetteredAt().isBefore(since)) {
                        continue;
                    }
                    inRange++;
                    if (!each.test(letter)) {
                        return new Totals(read, inRange);
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
        return new Totals(read, inRange);
    }

    /**
     * A consumer that only reads: committed records, no group (nothing committed for it), no topic created by asking for
     * it; named {@code clientId}.
     */
    public static Map<String, Object> readerConfig(Map<String, Object> clients, String clientId) {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return config;
    }

    private Duration left(Instant deadline) {
        Duration left = Duration.between(clock.instant(), deadline);
        if (left.isNegative() || left.isZero()) {
            return Duration.ofMillis(1);
        }
        return left.compareTo(CALL_TIMEOUT_CAP) > 0 ? CALL_TIMEOUT_CAP : left;
    }

    private static DeadLetter view(ConsumerRecord<byte[], byte[]> r) {
        Headers h = r.headers();
        Integer sourcePartition = null;
        String p = header(h, DeadLetters.SOURCE_PARTITION);
        if (p != null) {
            try {
                sourcePartition = Integer.valueOf(p.trim());
            } catch (NumberFormatException bad) {
                sourcePartition = null;
            }
        }
        Instant at = Instant.ofEpochMilli(r.timestamp());
        String time = header(h, DeadLetters.DEAD_LETTERED_AT);
        if (time != null) {
            try {
                at = Instant.parse(time.trim());
            } catch (DateTimeParseException bad) {
                // keep the record's timestamp
            }
        }
        String source = header(h, DeadLetters.SOURCE_TOPIC);
        return new DeadLetter(r.partition(), r.offset(), r, header(h, DeadLetters.REASON), header(h, DeadLetters.DETAIL),
                source == null || source.isBlank() ? null : source, sourcePartition, at);
    }

    public static String header(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** An expected failure of a dlq command: one clear line for the operator, exit code 1. */
    public static final class DlqException extends RuntimeException {
        public DlqException(String message) {
            super(message);
        }
    }
}
