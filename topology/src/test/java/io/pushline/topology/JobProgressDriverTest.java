package io.pushline.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Platform;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Fanout progress on Kafka's TopologyTestDriver: one partition per topic (so the partition's share of an audience is all
 * of it), pages of 3 devices, and a mocked wall clock that drives the page punctuator and the ETA. The driver wipes its
 * state on close, so what a restart resumes from is checked in {@link JobProgressTest}.
 */
class JobProgressDriverTest {
    private static final URI SOURCE = URI.create("test://job-progress");
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private final java.util.concurrent.atomic.AtomicBoolean gate = new java.util.concurrent.atomic.AtomicBoolean(true);
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> pushes;

    @BeforeEach
    void open() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "job-progress-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(3, INTERVAL).withExpansionGate(gate::get)), props);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        pushes = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void gaugesShowARunningJobsProgressAndEtaAndAreRemovedWhenItFinishes() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 20; i++) {
            String fan = String.format("fan-%02d", i);
            if (i != 10) {   // fan-10 has no device: a follower done without a push
                publish(new DeviceRegistered(fan, "token-of-" + fan, Platform.APNS, "io.app", t));
            }
            publish(new FollowCreated(fan, "star"));
        }
        publish(new DeviceRegistered("fan-05", "second-token-of-fan-05", Platform.FCM, "io.app.android", t));
        String postId = publish(new TimelinePosted("p1", "star", "t", "b"));

        // The first page (3 devices) goes out as the job starts.
        assertThat(pushes.readRecordsToList()).hasSize(3);
        assertThat(gauge(TopologyMetrics.JOB_FOLLOWERS, postId)).isEqualTo(20.0);
        assertThat(gauge(TopologyMetrics.JOB_FOLLOWERS_DONE, postId)).isEqualTo(3.0);
        assertThat(gauge(TopologyMetrics.JOB_DEVICES, postId)).isEqualTo(3.0);
        assertThat(gauge(TopologyMetrics.JOB_ETA, postId)).as("no time has passed to measure a rate by").isNaN();
        assertThat(registry.get(TopologyMetrics.JOB_ETA).tag(TopologyMetrics.TAG_JOB, postId).gauge().getId().getBaseUnit())
                .isEqualTo("seconds");

        // fan-03, fan-04 and fan-05 (two devices): 6 followers and 7 devices in 50 ms, 14 followers to go.
        driver.advanceWallClockTime(INTERVAL);
        int emitted = 3 + pushes.readRecordsToList().size();
        assertThat(emitted).isEqualTo(7);
        assertThat(gauge(TopologyMetrics.JOB_FOLLOWERS_DONE, postId)).isEqualTo(6.0);
        assertThat(gauge(TopologyMetrics.JOB_DEVICES, postId)).isEqualTo(emitted);
        assertThat(gauge(TopologyMetrics.JOB_ETA, postId)).isCloseTo(14 * 0.050 / 6, within(1e-9));

        // fan-06..fan-08, then fan-09, fan-10 (no device), fan-11, fan-12.
        driver.advanceWallClockTime(INTERVAL);
        driver.advanceWallClockTime(INTERVAL);
        emitted += pushes.readRecordsToList().size();
        assertThat(gauge(TopologyMetrics.JOB_FOLLOWERS_DONE, postId)).isEqualTo(13.0);
        assertThat(gauge(TopologyMetrics.JOB_DEVICES, postId)).isEqualTo(emitted).isEqualTo(13.0);
        assertThat(gauge(TopologyMetrics.JOB_ETA, postId)).isCloseTo(7 * 0.150 / 13, within(1e-9));
        List<JobProgress> progress = progress();
        assertThat(progress).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(postId);
            assertThat(p.authorId()).isEqualTo("star");
            assertThat(p.state()).isEqualTo(JobProgress.State.RUNNING);
            assertThat(p.followersTotal()).isEqualTo(20);
            assertThat(p.followersDone()).isEqualTo(13);
            assertThat(p.followersRemaining()).isEqualTo(7);
            assertThat(p.devicesExpanded()).isEqualTo(13);
        });

        for (int i = 0; i < 10; i++) {
            driver.advanceWallClockTime(INTERVAL);
        }
        emitted += pushes.readRecordsToList().size();
        assertThat(emitted).isEqualTo(20);
        assertThat(registry.get(TopologyMetrics.JOBS_EXPANDED).counter().count()).isEqualTo(1.0);
        assertThat(jobGauges()).as("a finished job's gauges are removed").isEmpty();
        assertThat(progress()).isEmpty();
    }

    @Test
    void aJobFinishedByItsFirstPageNeverGetsGaugesAndACancelledJobLosesThem() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 10; i++) {
            String fan = String.format("fan-%02d", i);
            publish(new DeviceRegistered(fan, "token-of-" + fan, Platform.APNS, "io.app", t));
            publish(new FollowCreated(fan, "star"));
        }
        publish(new FollowCreated("fan-00", "small"));
        publish(new TimelinePosted("p0", "small", "t", "b"));
        assertThat(pushes.readRecordsToList()).hasSize(1);
        assertThat(jobGauges()).isEmpty();

        String postId = publish(new TimelinePosted("p1", "star", "t", "b"));
        driver.advanceWallClockTime(INTERVAL);
        assertThat(gauge(TopologyMetrics.JOB_DEVICES, postId)).isEqualTo(6.0);
        assertThat(registry.get(TopologyMetrics.JOB_FOLLOWERS).tag(TopologyMetrics.TAG_AUTHOR, "star")
                .tag(TopologyMetrics.TAG_PARTITION, "0").gauge().value()).isEqualTo(10.0);

        publish(new ProfileBanned("star", "spam"));
        assertThat(jobGauges()).as("a cancelled job's gauges are removed").isEmpty();
        driver.advanceWallClockTime(INTERVAL);
        assertThat(jobGauges()).isEmpty();
        assertThat(progress()).singleElement().satisfies(p -> {
            assertThat(p.state()).isEqualTo(JobProgress.State.CANCELLED);
            assertThat(p.devicesExpanded()).isEqualTo(6);
            assertThat(p.followersDone()).isEqualTo(6);
            assertThat(p.etaSeconds()).isNaN();
        });
    }

    @Test
    void followerCountsChangeExactlyWhenTheFollowIndexGainsOrLosesAnEdge() {
        publish(new FollowCreated("bob", "alice"));
        publish(new FollowCreated("bob", "alice"));      // a repeated follow (a retry, or a replay of state.follows)
        publish(new FollowCreated("carol", "alice"));
        publish(new FollowCreated("dave", "alice"));
        publish(new FollowRemoved("erin", "alice"));     // never followed
        publish(new FollowRemoved("carol", "alice"));
        publish(new FollowRemoved("carol", "alice"));    // unfollowed twice
        publish(new FollowCreated("bob", "alice10"));    // a prefix look-alike counts apart
        assertThat(followerCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("alice", 2L, "alice10", 1L));

        // A ban removes the banned profile's edges both ways: its followers, and its follow of alice.
        for (int i = 0; i < 7; i++) {
            publish(new FollowCreated(String.format("fan-%02d", i), "spammer"));
        }
        publish(new FollowCreated("spammer", "alice"));
        assertThat(followerCounts()).containsEntry("spammer", 7L).containsEntry("alice", 3L);
        publish(new ProfileBanned("spammer", "spam"));
        for (int i = 0; i < 10; i++) {
            driver.advanceWallClockTime(INTERVAL);   // edge removal runs in pages; its tombstones come back as unfollows
        }
        publish(new FollowCreated("fan-late", "spammer"));   // after the ban: tombstoned, never indexed
        publish(new FollowRemoved("fan-00", "spammer"));     // the tombstone the ban already wrote, again
        assertThat(followerCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("alice", 2L, "alice10", 1L));
        assertThat(followerCounts()).as("the counts agree with the follow index").isEqualTo(countFollowIndex());

        // A job's total is the count when it starts.
        String postId = publish(new TimelinePosted("p1", "alice", "t", "b"));
        assertThat(driver.<String, byte[]>getKeyValueStore(ExpansionProcessor.JOBS).get(PushIds.eventKey(SOURCE.toString(), postId)))
                .as("no devices: the first page finished it").isNull();
        assertThat(jobGauges()).isEmpty();
    }

    @Test
    void aClosedGateHoldsAFanoutAfterItsFirstPageAndItResumesWhereItStoppedWhenTheGateOpens() {
        Instant t = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = 0; i < 10; i++) {
            String fan = String.format("fan-%02d", i);
            publish(new DeviceRegistered(fan, "token-of-" + fan, Platform.APNS, "io.app", t));
            publish(new FollowCreated(fan, "star"));
        }
        gate.set(false);
        publish(new TimelinePosted("p1", "star", "t", "b"));
        assertThat(pushes.readRecordsToList()).hasSize(3);   // the first page runs at once, gate or not
        for (int i = 0; i < 5; i++) {
            driver.advanceWallClockTime(INTERVAL);
        }
        assertThat(pushes.readRecordsToList()).isEmpty();     // held: delivery is behind

        gate.set(true);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(pushes.readRecordsToList()).hasSize(3);    // one page per interval again, from the cursor
        gate.set(false);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(pushes.readRecordsToList()).isEmpty();
        gate.set(true);
        java.util.Set<String> rest = new java.util.HashSet<>();
        for (int i = 0; i < 5; i++) {
            driver.advanceWallClockTime(INTERVAL);
            pushes.readRecordsToList().forEach(r -> rest.add(new String(r.key(), StandardCharsets.UTF_8)));
        }
        assertThat(rest).hasSize(4);   // the last four followers, each once: nothing skipped, nothing repeated
    }

    private String publish(EventData data) {
        String id = UUID.randomUUID().toString();
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(),
                Instant.now()));
        return id;
    }

    private double gauge(String name, String jobId) {
        return registry.get(name).tag(TopologyMetrics.TAG_JOB, jobId).gauge().value();
    }

    private List<Gauge> jobGauges() {
        return registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("pushline.expansion.job."))
                .map(Gauge.class::cast)
                .toList();
    }

    private List<JobProgress> progress() {
        return ExpansionProcessor.progress(driver.getKeyValueStore(ExpansionProcessor.JOBS), 0, Instant.now());
    }

    private Map<String, Long> followerCounts() {
        Map<String, Long> counts = new HashMap<>();
        try (KeyValueIterator<String, Long> all = driver.<String, Long>getKeyValueStore(ExpansionProcessor.FOLLOWER_COUNTS).all()) {
            all.forEachRemaining(kv -> counts.put(kv.key, kv.value));
        }
        counts.remove(ExpansionProcessor.COUNTED);
        return counts;
    }

    private Map<String, Long> countFollowIndex() {
        Map<String, Long> counts = new HashMap<>();
        KeyValueStore<String, byte[]> index = driver.getKeyValueStore(ExpansionProcessor.FOLLOW_INDEX);
        try (KeyValueIterator<String, byte[]> all = index.all()) {
            all.forEachRemaining(kv -> counts.merge(io.pushline.contracts.Keys.first(kv.key), 1L, Long::sum));
        }
        return counts;
    }
}
