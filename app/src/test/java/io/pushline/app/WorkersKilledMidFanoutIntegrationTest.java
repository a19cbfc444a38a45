package io.pushline.app;

import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.localstack.LocalStack;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite, case "workers killed": the workers run as {@code pushline run --role workers} in a child JVM and are
 * SIGKILLed halfway through a fanout, started again, stopped with SIGTERM (drain and commit), started again, and joined
 * by a second worker (a rebalance). The router runs in this JVM; the mocks count every push across all lives. Nothing
 * is lost; the duplicates (pushes a mock accepted twice) are at most the pushes in flight at the kill, the worker's
 * in-flight window; the SIGTERM adds none.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WorkersKilledMidFanoutIntegrationTest {
    /**
     * Enough for four worker lives, each with thousands of pushes, against an in-flight window of 256 (it was 40,000, then 20,000:
     * the same stages, twice the waiting).
     */
    private static final int DEVICES = 12_000;

    @Test
    void workersKilledHalfwayThenRebalancedLoseNothingAndDuplicateAtMostTheirInFlightWindow(@TempDir Path dir) throws Exception {
        try (CrashRig rig = CrashRig.start(dir)) {
            int devices = DEVICES;
            rig.startInThisJvm("router-state", EnumSet.of(ProcessRole.ROUTER), false);
            List<String> tokens = TestAudience.seed(rig.bootstrapServers(), devices);
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.TOPOLOGY_GROUP,
                    List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES), Duration.ofMinutes(4));

            Process first = rig.startRole("workers", "workers-1");
            String eventId = TestAudience.post(rig.bootstrapServers());
            Set<String> expected = TestAudience.pushIds(eventId, tokens);
            rig.awaitAccepted(devices / 2, Duration.ofMinutes(4), first);
            first.destroyForcibly();   // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long acceptedAtKill = rig.accepted();
            Instant killed = Instant.now();

            Process second = rig.startRole("workers", "workers-2");
            // The restarted worker is then stopped with SIGTERM mid-fanout: it drains its in-flight pushes (each gets its
            // receipt), commits and exits; a pushed-but-unreceipted push would be sent again by the next worker, so the
            // stop must add no duplicate.
            rig.awaitAccepted(devices * 5L / 8, Duration.ofMinutes(4), second);
            long acceptedAtTerm = rig.accepted();
            second.destroy();   // SIGTERM
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the SIGTERMed worker exits after draining").isTrue();
            Instant termExited = Instant.now();
            assertThat(Files.readString(rig.dir().resolve("workers-2.log"))).contains("pushline: stopping (draining in-flight pushes)");

            Process third = rig.startRole("workers", "workers-3");
            // A second worker joins while the third is at work: the bulk lane's partitions are rebalanced.
            rig.awaitAccepted(devices * 3L / 4, Duration.ofMinutes(4), third);
            long acceptedAtJoin = rig.accepted();
            Instant joined = Instant.now();
            // A duplicate the SIGTERM caused is a push the second worker had sent (first accepted after the SIGKILL, before
            // it exited) and the third sent again (accepted again after that, before the fourth joined). Counting by the
            // mocks' acceptance times, not by totals at two moments, keeps the SIGKILL's own duplicates out of it: those
            // were first accepted before the kill, whenever the next worker happened to resend them.
            long addedByTerm = rig.sentAgainAfter(killed, termExited, joined);
            Process fourth = rig.startRole("workers", "workers-4");
            rig.awaitCondition(() -> rig.membersWithPartitions(LocalStack.BULK_GROUP) == 2, Duration.ofMinutes(2), fourth,
                    "both workers to own bulk partitions");
            rig.awaitAccepted(expected, Duration.ofMinutes(5), third);
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.BULK_GROUP, List.of(Topics.PUSH_BULK), Duration.ofMinutes(2));

            Map<String, Integer> counts = rig.acceptedByPushId();
            long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
            long duplicates = CrashRig.duplicates(counts);
            long unexpected = counts.keySet().stream().filter(id -> !expected.contains(id)).count();
            System.out.printf("WorkersKilledMidFanoutIntegrationTest: workers SIGKILLed after %,d of %,d pushes, restarted, joined by a second "
                    + "worker after %,d (SIGTERM and a restart in between); lost %d, duplicates %d (bound: in-flight window %d), unexpected %d%n",
                    acceptedAtKill, devices, acceptedAtJoin, lost, duplicates, CrashRig.IN_FLIGHT, unexpected);
            System.out.printf("WorkersKilledMidFanoutIntegrationTest: the restarted worker SIGTERMed after %,d of %,d pushes exited with %d after "
                    + "draining; duplicates added by that stop: %d%n", acceptedAtTerm, devices, second.exitValue(), addedByTerm);
            assertThat(lost).isZero();
            assertThat(unexpected).isZero();
            assertThat(duplicates).isLessThanOrEqualTo(CrashRig.IN_FLIGHT);
            assertThat(addedByTerm).as("duplicates after a SIGTERM (drained and committed)").isZero();
        }
    }
}
