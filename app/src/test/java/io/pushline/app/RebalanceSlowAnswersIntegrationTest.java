package io.pushline.app;

import io.pushline.mock.Behaviour;
import io.pushline.mock.Verdict;
import io.pushline.testkit.Waits;
import io.pushline.workers.WorkerConfig;
import io.pushline.workers.WorkerMetrics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite, case f): a rebalance (a second worker instance joins) while FCM's answers take longer than the drain
 * timeout. The revoked partitions' pushes still waiting for an answer are handed over uncommitted: their new owner
 * may send them again. Nothing is lost, and every duplicate is one of those hand-overs, counted in
 * {@link WorkerMetrics#HANDED_OVER} and printed.
 *
 * <p>Scaled: the drain timeout is 1 s (default 130 s, longer than a provider may take to answer, so that by default a
 * hand-over waits for every answer) and FCM answers after 2 s (queued behind its 16 threads, later still).
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RebalanceSlowAnswersIntegrationTest {
    private static final int DEVICES = 2_000;
    private static final UnaryOperator<WorkerConfig> SHORT_DRAIN = config -> new WorkerConfig(config.lane(), config.groupId(),
            config.maxInFlight(), config.maxAttempts(), config.initialBackoff(), config.maxBackoff(), config.commitInterval(),
            Duration.ofSeconds(1), config.source(), config.retryDelays(), config.maxRetriesWaiting(), config.provisionRetryTopics(),
            config.deviceGateLookback());

    @Test
    void aRebalanceWhileAnswersOutlastTheDrainLosesNothingAndCountsEveryPossibleDuplicate(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("rebalance-slow-answers", dir, FaultRig.Setup.defaults().withWorkers(SHORT_DRAIN))) {
            List<String> tokens = rig.seedAudience(DEVICES);
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 8, Duration.ofMinutes(2));
            rig.mocks().fcm.behaviour(Behaviour.always(Verdict.accept().after(Duration.ofSeconds(2))));
            Waits.until(() -> rig.mocks().fcm.receivedCount() - rig.mocks().fcm.ledger().acceptedCount() >= 8, Duration.ofSeconds(60),
                    "FCM pushes waiting for their answers");
            rig.markFault();
            rig.startMoreWorkers("workers-2", SHORT_DRAIN);
            Waits.until(() -> handedOver(rig) > 0, Duration.ofSeconds(60), "a revocation that hands over pushes still in flight");
            rig.mocks().fcm.behaviour(Behaviour.acceptAll());

            FaultRig.Outcome outcome = rig.awaitEveryPush(expected, Duration.ofMinutes(3), () -> (long) handedOver(rig));
            System.out.printf("RebalanceSlowAnswersIntegrationTest: handed over in flight %.0f, duplicates %d%n", handedOver(rig),
                    outcome.duplicates());
        }
    }

    private static double handedOver(FaultRig rig) {
        return rig.registry().find(WorkerMetrics.HANDED_OVER).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
