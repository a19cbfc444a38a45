package io.pushline.app;

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code pushline coordinators}: lists the parked coordinators (from the compacted {@code pushline.coordinators.parked}
 * topic) and retries or discards one (a command on {@code pushline.coordinators.commands}, keyed by the coordinator's
 * recipient so that it reaches the partition that owns it; the command then waits until the coordinator has left the
 * parked list).
 */
@Command(name = "coordinators", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists parked coordinators, and retries or discards one.",
        subcommands = {CoordinatorsCommand.ListParked.class, CoordinatorsCommand.Retry.class, CoordinatorsCommand.Discard.class})
final class CoordinatorsCommand implements Runnable {
    /** How long reading the parked list may take. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final String READ_TIMEOUT_TEXT = "30s";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list, retry or discard");
    }

    /** The cluster to talk to. */
    static final class Cluster {
        @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", defaultValue = "${env:PUSHLINE_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
                description = "Kafka bootstrap servers (env PUSHLINE_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
        String bootstrapServers;

        @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:PUSHLINE_KAFKA_CONFIG}",
                description = "A properties file of extra Kafka client settings (security), as for `pushline run`.")
        Path kafkaConfig;

        Map<String, Object> clients(CommandSpec spec) {
            Map<String, Object> config = RunCommand.loadKafkaConfig(kafkaConfig, spec);
            config.put("bootstrap.servers", bootstrapServers);
            config.put("request.timeout.ms", 10_000);
            config.put("default.api.timeout.ms", 20_000);
            return config;
        }
    }

    /** The parked coordinators, latest record per id; tombstoned ones are gone. */
    static Map<String, Admin.Parked> parked(Map<String, Object> clients, Duration timeout) {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, Admin.Parked> parked = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.COORDINATORS_PARKED, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.COORDINATORS_PARKED + " does not exist: are the coordinators running "
                        + "against " + clients.get("bootstrap.servers") + "?");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Instant deadline = Instant.now().plus(timeout);
            while (partitions.stream().anyMatch(p -> consumer.position(p, timeout) < end.get(p))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("could not read " + Topics.COORDINATORS_PARKED + " to its end within " + timeout);
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

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the parked coordinators.")
    static final class ListParked implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cluster cluster;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        DlqCommand.Format format;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> clients = cluster.clients(spec);
            return KafkaFailures.guarded(spec, "coordinators list", clients, READ_TIMEOUT_TEXT,
                    "Read on " + Topics.COORDINATORS_PARKED + " (" + AclsCommand.GRANTED_BY_ADMIN + ")", () -> list(clients));
        }

        private int list(Map<String, Object> clients) {
            Map<String, Admin.Parked> parked = parked(clients, READ_TIMEOUT);
            PrintWriter out = spec.commandLine().getOut();
            if (format == DlqCommand.Format.json) {
                List<Map<String, Object>> list = new ArrayList<>();
                for (Admin.Parked p : parked.values()) {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("id", p.id());
                    json.put("flow", p.flow());
                    json.put("recipient", p.recipient());
                    json.put("step", p.state());
                    json.put("parkedAt", p.parkedAt().toString());
                    json.put("failures", p.failures());
                    json.put("reason", p.reason());
                    list.add(json);
                }
                DlqCommand.printJson(out, Map.of("parked", list));
                return 0;
            }
            if (parked.isEmpty()) {
                out.println("no parked coordinators");
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "FLOW", "RECIPIENT", "STEP", "PARKED AT", "FAILURES", "REASON"});
            for (Admin.Parked p : parked.values()) {
                rows.add(new String[] {p.id(), p.flow(), p.recipient(), p.state(), p.parkedAt().toString(),
                        Integer.toString(p.failures()), p.reason()});
            }
            TextTable.print(out, rows, rows.get(0).length);
            out.printf("%d parked; retry one with `pushline coordinators retry ID`, or drop it with `pushline coordinators discard ID`%n",
                    parked.size());
            return 0;
        }
    }

    /** What retry and discard share. */
    abstract static class Act implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cluster cluster;

        @Parameters(index = "0", paramLabel = "ID", description = "The coordinator's id, as `pushline coordinators list` shows it.")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", defaultValue = "", description = "Why; journaled with the transition.")
        String note;

        @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s",
                description = "How long to wait for the coordinator to leave the parked list (default: ${DEFAULT-VALUE}; 0 does not wait).")
        String wait;

        abstract String action();

        @Override
        public Integer call() throws Exception {
            Duration waitFor;
            try {
                waitFor = "0".equals(wait) ? Duration.ZERO : Durations.parse(wait);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--wait: " + e.getMessage());
            }
            if (waitFor.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new ParameterException(spec.commandLine(), "--wait must be at most 10m, was " + wait);
            }
            Admin.Command command;
            try {
                command = new Admin.Command(action(), id, note);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, Object> clients = cluster.clients(spec);
            return KafkaFailures.guarded(spec, "coordinators " + action(), clients, READ_TIMEOUT_TEXT,
                    "Read on " + Topics.COORDINATORS_PARKED + " and Write on " + Topics.COORDINATOR_COMMANDS + " ("
                            + AclsCommand.GRANTED_BY_ADMIN + ")",
                    () -> act(clients, command, waitFor));
        }

        private int act(Map<String, Object> clients, Admin.Command command, Duration waitFor) throws Exception {
            Admin.Parked target = parked(clients, READ_TIMEOUT).get(id);
            PrintWriter out = spec.commandLine().getOut();
            if (target == null) {
                spec.commandLine().getErr().printf("coordinators %s: %s is not parked (`pushline coordinators list` shows the parked ones)%n",
                        action(), id);
                return 1;
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
                List<TopicPartition> partitions = watch.partitionsFor(Topics.COORDINATORS_PARKED, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                watch.assign(partitions);
                watch.seekToEnd(partitions);
                partitions.forEach(p -> watch.position(p, Duration.ofSeconds(30)));
                producer.send(new ProducerRecord<>(Topics.COORDINATOR_COMMANDS, target.recipient(), command.toJson())).get(30, TimeUnit.SECONDS);
                out.printf("sent %s for %s (%s for %s, parked in %s)%n", action(), id, target.flow(), target.recipient(), target.state());
                if (waitFor.isZero()) {
                    return 0;
                }
                Instant deadline = Instant.now().plus(waitFor);
                while (Instant.now().isBefore(deadline)) {
                    Duration left = Duration.between(Instant.now(), deadline);
                    for (ConsumerRecord<String, byte[]> r : watch.poll(left.compareTo(Duration.ofSeconds(1)) < 0 ? left : Duration.ofSeconds(1))) {
                        if (id.equals(r.key()) && r.value() == null) {
                            out.printf("%s: %s is no longer parked%n", action().equals("retry") ? "retried" : "discarded", id);
                            return 0;
                        }
                    }
                }
            }
            spec.commandLine().getErr().printf("coordinators %s: %s is still parked after %s (are the coordinators running? if the "
                    + "step failed again it was parked again: see `pushline coordinators list`)%n", action(), id, waitFor);
            return 1;
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Runs a parked coordinator's step again, with a fresh failure budget.")
    static final class Retry extends Act {
        @Override
        String action() {
            return "retry";
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true, description = "Gives up on a parked coordinator (it is journaled as DISCARDED).")
    static final class Discard extends Act {
        @Override
        String action() {
            return "discard";
        }
    }
}
