package io.pushline.app;

import io.pushline.mock.Behaviour;
import io.pushline.mock.Verdict;
import io.pushline.push.GuardedProvider;
import io.pushline.push.PushMetrics;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite, case e): both providers answer 503 to everything for 15 minutes in the middle of a fanout, then
 * recover. Nothing is dead-lettered, nothing lost, nothing delivered twice, and the providers see no retry storm:
 * the circuit breaker opens, and its "circuit open" answers use up no attempt while the retries wait in the delay
 * topics.
 *
 * <p>Timings are scaled down by {@value #SCALE}: the outage (15 min → 30 s), the circuit breaker's open wait
 * (30 s → 1 s), the retry ladder (5 s, 30 s, 5 min → 166 ms, 1 s, 10 s) and the backoff (500 ms..60 s → 16 ms..2 s).
 * What the case proves is a ratio, not a length: the outage is more than four times the whole retry horizon of 8
 * attempts (about 3.5 minutes unscaled), which before issue 15 dead-lettered every push of the fanout.
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_2)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ProviderOutageIntegrationTest {
    static final int SCALE = 30;
    static final Duration OUTAGE = Duration.ofMinutes(15).dividedBy(SCALE);
    private static final int DEVICES = 6_000;

    @Test
    void aFifteenMinuteOutageMidFanoutDeadLettersNothingAndCausesNoRetryStorm(@TempDir Path dir) throws Exception {
        FaultRig.Setup scaled = FaultRig.Setup.defaults()
                .withGuards(guard -> guard.waitDurationInOpenState(GuardedProvider.DEFAULT_WAIT_DURATION_IN_OPEN_STATE.dividedBy(SCALE)))
                .withWorkers(config -> config
                        .withRetryDelays(WorkerConfig.DEFAULT_RETRY_DELAYS.stream().map(d -> Duration.ofMillis(d.toMillis() / SCALE)).toList())
                        .withBackoff(WorkerConfig.DEFAULT_INITIAL_BACKOFF.dividedBy(SCALE), WorkerConfig.DEFAULT_MAX_BACKOFF.dividedBy(SCALE)));
        try (FaultRig rig = FaultRig.start("provider-outage", dir, scaled)) {
            List<String> tokens = rig.seedAudience(DEVICES);
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 4, Duration.ofMinutes(2));

            Instant from = Instant.now();
            Instant until = from.plus(OUTAGE);
            long receivedBefore = received(rig);
            long acceptedBefore = rig.mocks().acceptedCount();
            Behaviour outage = Behaviour.during(Clock.systemUTC(), from, until, Verdict.serviceUnavailable(null)).orElse(Behaviour.acceptAll());
            rig.mocks().apns.behaviour(outage);
            rig.mocks().fcm.behaviour(outage);
            FaultRig.hold(OUTAGE);
            long requestsDuringOutage = received(rig) - receivedBefore;
            long acceptedDuringOutage = rig.mocks().acceptedCount() - acceptedBefore;

            FaultRig.Outcome outcome = rig.awaitEveryPush(expected, Duration.ofMinutes(4), 0);
            double retries = sum(rig, WorkerMetrics.RETRIES_SCHEDULED);
            double exhausted = sum(rig, WorkerMetrics.RETRIES_EXHAUSTED);
            double deadLetters = sum(rig, WorkerMetrics.DEAD_LETTERS);
            double circuitOpen = rig.registry().find(PushMetrics.REFUSED).tag(PushMetrics.TAG_REASON, "circuit_open").counters().stream()
                    .mapToDouble(c -> c.count()).sum();
            System.out.printf("ProviderOutageIntegrationTest: %,d pushes; during the %d s (scaled 15 min) outage the providers got %,d "
                            + "requests (accepted %d); retries scheduled %,.0f; answered 'circuit open' without a request %,.0f; "
                            + "retries exhausted %.0f, dead letters %.0f, lost %d, duplicates %d%n",
                    expected.size(), OUTAGE.toSeconds(), requestsDuringOutage, acceptedDuringOutage, retries, circuitOpen,
                    exhausted, deadLetters, outcome.lost(), outcome.duplicates());

            assertThat(acceptedDuringOutage).as("the outage was real").isLessThan(FaultRig.IN_FLIGHT * 2L);
            assertThat(retries).as("pushes refused in the outage were retried").isPositive();
            assertThat(circuitOpen).as("the breaker opened").isPositive();
            assertThat(exhausted).as("no push ran out of attempts").isZero();
            assertThat(deadLetters).as("nothing dead-lettered").isZero();
            // No storm: the providers see about what was in flight when the outage began plus the circuit breaker's
            // probes, not a retry of every refused push every few milliseconds.
            assertThat(requestsDuringOutage).as("requests during the outage").isLessThan(8L * FaultRig.IN_FLIGHT);
        }
    }

    private static long received(FaultRig rig) {
        return rig.mocks().apns.receivedCount() + rig.mocks().fcm.receivedCount();
    }

    private static double sum(FaultRig rig, String meter) {
        return rig.registry().find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
