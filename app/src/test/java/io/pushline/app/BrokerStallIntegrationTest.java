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
 * the workers' in-flight window, no loop gives up, and the pipeline is ready again afterwards.
 *
 * <p>The timeouts are Kafka's divided by three ({@link FaultRig#SCALED_TIMEOUTS}: request 10 s, commit and max.block
 * 20 s, session 15 s, transaction 20 s), and the stall 30 s: it outlasts each of them, as the 75 s stall of the issue
 * outlasted Kafka's defaults (that one was reproduced by hand on {@code ./pushline demo}, see the README).
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_2)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class BrokerStallIntegrationTest {
    static final Duration STALL = Duration.ofSeconds(30);
    private static final int DEVICES = 2_000;

    @Test
    void aStallLongerThanEveryClientTimeoutMidFanoutLosesNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("broker-stall", dir, FaultRig.Setup.defaults().withClients(FaultRig.SCALED_TIMEOUTS))) {
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
