package io.pushline.app;

import io.pushline.contracts.Lane;
import io.pushline.mock.Behaviour;
import io.pushline.mock.Verdict;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite, case g): FCM answers 503 (Retry-After 10 s), so the bulk lane's FCM pushes wait in the delay topics; the
 * workers' process is SIGKILLed while they wait, and started again, and FCM recovers. The retry records are the durable part of a retry: the new
 * process reads them from the committed offsets and sends each when due. Nothing lost, duplicates within the
 * in-flight window.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_2)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class WorkersKilledWhileRetriesWaitIntegrationTest {
    private static final int DEVICES = 2_000;

    @Test
    void retriesWaitingInTheDelayTopicsSurviveTheWorkersBeingKilled(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("workers-killed-retries-waiting", dir,
                FaultRig.Setup.defaults().withRoles(EnumSet.of(ProcessRole.ROUTER, ProcessRole.COORDINATORS)))) {
            List<String> tokens = rig.seedAudience(DEVICES);
            // FCM is down until the second process runs: every FCM push waits in a delay topic meanwhile.
            rig.mocks().fcm.behaviour(Behaviour.always(Verdict.serviceUnavailable(Duration.ofSeconds(10))));
            Process first = rig.roleProcesses().start("workers", "workers-1");
            Set<String> expected = rig.post(tokens);
            List<String> retryTopics = RetryTopics.names(WorkerConfig.defaults(Lane.BULK));
            Waits.until(() -> {
                assertThat(first.isAlive()).as("workers-1 alive").isTrue();
                return recordsIn(rig, retryTopics) >= 100;
            }, Duration.ofMinutes(3), () -> "retries waiting in " + retryTopics + "; logs:\n" + rig.roleProcesses().logs());
            rig.markFault();
            long acceptedAtKill = rig.mocks().acceptedCount();
            first.destroyForcibly();   // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            System.out.printf("WorkersKilledWhileRetriesWaitIntegrationTest: killed with %,d retry records written, %,d pushes accepted%n",
                    recordsIn(rig, retryTopics), acceptedAtKill);

            Process second = rig.roleProcesses().start("workers", "workers-2");
            rig.mocks().fcm.behaviour(Behaviour.acceptAll());
            rig.awaitEveryPush(expected, Duration.ofMinutes(3), FaultRig.IN_FLIGHT);
            assertThat(second.isAlive()).isTrue();
        }
    }

    private static long recordsIn(FaultRig rig, List<String> topics) {
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (var description : rig.admin().describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                description.partitions().forEach(p -> latest.put(new TopicPartition(description.name(), p.partition()), OffsetSpec.latest()));
            }
            return rig.admin().listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
        } catch (Exception e) {
            return 0;   // not created yet
        }
    }
}
