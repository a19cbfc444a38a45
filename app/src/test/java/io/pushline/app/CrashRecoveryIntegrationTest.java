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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.io.File;
import java.nio.file.Files;
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
 * A fanout survives SIGKILL. The role under test runs as {@code pushline run} in a separate JVM and is killed with
 * SIGKILL halfway, then started again; the broker, the mock providers (which count every push they accept, across
 * both lives of the role) and the other role stay up in this JVM.
 *
 * <ul>
 *   <li>Workers killed halfway through a 40,000-device fanout, restarted, and joined by a second worker at three
 *       quarters (a rebalance): nothing is lost, and the duplicates (pushes the mock accepted twice) are at most the
 *       pushes in flight at the kill: the worker's in-flight window.</li>
 *   <li>The router (expansion) killed mid-expansion: after the restart the job resumes from its cursor; every device
 *       gets exactly one push, and the push-task topic holds exactly one committed task per device (nothing
 *       re-expanded).</li>
 *   <li>The coordinators killed while likes stream in, then restarted on the same state: every like completes, and each
 *       of its records (saved like, timeline entry, activity, notification, push task) is committed exactly once; no
 *       push is sent twice.</li>
 * </ul>
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class CrashRecoveryIntegrationTest {
    private static final int PARTITIONS = 3;
    private static final int IN_FLIGHT = 256;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RoleProcesses roles;
    /**
     * A broker of its own (in this JVM), not the shared one: the class is the longest of the suite, and runs in a fault
     * lane beside the shared broker's classes instead of after them.
     */
    private static KafkaCluster broker;
    private MockApns apns;
    private FakeFcm fcm;
    private Path dir;

    @BeforeAll
    static void startBroker() {
        broker = KafkaCluster.start(1);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void setUp(@TempDir Path dir) throws Exception {
        this.dir = dir;
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        // Default group ids are shared with other tests in this JVM: start from no committed offsets.
        try {
            admin.deleteConsumerGroups(List.of(LocalStack.BULK_GROUP, LocalStack.HIGH_GROUP, LocalStack.TOPOLOGY_GROUP,
                            CoordinatorTopology.DEFAULT_APPLICATION_ID))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // groups that never existed
        }
        apns = MockApns.start();
        fcm = FakeFcm.start();
        closeables.add(apns);
        closeables.add(fcm);
        roles = new RoleProcesses(dir, broker.bootstrapServers(), apns, fcm, PARTITIONS, IN_FLIGHT);
    }

    @AfterEach
    void tearDown() throws Exception {
        roles.close();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void workersKilledHalfwayThenRebalancedLoseNothingAndDuplicateAtMostTheirInFlightWindow() throws Exception {
        int devices = 40_000;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Pipeline router = Pipeline.start(settings(dir.resolve("router-state")), EnumSet.of(ProcessRole.ROUTER), Map.of(), registry);
        closeables.add(router);
        List<String> tokens = TestAudience.seed(broker.bootstrapServers(), devices);
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.TOPOLOGY_GROUP,
                List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES), Duration.ofMinutes(4));

        Process first = startRole("workers", "workers-1");
        String eventId = TestAudience.post(broker.bootstrapServers());
        Set<String> expected = TestAudience.pushIds(eventId, tokens);
        awaitAccepted(devices / 2, Duration.ofMinutes(4), first);
        first.destroyForcibly();   // SIGKILL
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long acceptedAtKill = accepted();
        Instant killed = Instant.now();

        Process second = startRole("workers", "workers-2");
        // The restarted worker is then stopped with SIGTERM mid-fanout: it drains its in-flight pushes (each gets its
        // receipt), commits and exits; a pushed-but-unreceipted push would be sent again by the next worker, so the
        // stop must add no duplicate.
        awaitAccepted(devices * 5L / 8, Duration.ofMinutes(4), second);
        long acceptedAtTerm = accepted();
        second.destroy();   // SIGTERM
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the SIGTERMed worker exits after draining").isTrue();
        Instant termExited = Instant.now();
        assertThat(Files.readString(dir.resolve("workers-2.log"))).contains("pushline: stopping (draining in-flight pushes)");

        Process third = startRole("workers", "workers-3");
        // A second worker joins while the third is at work: the bulk lane's partitions are rebalanced.
        awaitAccepted(devices * 3L / 4, Duration.ofMinutes(4), third);
        long acceptedAtJoin = accepted();
        Instant joined = Instant.now();
        // A duplicate the SIGTERM caused is a push the second worker had sent (first accepted after the SIGKILL, before
        // it exited) and the third sent again (accepted again after that, before the fourth joined). Counting by the
        // mocks' acceptance times, not by totals at two moments, keeps the SIGKILL's own duplicates out of it: those
        // were first accepted before the kill, whenever the next worker happened to resend them.
        long addedByTerm = sentAgainAfter(killed, termExited, joined);
        Process fourth = startRole("workers", "workers-4");
        awaitCondition(() -> membersWithPartitions(LocalStack.BULK_GROUP) == 2, Duration.ofMinutes(2), fourth,
                "both workers to own bulk partitions");
        awaitAccepted(expected, Duration.ofMinutes(5), third);
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.BULK_GROUP, List.of(Topics.PUSH_BULK), Duration.ofMinutes(2));

        Map<String, Integer> counts = acceptedByPushId();
        long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
        long duplicates = duplicates(counts);
        long unexpected = counts.keySet().stream().filter(id -> !expected.contains(id)).count();
        System.out.printf("CrashRecoveryIntegrationTest: workers SIGKILLed after %,d of %,d pushes, restarted, joined by a second "
                + "worker after %,d (SIGTERM and a restart in between); lost %d, duplicates %d (bound: in-flight window %d), unexpected %d%n",
                acceptedAtKill, devices, acceptedAtJoin, lost, duplicates, IN_FLIGHT, unexpected);
        System.out.printf("CrashRecoveryIntegrationTest: the restarted worker SIGTERMed after %,d of %,d pushes exited with %d after "
                + "draining; duplicates added by that stop: %d%n", acceptedAtTerm, devices, second.exitValue(), addedByTerm);
        assertThat(lost).isZero();
        assertThat(unexpected).isZero();
        assertThat(duplicates).isLessThanOrEqualTo(IN_FLIGHT);
        assertThat(addedByTerm).as("duplicates after a SIGTERM (drained and committed)").isZero();
    }

    @Test
    void routerKilledMidExpansionResumesFromItsCursorAndNoDeviceGetsASecondPush() throws Exception {
        int devices = 20_000;
        Process first = startRole("router", "router-1");
        awaitCondition(() -> topicExists(Topics.STATE_DEVICES), Duration.ofMinutes(2), first, "the router to create its topics");
        List<String> tokens = TestAudience.seed(broker.bootstrapServers(), devices);
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.TOPOLOGY_GROUP,
                List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES), Duration.ofMinutes(4));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Pipeline workers = Pipeline.start(settings(dir.resolve("unused")), EnumSet.of(ProcessRole.WORKERS), providers(registry), registry);
        closeables.add(workers);
        String eventId = TestAudience.post(broker.bootstrapServers());
        Set<String> expected = TestAudience.pushIds(eventId, tokens);
        // Kill while the job is still expanding: some tasks are out, far from all (the expansion runs ahead of delivery).
        awaitCondition(() -> endOffsets(Topics.PUSH_BULK) >= 4_000, Duration.ofMinutes(2), first, "the expansion to start");
        first.destroyForcibly();   // SIGKILL
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long tasksAtKill = endOffsets(Topics.PUSH_BULK);

        Process second = startRole("router", "router-2");
        awaitAccepted(expected, Duration.ofMinutes(5), second);
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.BULK_GROUP, List.of(Topics.PUSH_BULK), Duration.ofMinutes(2));

        Map<String, Integer> counts = acceptedByPushId();
        long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
        long duplicates = counts.values().stream().mapToLong(n -> n - 1L).sum();
        long committedTasks = countCommitted(Topics.PUSH_BULK);
        System.out.printf("CrashRecoveryIntegrationTest: router SIGKILLed with %,d of %,d task offsets written; after restart "
                + "lost %d, duplicates %d, committed push tasks %,d%n", tasksAtKill, devices, lost, duplicates, committedTasks);
        assertThat(tasksAtKill).as("killed mid-expansion").isLessThan(devices);
        assertThat(lost).isZero();
        assertThat(duplicates).isZero();
        assertThat(committedTasks).as("one committed task per device: resumed from the cursor, nothing expanded twice").isEqualTo(devices);
    }

    @Test
    void coordinatorsKilledMidStreamCompleteEveryLikeAndCommitEachOutputOnce() throws Exception {
        int owners = 200;
        int likes = 1_200;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Pipeline pipeline = Pipeline.start(settings(dir.resolve("pipeline-state")), EnumSet.of(ProcessRole.ROUTER, ProcessRole.WORKERS),
                providers(registry), registry);
        closeables.add(pipeline);
        List<String> tokens = TestAudience.seed(broker.bootstrapServers(), owners * 2);   // follower-i owns tokens 2i and 2i+1
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.TOPOLOGY_GROUP,
                List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_DEVICES), Duration.ofMinutes(2));

        Process first = startRole("coordinators", "coordinators-1");
        awaitCondition(() -> caughtUp(CoordinatorTopology.DEFAULT_APPLICATION_ID, Topics.STATE_DEVICES), Duration.ofMinutes(2), first,
                "the coordinators to know every device");

        // Likes stream in at about 200/s; the kill lands while they do, so transactions are open (journal entries and
        // step outputs written, not committed) at the kill.
        TestAudience.Likes batch = TestAudience.likes(tokens, owners, likes);   // follower-i owns tokens 2i and 2i+1
        Set<String> expected = batch.pushIds();
        Set<String> likeIds = new java.util.HashSet<>();
        batch.events().forEach(like -> likeIds.add(like.id()));
        java.util.concurrent.atomic.AtomicReference<Exception> publishFailure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread publisher = new Thread(() -> {
            try {
                TestAudience.publishPaced(broker.bootstrapServers(), batch.events(), 200);
            } catch (RuntimeException e) {
                publishFailure.set(e);
            }
        }, "likes-publisher");
        publisher.start();
        awaitAccepted(expected.size() / 4, Duration.ofMinutes(2), first);
        first.destroyForcibly();   // SIGKILL
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long acceptedAtKill = accepted();

        Process second = startRole("coordinators", "coordinators-1");   // the same state directory: a restart
        awaitAccepted(expected, Duration.ofMinutes(4), second);
        publisher.join(TimeUnit.MINUTES.toMillis(1));
        assertThat(publishFailure.get()).isNull();
        awaitCondition(() -> caughtUp(CoordinatorTopology.DEFAULT_APPLICATION_ID, Topics.EVENTS), Duration.ofMinutes(2), second,
                "the coordinators to finish the events");
        LocalStack.awaitCaughtUp(broker.admin(), LocalStack.HIGH_GROUP, List.of(Topics.PUSH_HIGH), Duration.ofMinutes(2));

        Map<String, Integer> counts = acceptedByPushId();
        long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
        long duplicates = duplicates(counts);
        Map<String, Map<String, Integer>> committed = new java.util.LinkedHashMap<>();
        for (String topic : List.of(Topics.STATE_LIKES, Topics.TIMELINE_ENTRIES, Topics.ACTIVITY, Topics.NOTIFICATIONS, Topics.PUSH_HIGH)) {
            committed.put(topic, committedByCeId(topic));
        }
        long aborted = endOffsets(Topics.ACTIVITY) - committed.get(Topics.ACTIVITY).values().stream().mapToLong(Integer::longValue).sum();
        System.out.printf("CrashRecoveryIntegrationTest: coordinators SIGKILLed after %,d of %,d like pushes, restarted; lost %d, "
                + "duplicates %d; committed records %s; activity offsets not committed (aborted writes and markers): %d%n",
                acceptedAtKill, expected.size(), lost, duplicates,
                committed.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).toList(), aborted);
        assertThat(acceptedAtKill).as("killed mid-stream").isLessThan(expected.size());
        assertThat(lost).isZero();
        assertThat(duplicates).isZero();
        committed.forEach((topic, byId) -> {
            assertThat(byId.values()).as("each record on " + topic + " committed once").isNotEmpty().allMatch(n -> n == 1);
        });
        assertThat(committed.get(Topics.STATE_LIKES).keySet()).as("the saved likes are the original events").isEqualTo(likeIds);
        assertThat(committed.get(Topics.TIMELINE_ENTRIES)).hasSize(likes);
        // The seeding's follows (each owner follows author-0, who has no device) ran the follow flow: an activity entry and
        // a notification each, no push.
        assertThat(committed.get(Topics.ACTIVITY)).hasSize(likes + owners);
        assertThat(committed.get(Topics.NOTIFICATIONS)).hasSize(likes + owners);
        assertThat(committed.get(Topics.PUSH_HIGH).keySet()).isEqualTo(expected);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Pushes first accepted in [{@code from}, {@code until}) and accepted again in [{@code until}, {@code before}). */
    private long sentAgainAfter(Instant from, Instant until, Instant before) {
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
    private Map<String, Integer> committedByCeId(String topic) {
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
    private boolean caughtUp(String group, String topic) {
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
    private Process startRole(String role, String name) throws Exception {
        // Small pages (200 devices per partition every 50 ms) so that the kill lands mid-expansion.
        return role.equals("workers") ? roles.start(role, name)
                : roles.start(role, name, "--expansion-page-size", "200", "--expansion-page-interval", "50ms");
    }

    private long accepted() {
        return apns.ledger().acceptedCount() + fcm.ledger().acceptedCount();
    }

    private Map<String, Integer> acceptedByPushId() {
        Map<String, Integer> all = new HashMap<>(apns.ledger().countsByPushId());
        fcm.ledger().countsByPushId().forEach((id, n) -> all.merge(id, n, Integer::sum));
        return all;
    }

    private void awaitAccepted(long count, Duration timeout, Process child) {
        awaitCondition(() -> accepted() >= count, timeout, child, count + " accepted pushes");
    }

    private void awaitAccepted(Set<String> expected, Duration timeout, Process child) {
        awaitCondition(() -> accepted() >= expected.size() && acceptedByPushId().keySet().containsAll(expected), timeout, child,
                "every expected push (" + expected.size() + ") accepted");
    }

    private static long duplicates(Map<String, Integer> counts) {
        return counts.values().stream().mapToLong(n -> n - 1L).sum();
    }

    /** Waits for the condition; fails at once, with the child's log, if the child died. */
    private void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout, Process child, String what) {
        Waits.until(() -> {
            if (!child.isAlive()) {
                throw new IllegalStateException("the child JVM exited with " + child.exitValue() + " while waiting for " + what
                        + "; its log:\n" + roles.logs());
            }
            return condition.getAsBoolean();
        }, timeout, () -> what + " (accepted so far: " + accepted() + ")");
    }

    /** Members of the group that own at least one partition. */
    private int membersWithPartitions(String group) {
        try {
            return (int) broker.admin().describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group)
                    .members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
        } catch (Exception e) {
            return 0;
        }
    }

    private boolean topicExists(String topic) {
        try {
            return broker.admin().listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
        } catch (Exception e) {
            return false;
        }
    }

    private long endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_uncommitted")) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Records on the topic as a read_committed consumer sees them (transaction markers and aborted writes excluded). */
    private long countCommitted(String topic) {
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
