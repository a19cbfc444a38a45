package io.pushline.app;

import io.pushline.contracts.Topics;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.charset.StandardCharsets;
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
 * Fault suite, case h): the workers' process is SIGKILLed mid-fanout, started again, and SIGKILLed a second time while
 * it restores its receipts (the duplicate checks of its partitions, read from the receipts topic before any of their
 * tasks is sent); a third process then finishes the fanout. The receipts topic holds 600,000 older receipts, so a
 * restore takes long enough to be caught. Nothing lost; duplicates within the in-flight window of the first kill (a
 * process killed while restoring has sent nothing of its restoring partitions).
 */
@Tag("integration")
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(FaultRig.LANE_1)
@Timeout(value = 7, unit = TimeUnit.MINUTES)
class WorkersKilledDuringRestoreIntegrationTest {
    private static final int DEVICES = 2_000;
    private static final int OLDER_RECEIPTS = 600_000;

    @Test
    void workersKilledWhileRestoringReceiptsLoseNothing(@TempDir Path dir) throws Exception {
        try (FaultRig rig = FaultRig.start("workers-killed-restoring", dir,
                FaultRig.Setup.defaults().withRoles(EnumSet.of(ProcessRole.ROUTER, ProcessRole.COORDINATORS)))) {
            List<String> tokens = rig.seedAudience(DEVICES);
            writeOlderReceipts(rig.bootstrapServers());
            RoleProcesses roles = rig.roleProcesses();

            Process first = roles.start("workers", "workers-1");
            Set<String> expected = rig.post(tokens);
            rig.awaitAccepted(DEVICES / 3, Duration.ofMinutes(2));
            rig.markFault();
            first.destroyForcibly();   // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Process second = roles.start("workers", "workers-2");
            double[] heldAtKill = new double[1];
            Waits.until(() -> {
                assertThat(second.isAlive()).as("workers-2 alive").isTrue();
                String metrics = roles.metrics("workers-2");
                double held = RoleProcesses.sample(metrics, "pushline_worker_receipts_held{");
                double restored = RoleProcesses.sample(metrics, "pushline_worker_receipts_restore_seconds_count{");
                heldAtKill[0] = held;
                return held > 0 && restored == 0;
            }, Duration.ofMinutes(2), () -> "workers-2 restoring its receipts; logs:\n" + roles.logs());
            second.destroyForcibly();   // SIGKILL, mid-restore
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long acceptedAtSecondKill = rig.mocks().acceptedCount();
            System.out.printf("WorkersKilledDuringRestoreIntegrationTest: second process killed with %,.0f of its receipts restored, "
                    + "%,d pushes accepted%n", heldAtKill[0], acceptedAtSecondKill);

            Process third = roles.start("workers", "workers-3");
            rig.awaitEveryPush(expected, Duration.ofMinutes(3), FaultRig.IN_FLIGHT);
            assertThat(third.isAlive()).isTrue();
        }
    }

    /** Receipts of earlier pushes (keys {@code userId|pushId}, as the workers write them), spread over the partitions. */
    private static void writeOlderReceipts(String bootstrapServers) {
        Map<String, Object> config = new HashMap<>(Pipeline.producerConfig(Map.of("bootstrap.servers", bootstrapServers)));
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        byte[] value = "{\"status\":\"DELIVERED\"}".getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < OLDER_RECEIPTS; i++) {
                producer.send(new ProducerRecord<>(Topics.PUSH_RECEIPTS, i % FaultRig.PARTITIONS,
                        "older-user-" + (i / 10) + "|older-push-" + i, value));
            }
            producer.flush();
        }
    }
}
