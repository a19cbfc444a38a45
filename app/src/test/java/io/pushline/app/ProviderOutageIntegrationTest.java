package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.Topics;
import io.pushline.mock.Behaviour;
import io.pushline.mock.Verdict;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.workers.WorkerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both mock providers answer 503 to everything for 10 seconds in the middle of a fanout. Nothing is lost, nothing is
 * delivered twice, everything arrives after the outage, and the providers see no retry storm: the circuit breaker
 * opens and the retries wait in the delay topics instead of hammering the providers.
 */
@KafkaIntegrationTest
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ProviderOutageIntegrationTest {
    private static final int DEVICES = 20_000;
    private static final int IN_FLIGHT = 256;
    private static final Duration OUTAGE = Duration.ofSeconds(10);

    @Test
    void aTenSecondOutageMidFanoutLosesNothingAndCausesNoRetryStorm(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String appId = TestTopics.unique("pushline-outage");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, Replication.Choice.AUTO, stateDir, appId, IN_FLIGHT);
        try (MockProviders mocks = MockProviders.start(registry);
             Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), mocks.providers, registry)) {
            List<String> tokens = TestAudience.seed(broker.bootstrapServers(), DEVICES);
            LocalStack.awaitCaughtUp(broker.admin(), appId,
                    List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES), Duration.ofMinutes(3));
            String eventId = TestAudience.post(broker.bootstrapServers());
            Set<String> expected = TestAudience.pushIds(eventId, tokens);

            Waits.until(() -> mocks.acceptedCount() >= DEVICES / 4, Duration.ofMinutes(2),
                    () -> "a quarter of the pushes accepted (so far " + mocks.acceptedCount() + ")");
            Instant from = Instant.now();
            Instant until = from.plus(OUTAGE);
            long receivedBefore = mocks.apns.receivedCount() + mocks.fcm.receivedCount();
            long acceptedBefore = mocks.acceptedCount();
            Behaviour outage = Behaviour.during(Clock.systemUTC(), from, until, Verdict.serviceUnavailable(null)).orElse(Behaviour.acceptAll());
            mocks.apns.behaviour(outage);
            mocks.fcm.behaviour(outage);
            Waits.until(() -> Instant.now().isAfter(until), OUTAGE.plusSeconds(10), () -> "the outage to pass");
            long requestsDuringOutage = mocks.apns.receivedCount() + mocks.fcm.receivedCount() - receivedBefore;
            long acceptedDuringOutage = mocks.acceptedCount() - acceptedBefore;

            Waits.until(() -> mocks.acceptedByPushId().keySet().containsAll(expected), Duration.ofMinutes(4),
                    () -> "every push after the outage (accepted " + mocks.acceptedCount() + " of " + expected.size() + ")");
            Map<String, Integer> counts = new HashMap<>(mocks.acceptedByPushId());
            long lost = expected.stream().filter(id -> !counts.containsKey(id)).count();
            long duplicates = counts.values().stream().mapToLong(n -> n - 1L).sum();
            double retries = registry.find(WorkerMetrics.RETRIES_SCHEDULED).counters().stream().mapToDouble(c -> c.count()).sum();
            double circuitOpen = registry.find(io.pushline.push.PushMetrics.REFUSED).tag(io.pushline.push.PushMetrics.TAG_REASON, "circuit_open").counters().stream()
                    .mapToDouble(c -> c.count()).sum();
            System.out.printf("ProviderOutageIntegrationTest: %,d pushes; during the %d s outage the providers got %,d requests "
                    + "(accepted %d); retries scheduled %,.0f; answered 'circuit open' without a request %,.0f; lost %d, duplicates %d%n",
                    DEVICES, OUTAGE.toSeconds(), requestsDuringOutage, acceptedDuringOutage, retries, circuitOpen, lost, duplicates);

            assertThat(acceptedDuringOutage).as("the outage was real").isLessThan(IN_FLIGHT * 2L);
            assertThat(lost).isZero();
            assertThat(duplicates).isZero();
            assertThat(retries).as("pushes refused in the outage were retried").isPositive();
            // No storm: the providers see about what was in flight when the outage began plus the circuit breaker's
            // probes, not a retry of every refused push every few milliseconds.
            assertThat(requestsDuringOutage).as("requests during the outage").isLessThan(4L * IN_FLIGHT);
        }
    }
}
