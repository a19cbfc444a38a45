package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.localstack.LocalStack;
import io.pushline.observability.ConsumerLag;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import io.pushline.mock.FakeFcm;
import io.pushline.mock.MockApns;
import io.pushline.mock.PushLedger;
import io.pushline.testkit.KafkaCluster;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The world of one crash-recovery case: a broker of its own in this JVM, the mock providers (which count every push
 * they accept, across every life of a killed role), and {@link RoleProcesses} to run a role as {@code pushline run} in
 * a child JVM that the case SIGKILLs and starts again. Its helpers read what the mocks accepted and what the broker
 * committed.
 *
 * <p>Each case class owns one ({@link WorkersKilledMidFanoutIntegrationTest}, {@link RouterKilledMidExpansionIntegrationTest},
 * {@link CoordinatorsKilledMidStreamIntegrationTest}), so the three run in the fault lanes beside each other and beside
 * the shared broker's classes, instead of one after the other.
 */
final class CrashRig implements AutoCloseable {
    static final int PARTITIONS = 3;
    static final int IN_FLIGHT = 256;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final KafkaCluster broker;
    private final MockApns apns;
    private final FakeFcm fcm;
    private final RoleProcesses roles;
    private final Path dir;

    private CrashRig(Path dir) throws Exception {
        this.dir = dir;
        broker = KafkaCluster.start(1);
        closeables.add(broker);
        apns = MockApns.start();
        closeables.add(apns);
        fcm = FakeFcm.start();
        closeables.add(fcm);
        roles = new RoleProcesses(dir, broker.bootstrapServers(), apns, fcm, PARTITIONS, IN_FLIGHT);
        closeables.add(roles);
    }

    static CrashRig start(Path dir) throws Exception {
        return new CrashRig(dir);
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    KafkaCluster broker() {
        return broker;
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    Path dir() {
        return dir;
    }

    String logs() {
        return roles.logs();
    }

    /** Keeps {@code closeable} until the rig closes (closed before the mocks and the broker). */
    <T extends AutoCloseable> T keep(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /** Pipeline roles in this JVM, on the rig's broker, with real providers pointed at the mocks. */
    Pipeline startInThisJvm(String stateName, EnumSet<ProcessRole> roleSet, boolean withProviders) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return keep(Pipeline.start(settings(dir.resolve(stateName)), roleSet, withProviders ? providers(registry) : Map.of(), registry));
    }

    /** Pushes first accepted in [{@code from}, {@code until}) and accepted again in [{@code until}, {@code before}). */
    long sentAgainAfter(Instant from, Instant until, Instant before) {
        Map<String, List<Instant>> times = new HashMap<>();
        for (PushLedger.Accepted a : apns.ledger().accepted()) {
            times.computeIfAbsent(a.pushId(), k -> new ArrayList<>()).add(a.acceptedAt());
        }
        for (PushLedger.Accepted a : fcm.ledger().accepted()) {
            times.computeIfAbsent(a.pushId(), k -> new ArrayList<>()).add(a.acceptedAt());
        }
        return times.values().stream().filter(t -> {
            t.sort(null);
            Instant first = t.get(0);
            return !first.isBefore(from) && first.isBefore(until)
                    && t.stream().skip(1).anyMatch(again -> !again.isBefore(until) && again.isBefore(before));
        }).count();
    }

    /** Committed records on {@code topic} by their {@code ce_id}, as a read_committed consumer sees them. */
    Map<String, Integer> committedByCeId(String topic) {
        Map<String, Integer> byId = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_committed")) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(Instant.now()).as("reading " + topic + " to its end").isBefore(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    org.apache.kafka.common.header.Header id = r.headers().lastHeader("ce_id");
                    assertThat(id).as("a ce_id on every record of " + topic).isNotNull();
                    byId.merge(new String(id.value(), java.nio.charset.StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
        }
        return byId;
    }

    /** Whether {@code group} has consumed and committed everything on {@code topic}. */
    boolean caughtUp(String group, String topic) {
        try {
            return new ConsumerLag(broker.admin()).lag(group, List.of(topic)) == 0;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private Pipeline.Settings settings(Path stateDir) {
        return new Pipeline.Settings(broker.bootstrapServers(), Map.of(), PARTITIONS, Replication.Choice.AUTO, stateDir, LocalStack.TOPOLOGY_GROUP, IN_FLIGHT);
    }

    private Map<io.pushline.push.Platform, io.pushline.push.PushProvider> providers(SimpleMeterRegistry registry) throws Exception {
        ProviderOptions options = new ProviderOptions();
        new picocli.CommandLine(options).parseArgs(roles.providerArgs().toArray(String[]::new));
        Map<io.pushline.push.Platform, io.pushline.push.PushProvider> providers = options.realProviders(registry, 4096, name -> null);
        providers.values().forEach(closeables::add);
        return providers;
    }

    /** {@code pushline run --role ROLE} in a new JVM; router roles get small pages, so that a kill lands mid-expansion. */
    Process startRole(String role, String name) throws Exception {
        // Small pages (200 devices per partition every 50 ms) so that the kill lands mid-expansion.
        return role.equals("workers") ? roles.start(role, name)
                : roles.start(role, name, "--expansion-page-size", "200", "--expansion-page-interval", "50ms");
    }

    long accepted() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
    }

    Map<String, Integer> acceptedByPushId() {
        Map<String, Integer> all = new HashMap<>(apns.ledger().countsByPushId());
        fcm.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        return all;
    }

    void awaitAccepted(long count, Duration timeout, Process child) {
        awaitCondition(() -> accepted() >= count, timeout, child, count + " accepted pushes");
    }

    void awaitAccepted(Set<String> expected, Duration timeout, Process child) {
        awaitCondition(() -> accepted() >= expected.size() && acceptedByPushId().keySet().containsAll(expected), timeout, child,
                "every expected push (" + expected.size() + ") accepted");
    }

    static long duplicates(Map<String, Integer> counts) {
        return counts.values().stream().mapToLong(n -> n - 1L).sum();
    }

    /** Waits for the condition; fails at once, with the child's log, if the child died. */
    void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout, Process child, String what) {
        Waits.until(() -> {
            if (!child.isAlive()) {
                throw new IllegalStateException("the child JVM exited with " + child.exitValue() + " while waiting for " + what
                        + "; its log:\n" + roles.logs());
            }
            return condition.getAsBoolean();
        }, timeout, () -> what + " (accepted so far: " + accepted() + ")");
    }

    /** Members of the group that own at least one partition. */
    int membersWithPartitions(String group) {
        try {
            return (int) broker.admin().describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group)
                    .members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
        } catch (Exception e) {
            return 0;
        }
    }

    boolean topicExists(String topic) {
        try {
            return broker.admin().listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
        } catch (Exception e) {
            return false;
        }
    }

    long endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_uncommitted")) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Records on the topic as a read_committed consumer sees them (transaction markers and aborted writes excluded). */
    long countCommitted(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_committed")) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long count = 0;
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(Instant.now()).as("reading " + topic + " to its end").isBefore(deadline);
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer(String isolation) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }
}
