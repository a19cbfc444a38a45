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
 * Fault suite, case "router killed": the router (expansion) runs as {@code pushline run --role router} in a child JVM
 * and is SIGKILLed mid-expansion. After the restart the job resumes from its cursor: every device gets exactly one push,
 * and the push-task topic holds exactly one committed task per device (nothing expanded twice).
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_2)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class RouterKilledMidExpansionIntegrationTest {
    @Test
    void routerKilledMidExpansionResumesFromItsCursorAndNoDeviceGetsASecondPush(@TempDir Path dir) throws Exception {
        try (CrashRig rig = CrashRig.start(dir)) {
            int devices = 20_000;
            Process first = rig.startRole("router", "router-1");
            rig.awaitCondition(() -> rig.topicExists(Topics.STATE_DEVICES), Duration.ofMinutes(2), first, "the router to create its topics");
            List<String> tokens = TestAudience.seed(rig.bootstrapServers(), devices);
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.TOPOLOGY_GROUP,
                    List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES), Duration.ofMinutes(4));

            rig.startInThisJvm("unused", EnumSet.of(ProcessRole.WORKERS), true);
            String eventId = TestAudience.post(rig.bootstrapServers());
            Set<String> expected = TestAudience.pushIds(eventId, tokens);
            // Kill while the job is still expanding: some tasks are out, far from all (the expansion runs ahead of delivery).
            rig.awaitCondition(() -> rig.endOffsets(Topics.PUSH_BULK) >= 4_000, Duration.ofMinutes(2), first, "the expansion to start");
            first.destroyForcibly();   // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long tasksAtKill = rig.endOffsets(Topics.PUSH_BULK);

            Process second = rig.startRole("router", "router-2");
            rig.awaitAccepted(expected, Duration.ofMinutes(5), second);
            LocalStack.awaitCaughtUp(rig.broker().admin(), LocalStack.BULK_GROUP, List.of(Topics.PUSH_BULK), Duration.ofMinutes(2));

            Map<String, Integer> counts = rig.acceptedByPushId();
            long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
            long duplicates = counts.values().stream().mapToLong(n -> n - 1L).sum();
            long committedTasks = rig.countCommitted(Topics.PUSH_BULK);
            System.out.printf("RouterKilledMidExpansionIntegrationTest: router SIGKILLed with %,d of %,d task offsets written; after restart "
                    + "lost %d, duplicates %d, committed push tasks %,d%n", tasksAtKill, devices, lost, duplicates, committedTasks);
            assertThat(tasksAtKill).as("killed mid-expansion").isLessThan(devices);
            assertThat(lost).isZero();
            assertThat(duplicates).isZero();
            assertThat(committedTasks).as("one committed task per device: resumed from the cursor, nothing expanded twice").isEqualTo(devices);
        }
    }
}
