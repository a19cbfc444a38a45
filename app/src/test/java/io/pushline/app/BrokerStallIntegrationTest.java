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
 * mid-fanout for longer than every client timeout, then resumes. Every loop outlives it: nothing lost, duplicates within
 * the workers' in-flight window, no loop gives up, and readiness is red while the broker is away and green again afterwards.
 *
 * <p>The clients keep Kafka's default timeouts, and the stall lasts 75 s: longer than each of them (request 30 s, group
 * session 45 s, commit and every other blocking call 60 s, producer blocking 60 s, transaction 60 s). That is the stall
 * that once stopped the bulk lane for good: its poll thread died of "Timeout of 60000ms expired before successfully
 * committing offsets" while the process stayed ready.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class BrokerStallIntegrationTest {
    static final Duration STALL = Duration.ofSeconds(75);
    private static final int DEVICES = 2_000;

    @Test
    void aStallLongerThanEveryClientTimeoutMidFanoutLosesNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("broker-stall", dir, FaultRig.Setup.defaults())) {
            List<String> tokens = rig.seedAudience(DEVICES);
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 4, Duration.ofMinutes(2));
            rig.stallBroker();
            FaultRig.hold(STALL);
            rig.resumeBroker();
            rig.awaitEveryPush(expected, Duration.ofMinutes(4), FaultRig.IN_FLIGHT);
            rig.assertNotReadyDuringTheFault();
        }
    }
}
