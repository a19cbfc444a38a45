package io.pushline.admin;

import io.pushline.contracts.Topics;
import io.pushline.coordinators.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The parked coordinators: lists them (from the compacted {@code pushline.coordinators.parked} topic), and retries or
 * discards one (a command on {@code pushline.coordinators.commands}, keyed by the coordinator's recipient so that it
 * reaches the partition that owns it), then waits until the coordinator has left the parked list. Used by
 * {@code pushline coordinators} and the admin API alike.
 *
 * <p>Expected outcomes are {@link ActOutcome}s ("not parked" among them). Failures are exceptions: Kafka's own
 * ({@link AdminFailures} words them), an {@link IllegalStateException} when the parked topic does not exist or cannot
 * be read to its end in time, and those of sending the command ({@link java.util.concurrent.ExecutionException},
 * {@link java.util.concurrent.TimeoutException}). Thread-safe: each call uses clients of its own.
 */
public final class ParkedCoordinators {
    /** How long reading the parked list may take. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** {@link #READ_TIMEOUT} as the messages quote it. */
    public static final String READ_TIMEOUT_TEXT = "30s";
    /** The ACLs listing needs, for the "not authorised" line. */
    public static final String NEEDS_LIST = "Read on " + Topics.COORDINATORS_PARKED + " (" + AccessControl.GRANTED_BY_ADMIN + ")";
    /** The ACLs retrying and discarding need, for the "not authorised" line. */
    public static final String NEEDS_ACT = "Read on " + Topics.COORDINATORS_PARKED + " and Write on " + Topics.COORDINATOR_COMMANDS
            + " (" + AccessControl.GRANTED_BY_ADMIN + ")";
    private static final Duration POLL = Duration.ofSeconds(1);

    private final Map<String, Object> clients;
    private final Clock clock;

    /** Works with the Kafka client settings {@code clients} (see {@link AdminArguments#clients}); times by {@code clock}. */
    public ParkedCoordinators(Map<String, Object> clients, Clock clock) {
        this.clients = Collections.unmodifiableMap(new HashMap<>(clients));
        this.clock = clock;
    }

    /** The parked coordinators, latest record per id; tombstoned ones are gone, unreadable ones skipped. */
    public ParkedList list() {
        return new ParkedList(new ArrayList<>(parked().values()));
    }

    /**
     * The command to send for {@code action} on the coordinator {@code id}, with {@code note} (journaled with the
     * transition; cut at 300 characters).
     *
     * @throws IllegalArgumentException naming the problem, for an id that is blank or too long
     */
    public static Admin.Command command(CoordinatorAction action, String id, String note) {
        return new Admin.Command(action.label(), id, note);
    }

    /**
     * Sends {@code command} if its coordinator is parked, then waits up to {@code wait} (zero: not at all) until it has left
     * the parked list. Each output line is handed to {@code output} as soon as it is known (the command line prints it at
     * once); the outcome holds the same lines.
     */
    public ActOutcome act(Admin.Command command, Duration wait, Consumer<String> output) throws Exception {
        CoordinatorAction action = CoordinatorAction.valueOf(command.action().toUpperCase(Locale.ROOT));
        String id = command.id();
        Admin.Parked target = parked().get(id);
        if (target == null) {
            return new ActOutcome.NotParked(action, id);
        }
        Map<String, Object> consumerConfig = new HashMap<>(clients);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, Object> config = new HashMap<>(clients);
        config.put("acks", "all");
        config.put("enable.idempotence", true);
        try (KafkaConsumer<String, byte[]> watch = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            // Watch the parked topic from its current end: the coordinator leaves the list with a tombstone.
            List<TopicPartition> partitions = watch.partitionsFor(Topics.COORDINATORS_PARKED, READ_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            watch.assign(partitions);
            watch.seekToEnd(partitions);
            partitions.forEach(p -> watch.position(p, READ_TIMEOUT));
            producer.send(new ProducerRecord<>(Topics.COORDINATOR_COMMANDS, target.recipient(), command.toJson()))
                    .get(READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            ActOutcome.Sent sent = new ActOutcome.Sent(action, id, target);
            output.accept(sent.output().get(0));
            if (wait.isZero()) {
                return sent;
            }
            Instant deadline = clock.instant().plus(wait);
            while (clock.instant().isBefore(deadline)) {
                Duration left = Duration.between(clock.instant(), deadline);
                for (ConsumerRecord<String, byte[]> r : watch.poll(left.compareTo(POLL) < 0 ? left : POLL)) {
                    if (id.equals(r.key()) && r.value() == null) {
                        ActOutcome.Left gone = new ActOutcome.Left(action, id, target);
                        output.accept(gone.output().get(1));
                        return gone;
                    }
                }
            }
        }
        return new ActOutcome.StillParked(action, id, target, wait);
    }

    /** The parked coordinators, latest record per id; tombstoned ones are gone. */
    private Map<String, Admin.Parked> parked() {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, Admin.Parked> parked = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.COORDINATORS_PARKED, READ_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.COORDINATORS_PARKED + " does not exist: are the coordinators running "
                        + "against " + clients.get("bootstrap.servers") + "?");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
            Instant deadline = clock.instant().plus(READ_TIMEOUT);
            while (partitions.stream().anyMatch(p -> consumer.position(p, READ_TIMEOUT) < end.get(p))) {
                if (clock.instant().isAfter(deadline)) {
                    throw new IllegalStateException("could not read " + Topics.COORDINATORS_PARKED + " to its end within " + READ_TIMEOUT);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) {
                        continue;
                    }
                    if (r.value() == null) {
                        parked.remove(r.key());
                    } else {
                        try {
                            parked.put(r.key(), Admin.Parked.fromJson(r.value()));
                        } catch (IllegalArgumentException bad) {
                            parked.remove(r.key());
                        }
                    }
                }
            }
        }
        return parked;
    }
}
