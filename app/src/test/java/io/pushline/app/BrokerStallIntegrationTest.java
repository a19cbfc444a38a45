package io.pushline.app;

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

/**
 * Fault suite, case a): the only broker stalls (SIGSTOP, as a host that stops answering without closing a connection)
 * for 75 s mid-fanout, longer than every client timeout (request 30 s, max.block 60 s, commit 60 s, session 45 s,
 * transaction 60 s), then resumes. Every loop outlives it: nothing lost, duplicates within the workers' in-flight
 * window, no loop gives up, and the pipeline is ready again afterwards.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class BrokerStallIntegrationTest {
    static final Duration STALL = Duration.ofSeconds(75);
    private static final int DEVICES = 2_000;

    @Test
    void aSeventyFiveSecondStallMidFanoutLosesNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("broker-stall", dir)) {
            List<String> tokens = rig.seedAudience(DEVICES);
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 4, Duration.ofMinutes(2));
            rig.stallBroker();
            FaultRig.hold(STALL);
            rig.resumeBroker();
            rig.awaitEveryPush(expected, Duration.ofMinutes(4), FaultRig.IN_FLIGHT);
        }
    }
}
