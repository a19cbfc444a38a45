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
 * Fault suite, case b): the only broker is killed (SIGKILL) mid-fanout and started again on the same data dir and port
 * after longer than every client timeout. The pipeline's loops retry until it is back, rejoin their groups and resume
 * from committed state: nothing lost, duplicates within the workers' in-flight window, no loop gives up, readiness red while the
 * broker is away and green again afterwards. The clients keep Kafka's default timeouts; 90 s down outlasts every one of them (the longest are 60 s:
 * commits and other blocking calls, producer blocking, transactions).
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_2)
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class BrokerRestartIntegrationTest {
    static final Duration DOWN = Duration.ofSeconds(90);
    private static final int DEVICES = 2_000;

    @Test
    void theOnlyBrokerKilledAndBackAfterEveryClientTimeoutLosesNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("broker-restart", dir, FaultRig.Setup.defaults())) {
            List<String> tokens = rig.seedAudience(DEVICES);
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 4, Duration.ofMinutes(2));
            rig.killBroker();
            FaultRig.hold(DOWN);
            rig.restartBroker();
            rig.awaitEveryPush(expected, Duration.ofMinutes(4), FaultRig.IN_FLIGHT);
            rig.assertNotReadyDuringTheFault();
        }
    }
}
