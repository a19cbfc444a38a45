package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.ContentRemoval;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ban cascade without a broker, on Kafka's TopologyTestDriver (one partition per topic, exactly_once_v2, a mocked
 * wall clock that drives the page punctuators). The driver wipes its state directory on close, so restarts are shown
 * against a real broker in {@link BanCascadeIntegrationTest}; here the cursor checkpoint itself is checked.
 */
class BanCascadeDriverTest {
    private static final URI SOURCE = URI.create("test://ban-cascade");
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private final CloudEventCodec codec = new CloudEventCodec();
    private SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> removals;

    private void open(int pageSize) {
        open(pageSize, Stores::persistentKeyValueStore);
    }

    private void open(int pageSize, Function<String, KeyValueBytesStoreSupplier> stores) {
        registry = new SimpleMeterRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ban-driver-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(pageSize, INTERVAL), stores), props);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        removals = driver.createOutputTopic(Topics.MODERATION_REMOVALS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private String publish(EventData data) {
        String id = UUID.randomUUID().toString();
        publish(id, data);
        return id;
    }

    private void publish(String id, EventData data) {
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(), Instant.now()));
    }

    /** One removal as the consumer of the removals topic sees it. */
    private record Removal(String id, String key, ContentRemoval data) {}

    private List<Removal> readRemovals() {
        List<Removal> out = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : removals.readRecordsToList()) {
            Envelope<?> envelope = ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope();
            out.add(new Removal(envelope.id(), new String(r.key(), StandardCharsets.UTF_8), (ContentRemoval) envelope.data()));
        }
        return out;
    }

    /** Runs page punctuations until one emits no removal (at most {@code maxPages}); returns each page's removals. */
    private List<List<Removal>> runPages(int maxPages) {
        List<List<Removal>> pages = new ArrayList<>();
        for (int i = 0; i < maxPages; i++) {
            driver.advanceWallClockTime(INTERVAL);
            List<Removal> page = readRemovals();
            if (page.isEmpty()) {
                break;
            }
            pages.add(page);
        }
        return pages;
    }

    private void advance(int punctuations) {
        for (int i = 0; i < punctuations; i++) {
            driver.advanceWallClockTime(INTERVAL);
        }
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private Set<String> keys(String store, String prefix) {
        KeyValueStore<String, byte[]> kv = driver.getKeyValueStore(store);
        Set<String> out = new HashSet<>();
        try (KeyValueIterator<String, byte[]> all = kv.all()) {
            all.forEachRemaining(e -> {
                if (e.key.startsWith(prefix)) {
                    out.add(e.key);
                }
            });
        }
        return out;
    }

    @Test
    void aBanOf100000ContentItemsEmitsEachRemovalExactlyOnceInBoundedPages() {
        int pageSize = 1_000;
        // The driver commits and flushes every store after every input record: with RocksDB, 200,000 records take
        // minutes. In-memory stores order keys the same way; the persistent stores are used by the other tests.
        open(pageSize, Stores::inMemoryKeyValueStore);
        int posts = 60_000;
        int likes = 40_000;
        for (int i = 0; i < posts; i++) {
            publish(new PostCreated(String.format("post-%06d", i), "spammer"));
        }
        for (int i = 0; i < likes; i++) {
            publish(new LikeCreated("spammer", String.format("liked-%06d", i), "owner-" + (i % 7)));
        }
        // Look-alike profiles whose keys share a prefix with the banned one must keep their content.
        publish(new PostCreated("innocent-post", "spammer0"));
        publish(new LikeCreated("spammer.x", "innocent-like", "spammer"));

        String banId = publish(new ProfileBanned("spammer", "spam"));
        List<Removal> firstPage = readRemovals();
        assertThat(firstPage).as("the first page goes out with the ban").hasSize(pageSize);
        assertThat(registry.get(TopologyMetrics.BAN_JOBS_RUNNING).gauge().value()).isEqualTo(1.0);

        List<List<Removal>> pages = new ArrayList<>(List.of(firstPage));
        pages.addAll(runPages(1_000));
        List<Removal> all = pages.stream().flatMap(List::stream).toList();

        assertThat(pages).as("pages").hasSize((posts + likes) / pageSize);
        assertThat(pages).allSatisfy(page -> assertThat(page).hasSizeLessThanOrEqualTo(pageSize));
        assertThat(all).as("total removals").hasSize(posts + likes);
        assertThat(all.stream().map(Removal::id).collect(Collectors.toSet())).as("distinct removal ids").hasSize(posts + likes);
        assertThat(all.stream().map(r -> r.data().kind() + "/" + r.data().postId()).collect(Collectors.toSet()))
                .as("distinct content").hasSize(posts + likes);
        assertThat(all).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo("spammer");
            assertThat(r.data().profileId()).isEqualTo("spammer");
            assertThat(r.data().banEventId()).isEqualTo(banId);
            assertThat(r.id()).isEqualTo(ContentRemoval.removalId(banId, r.data().kind(), r.data().postId()));
        });
        assertThat(all.stream().filter(r -> r.data().kind() == ContentKind.POST))
                .hasSize(posts).allSatisfy(r -> assertThat(r.data().postOwnerId()).isEqualTo("spammer"));
        assertThat(all.stream().filter(r -> r.data().kind() == ContentKind.LIKE))
                .hasSize(likes).allSatisfy(r -> assertThat(r.data().postOwnerId()).startsWith("owner-"));

        assertThat(counter(TopologyMetrics.REMOVALS_EMITTED, "kind", "POST")).isEqualTo(posts);
        assertThat(counter(TopologyMetrics.REMOVALS_EMITTED, "kind", "LIKE")).isEqualTo(likes);
        assertThat(counter(TopologyMetrics.BAN_JOBS_STARTED)).isEqualTo(1.0);
        assertThat(counter(TopologyMetrics.BAN_JOBS_FINISHED)).isEqualTo(1.0);
        assertThat(registry.get(TopologyMetrics.BAN_JOBS_RUNNING).gauge().value()).isZero();
        assertThat(keys(ModerationProcessor.CONTENT_INDEX, "spammer|")).isEmpty();
        assertThat(keys(ModerationProcessor.CONTENT_INDEX, "spammer")).containsExactlyInAnyOrder(
                "spammer0|post|innocent-post", "spammer.x|like|innocent-like");
        assertThat(keys(ModerationProcessor.BAN_JOBS, "")).isEmpty();
    }

    @Test
    void theCursorIsCheckpointedWithEachPageAndARepeatedBanEmitsNothing() throws Exception {
        int pageSize = 500;
        int items = 5_000;
        open(pageSize);
        for (int i = 0; i < items; i++) {
            publish(new PostCreated(String.format("post-%05d", i), "spammer"));
        }
        String banId = publish(new ProfileBanned("spammer", "spam"));
        advance(2);
        List<Removal> done = readRemovals();
        assertThat(done).hasSize(3 * pageSize);

        // What a restart resumes from: the cursor is the last item emitted, and only the items after it are left.
        ModerationProcessor.BanJob job = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                driver.<String, byte[]>getKeyValueStore(ModerationProcessor.BAN_JOBS).get("spammer"), ModerationProcessor.BanJob.class);
        assertThat(job.banEventId()).isEqualTo(banId);
        assertThat(job.emitted()).isEqualTo(3 * pageSize);
        assertThat(job.cursor()).isEqualTo("spammer|post|" + done.get(done.size() - 1).data().postId());
        Set<String> left = keys(ModerationProcessor.CONTENT_INDEX, "spammer|");
        assertThat(left).hasSize(items - 3 * pageSize).allSatisfy(key -> assertThat(key).isGreaterThan(job.cursor()));

        List<Removal> rest = runPages(1_000).stream().flatMap(List::stream).toList();
        assertThat(rest).hasSize(items - done.size());
        List<Removal> all = new ArrayList<>(done);
        all.addAll(rest);
        assertThat(all.stream().map(Removal::id).collect(Collectors.toSet())).hasSize(items);

        // The same ban again (a publisher's retry) is recognised: nothing is emitted twice.
        publish(banId, new ProfileBanned("spammer", "spam"));
        advance(3);
        assertThat(readRemovals()).isEmpty();
        assertThat(counter(TopologyMetrics.BANS_REPEATED)).isEqualTo(1.0);
        assertThat(counter(TopologyMetrics.BAN_JOBS_STARTED)).isEqualTo(1.0);
    }

    @Test
    void contentOfABannedProfileThatArrivesAfterTheBanIsRemovedAtOnceAndNotIndexed() {
        open(100);
        String banId = publish(new ProfileBanned("spammer", "spam"));
        runPages(10);
        publish(new LikeCreated("spammer", "late-post", "alice"));

        List<Removal> late = readRemovals();
        assertThat(late).hasSize(1);
        assertThat(late.get(0).data()).isEqualTo(new ContentRemoval("spammer", ContentKind.LIKE, "late-post", "alice", banId));
        assertThat(late.get(0).id()).isEqualTo(ContentRemoval.removalId(banId, ContentKind.LIKE, "late-post"));
        assertThat(keys(ModerationProcessor.CONTENT_INDEX, "spammer|")).isEmpty();
    }

    @Test
    void aBanRemovesTheProfilesFollowEdgesInBothDirectionsInPages() {
        open(3);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        publish(new DeviceRegistered("spammer", "spammer-token-0001", Platform.APNS, "io.app", t));
        publish(new DeviceRegistered("fan-00", "fan-00-token-0001", Platform.APNS, "io.app", t));
        for (int i = 0; i < 10; i++) {
            publish(new FollowCreated(String.format("fan-%02d", i), "spammer"));
        }
        for (int i = 0; i < 5; i++) {
            publish(new FollowCreated("spammer", "celeb-" + i));
        }
        publish(new FollowCreated("fan-00", "celeb-0"));
        publish(new FollowCreated("spammer0", "celeb-0"));   // a look-alike id keeps its edges
        publish(new FollowCreated("fan-01", "spammer0"));
        TestOutputTopic<byte[], byte[]> follows = driver.createOutputTopic(Topics.STATE_FOLLOWS, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        follows.readRecordsToList();

        publish(new ProfileBanned("spammer", "spam"));
        advance(20);
        List<KeyValue<String, byte[]>> written = follows.readRecordsToList().stream()
                .map(r -> KeyValue.pair(new String(r.key(), StandardCharsets.UTF_8), r.value())).toList();
        assertThat(written).allSatisfy(kv -> assertThat(kv.value).as("a tombstone for %s", kv.key).isNull());
        Set<String> tombstoned = written.stream().map(kv -> kv.key).collect(Collectors.toSet());
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            expected.add(String.format("fan-%02d|spammer", i));
        }
        for (int i = 0; i < 5; i++) {
            expected.add("spammer|celeb-" + i);
        }
        assertThat(tombstoned).isEqualTo(expected);
        assertThat(counter(TopologyMetrics.FOLLOW_EDGES_REMOVED)).isEqualTo(15.0);
        assertThat(keys(ExpansionProcessor.FOLLOW_INDEX, "spammer|")).isEmpty();
        assertThat(keys(ExpansionProcessor.FOLLOWS_BY_FOLLOWER, "spammer|")).isEmpty();
        assertThat(keys(ExpansionProcessor.FOLLOW_INDEX, "celeb-0|")).containsExactlyInAnyOrder("celeb-0|fan-00", "celeb-0|spammer0");
        assertThat(keys(ExpansionProcessor.FOLLOW_INDEX, "spammer0|")).containsExactly("spammer0|fan-01");
        assertThat(keys(BanCascade.EDGE_JOBS, "")).as("the edge job finished").isEmpty();

        // A follow of the banned profile after the ban is tombstoned, not indexed.
        publish(new FollowCreated("fan-late", "spammer"));
        List<TestRecord<byte[], byte[]>> late = follows.readRecordsToList();
        assertThat(late).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("fan-late|spammer", "fan-late|spammer");
        assertThat(late.get(0).value()).as("the router's edge").isNotNull();
        assertThat(late.get(1).value()).as("the expansion's tombstone").isNull();
        assertThat(keys(ExpansionProcessor.FOLLOW_INDEX, "spammer|")).isEmpty();

        // The banned profile no longer hears from those it followed; their other followers still do.
        publish(new TimelinePosted("celeb-post", "celeb-0", "t", "b"));
        advance(5);
        List<String> tokens = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList().stream()
                .map(r -> ((PushTask) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data()).token())
                .toList();
        assertThat(tokens).containsExactly("fan-00-token-0001");
    }

    @Test
    void aRunningFanoutOfABannedAuthorStopsAndNoNewFanoutOfItStarts() {
        open(3);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 20; i++) {
            String user = String.format("fan-%02d", i);
            publish(new DeviceRegistered(user, "token-of-" + user, Platform.APNS, "io.app", t));
            publish(new FollowCreated(user, "star"));
            publish(new FollowCreated(user, "other"));
        }
        TestOutputTopic<byte[], byte[]> pushes = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        String postId = publish(new TimelinePosted("p1", "star", "t", "b"));
        advance(1);
        assertThat(pushes.readRecordsToList()).as("two pages went out before the ban").hasSize(6);

        String banId = publish(new ProfileBanned("star", "spam"));
        advance(20);
        assertThat(pushes.readRecordsToList()).as("nothing after the ban").isEmpty();
        ExpansionProcessor.Job job = readJob(postId);
        assertThat(job.cancelledBy()).isEqualTo(banId);
        assertThat(job.emitted()).isEqualTo(6);
        assertThat(counter(TopologyMetrics.JOBS_CANCELLED)).isEqualTo(1.0);
        assertThat(counter(TopologyMetrics.JOBS_EXPANDED)).isZero();

        publish(new TimelinePosted("p2", "star", "t", "b"));
        advance(20);
        assertThat(pushes.readRecordsToList()).as("a banned author's new post").isEmpty();
        assertThat(counter(TopologyMetrics.JOBS_REFUSED)).isEqualTo(1.0);

        // Other authors' fanouts to the same followers are untouched.
        publish(new TimelinePosted("p3", "other", "t", "b"));
        advance(20);
        assertThat(pushes.readRecordsToList()).hasSize(20);
    }

    private ExpansionProcessor.Job readJob(String eventId) {
        byte[] bytes = driver.<String, byte[]>getKeyValueStore(ExpansionProcessor.JOBS).get(PushIds.eventKey(SOURCE.toString(), eventId));
        assertThat(bytes).as("job %s in the store", eventId).isNotNull();
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(bytes, ExpansionProcessor.Job.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void badProfileBannedInputIsDeadLetteredWithItsReasonAndTheStreamKeepsMoving() {
        open(100);
        pipeRaw(EventType.PROFILE_BANNED, "{\"profileId\":\"spammer\"}");
        pipeRaw(EventType.PROFILE_BANNED, "{\"profileId\":\"spam|mer\",\"reason\":\"spam\"}");
        pipeRaw(EventType.PROFILE_BANNED, "{\"profileId\":\"spammer\",\"reason\":\"spam\"");
        pipeRaw(EventType.CONTENT_REMOVAL,
                "{\"profileId\":\"spammer\",\"kind\":\"POST\",\"postId\":\"p\",\"postOwnerId\":\"spammer\",\"banEventId\":\"b\"}");
        publish(new PostCreated("p1", "spammer"));
        publish(new ProfileBanned("spammer", "spam"));

        List<TestRecord<byte[], byte[]>> dead = driver.createOutputTopic(Topics.DEAD_LETTERS, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).readRecordsToList();
        assertThat(dead).extracting(r -> header(r.headers(), DeadLetters.REASON)).containsExactly(
                DeadLetterReason.SCHEMA_VIOLATION.name(), DeadLetterReason.SCHEMA_VIOLATION.name(),
                DeadLetterReason.MALFORMED_JSON.name(), DeadLetterReason.UNKNOWN_TYPE.name());
        List<String> details = dead.stream().map(r -> header(r.headers(), DeadLetters.DETAIL)).toList();
        assertThat(details.get(0)).isEqualTo("reason: required property missing");
        assertThat(details.get(1)).isEqualTo("profileId: must match ^[A-Za-z0-9._:@-]{1,128}$");
        assertThat(details.get(2)).startsWith("data: not well-formed JSON");
        assertThat(details.get(3)).isEqualTo(
                "ce_type io.pushline.content.removal.v1 is internal to Pushline and is not accepted on the events topic");
        assertThat(dead).allSatisfy(r -> assertThat(header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topics.EVENTS));
        assertThat(dead.get(1).value()).isEqualTo("{\"profileId\":\"spam|mer\",\"reason\":\"spam\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(counter(TopologyMetrics.DEAD_LETTERS, "reason", "SCHEMA_VIOLATION")).isEqualTo(2.0);
        assertThat(counter(TopologyMetrics.BAN_JOBS_STARTED)).as("only the valid ban").isEqualTo(1.0);
        assertThat(readRemovals()).extracting(r -> r.data().postId()).containsExactly("p1");
    }

    /** A record as a foreign publisher might write it: valid CloudEvent headers of {@code type}, any bytes. */
    private void pipeRaw(EventType type, String json) {
        Headers headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
        headers.add("ce_id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        headers.add("ce_source", SOURCE.toString().getBytes(StandardCharsets.UTF_8));
        headers.add("ce_type", type.ceType().getBytes(StandardCharsets.UTF_8));
        headers.add("ce_time", Instant.now().toString().getBytes(StandardCharsets.UTF_8));
        headers.add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
        events.pipeInput(new TestRecord<>("spammer".getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8),
                headers, Instant.now()));
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
