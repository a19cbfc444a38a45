package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What a restart resumes progress from, without I/O. The TopologyTestDriver wipes its state on close, so instead: the
 * job record's stored form (including records written by the version before progress), and a processor initialised over
 * stores as a changelog restore would leave them.
 */
class JobProgressTest {
    private final ObjectMapper json = new ObjectMapper();

    /** A job exactly as the version before progress stored it. */
    private static final String OLD_FORMAT = """
            {"eventId":"e-old","postId":"p1","authorId":"star","title":"t","body":"b","cursor":"fan-07",\
            "timestamp":1767225600000,"emitted":9,"cancelledBy":null}""";

    @Test
    void aJobsProgressSurvivesItsStoredFormRoundTrip() throws Exception {
        ExpansionProcessor.Job job = new ExpansionProcessor.Job("e1", "p1", "star", "t", "b", "fan-12", 1_767_225_600_000L,
                13, null, 20L, 13, 1_767_225_601_000L, "test://posts", "app-a");
        ExpansionProcessor.Job read = json.readValue(json.writeValueAsBytes(job), ExpansionProcessor.Job.class);
        assertThat(read).isEqualTo(job);

        JobProgress progress = read.progress(4, Instant.ofEpochMilli(1_767_225_601_000L + 2_600));
        assertThat(progress).isEqualTo(new JobProgress("e1", "star", 4, JobProgress.State.RUNNING, 20, 13, 13,
                Instant.ofEpochMilli(1_767_225_601_000L), Instant.ofEpochMilli(1_767_225_603_600L), 7 * 2.6 / 13));
    }

    @Test
    void aJobStoredByTheVersionBeforeProgressReadsWithItsProgressUnknown() throws Exception {
        ExpansionProcessor.Job job = json.readValue(OLD_FORMAT, ExpansionProcessor.Job.class);
        assertThat(job.cursor()).isEqualTo("fan-07");
        assertThat(job.emitted()).isEqualTo(9);
        assertThat(job.followersTotal()).isNull();
        assertThat(job.followersDone()).isZero();
        assertThat(job.startedAt()).isNull();

        JobProgress progress = job.progress(0, Instant.now());
        assertThat(progress.followersTotal()).isEqualTo(JobProgress.UNKNOWN);
        assertThat(progress.followersRemaining()).isEqualTo(JobProgress.UNKNOWN);
        assertThat(progress.startedAt()).isNull();
        assertThat(progress.devicesExpanded()).isEqualTo(9);
        assertThat(progress.etaSeconds()).isNaN();

        // And a later version's extra fields do not stop this one.
        String newer = OLD_FORMAT.replace("\"cancelledBy\":null", "\"cancelledBy\":null,\"followersTotal\":5,\"shard\":\"x\"");
        assertThat(json.readValue(newer, ExpansionProcessor.Job.class).followersTotal()).isEqualTo(5L);
    }

    @Test
    void etaIsRemainingFollowersAtTheAverageRateSinceStartAndNaNWithoutARate() {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(JobProgress.eta(1_000, 250, start, start.plusSeconds(10))).isCloseTo(30.0, within(1e-9));
        assertThat(JobProgress.eta(1_000, 1_200, start, start.plusSeconds(10))).as("more done than counted").isZero();
        assertThat(JobProgress.eta(1_000, 0, start, start.plusSeconds(10))).as("no progress yet").isNaN();
        assertThat(JobProgress.eta(1_000, 3, start, start)).as("no time elapsed").isNaN();
        assertThat(JobProgress.eta(JobProgress.UNKNOWN, 3, start, start.plusSeconds(1))).isNaN();
        assertThat(JobProgress.eta(1_000, 3, null, start)).isNaN();
    }

    @Test
    void aRestartedTaskShowsTheStoredProgressCountsAnOldFollowIndexAndHandsItsGaugesBackOnClose() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TopologyConfig config = TopologyConfig.defaults().withMeterRegistry(registry).withPaging(3, Duration.ofMillis(50));
        MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();
        long now = 1_767_225_610_000L;
        context.setCurrentSystemTimeMs(now);
        for (String name : new String[]{ExpansionProcessor.FOLLOW_INDEX, ExpansionProcessor.FOLLOWS_BY_FOLLOWER,
                ExpansionProcessor.USER_DEVICES, ExpansionProcessor.JOBS, BanCascade.BANNED, BanCascade.EDGE_JOBS,
                QuietHours.PREFERENCES, QuietHours.HELD, QuietHours.DIGESTS}) {
            KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                    Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
        KeyValueStore<String, Long> counts = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ExpansionProcessor.FOLLOWER_COUNTS), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        counts.init(context.getStateStoreContext(), counts);
        context.addStateStore(counts);

        // As the version before progress left them: a follow index without counts, a job without progress fields.
        KeyValueStore<String, byte[]> index = context.getStateStore(ExpansionProcessor.FOLLOW_INDEX);
        for (int i = 0; i < 5; i++) {
            index.put("star|fan-0" + i, new byte[0]);
        }
        index.put("star0|fan-00", new byte[0]);
        KeyValueStore<String, byte[]> jobs = context.getStateStore(ExpansionProcessor.JOBS);
        jobs.put("e-old", OLD_FORMAT.getBytes(StandardCharsets.UTF_8));
        // And as this version leaves them: a running job with progress, a cancelled one.
        jobs.put("e-new", json.writeValueAsBytes(new ExpansionProcessor.Job("e-new", "p2", "star", "t", "b", "fan-02",
                now - 60_000, 4, null, 5L, 3, now - 6_000, null, null)));
        jobs.put("e-cancelled", json.writeValueAsBytes(new ExpansionProcessor.Job("e-cancelled", "p3", "star", "t", "b",
                "fan-01", now - 60_000, 2, "ban-1", 5L, 2, now - 6_000, null, null)));

        ExpansionProcessor processor = new ExpansionProcessor(new CloudEventCodec(), config, new TopologyMetrics(registry));
        processor.init(context);

        assertThat(counts.get("star")).isEqualTo(5L);
        assertThat(counts.get("star0")).isEqualTo(1L);
        assertThat(counts.get(ExpansionProcessor.COUNTED)).as("counted once").isNotNull();

        assertThat(gauge(registry, TopologyMetrics.JOB_FOLLOWERS, "e-new")).isEqualTo(5.0);
        assertThat(gauge(registry, TopologyMetrics.JOB_FOLLOWERS_DONE, "e-new")).isEqualTo(3.0);
        assertThat(gauge(registry, TopologyMetrics.JOB_DEVICES, "e-new")).isEqualTo(4.0);
        assertThat(gauge(registry, TopologyMetrics.JOB_ETA, "e-new")).isCloseTo(2 * 6.0 / 3, within(1e-9));
        assertThat(gauge(registry, TopologyMetrics.JOB_FOLLOWERS, "e-old")).as("not recorded by the old version").isNaN();
        assertThat(gauge(registry, TopologyMetrics.JOB_DEVICES, "e-old")).isEqualTo(9.0);
        assertThat(registry.find(TopologyMetrics.JOB_DEVICES).tag(TopologyMetrics.TAG_JOB, "e-cancelled").gauge()).isNull();

        processor.close();
        assertThat(registry.find(TopologyMetrics.JOB_DEVICES).gauges()).isEmpty();
        assertThat(registry.find(TopologyMetrics.JOB_ETA).gauges()).isEmpty();
    }

    private static double gauge(SimpleMeterRegistry registry, String name, String jobId) {
        return registry.get(name).tag(TopologyMetrics.TAG_JOB, jobId).gauge().value();
    }
}
