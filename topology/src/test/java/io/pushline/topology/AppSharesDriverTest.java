package io.pushline.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Apps sharing the expansion's pages, and so the bulk lane, by their weights (TopologyTestDriver: one partition, pages of
 * 20 devices, a mocked wall clock that runs one page per interval). Each author is one app's; each follower has one
 * device, so devices and followers count alike.
 */
class AppSharesDriverTest {
    private static final URI SOURCE = URI.create("test://app-shares");
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private static final int PAGE = 20;
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicBoolean gate = new AtomicBoolean(true);
    private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
    /** What the gate lets a page take (see TopologyConfig#withExpansionGate); the whole page unless a test says less. */
    private final java.util.concurrent.atomic.AtomicInteger budget = new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> pushes;

    private void open(AppWeights weights) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "app-shares-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(PushlineTopology.build(TopologyConfig.defaults().withMeterRegistry(registry)
                .withPaging(PAGE, INTERVAL).withExpansionGate(gate::get, calls::addAndGet, size -> Math.min(size, budget.get())).withAppWeights(weights)), props);
        events = driver.createInputTopic(Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
        pushes = driver.createOutputTopic(Topics.PUSH_BULK, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void twoBusyAppsShareEachPageInProportionToTheirWeights() {
        open(AppWeights.parse("big=3,small=1"));
        audience("author-big", 400);
        audience("author-small", 400);
        publish(new TimelinePosted("p-big", "author-big", "t", "b", "big"));
        publish(new TimelinePosted("p-small", "author-small", "t", "b", "small"));
        assertThat(byAuthor()).as("each job's first page goes out as it starts, whatever the other app does")
                .isEqualTo(Map.of("author-big", PAGE, "author-small", PAGE));

        driver.advanceWallClockTime(INTERVAL);
        List<TestRecord<byte[], byte[]>> page1 = pushes.readRecordsToList();
        assertThat(page1).as("each task names its post's app for the workers").allSatisfy(r -> assertThat(
                new String(r.headers().lastHeader(PushTask.APP_HEADER).value(), StandardCharsets.UTF_8)).isIn("big", "small"));
        assertThat(page1).hasSize(PAGE);
        assertThat(page1.stream().filter(r -> new String(r.headers().lastHeader(PushTask.APP_HEADER).value(), StandardCharsets.UTF_8)
                .equals("big")).count()).as("page 1: 3 to 1").isEqualTo(15);
        for (int page = 2; page <= 8; page++) {
            driver.advanceWallClockTime(INTERVAL);
            assertThat(byAuthor()).as("page %d: 3 to 1", page).isEqualTo(Map.of("author-big", 15, "author-small", 5));
        }
        assertThat(registry.get(TopologyMetrics.APP_PUSHES).tag(TopologyMetrics.TAG_APP, "big").counter().count())
                .isEqualTo(PAGE + 8 * 15);
        assertThat(calls.get()).as("the gate was told of every gated page's pushes").isEqualTo(8 * PAGE);
        assertThat(registry.get(TopologyMetrics.APP_PUSHES).tag(TopologyMetrics.TAG_APP, "small").counter().count())
                .isEqualTo(PAGE + 8 * 5);
    }

    @Test
    void appsWithoutWeightsShareEquallyPerAppNotPerJob() {
        open(AppWeights.EQUAL);
        audience("author-x1", 300);
        audience("author-x2", 300);
        audience("author-y", 300);
        publish(new TimelinePosted("p-x1", "author-x1", "t", "b", "x"));
        publish(new TimelinePosted("p-x2", "author-x2", "t", "b", "x"));
        publish(new TimelinePosted("p-y", "author-y", "t", "b", "y"));
        byAuthor();

        int x = 0;
        int y = 0;
        for (int page = 0; page < 6; page++) {
            driver.advanceWallClockTime(INTERVAL);
            Map<String, Integer> counts = byAuthor();
            x += counts.getOrDefault("author-x1", 0) + counts.getOrDefault("author-x2", 0);
            y += counts.getOrDefault("author-y", 0);
            assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(PAGE);
        }
        assertThat(x).as("app x's two posts share app x's half").isEqualTo(60);
        assertThat(y).as("app y's one post has the other half").isEqualTo(60);
    }

    @Test
    void anAppAloneGetsTheWholePageAndWhatAnotherAppLeavesIsNotLost() {
        open(AppWeights.parse("big=1,small=9"));
        audience("author-big", 400);
        audience("author-small", PAGE + 4);   // four left after the first page
        publish(new TimelinePosted("p-big", "author-big", "t", "b", "big"));
        byAuthor();
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor()).as("alone, the smallest weight gets the whole page").isEqualTo(Map.of("author-big", PAGE));

        publish(new TimelinePosted("p-small", "author-small", "t", "b", "small"));
        assertThat(byAuthor()).isEqualTo(Map.of("author-small", PAGE));
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor()).as("small needs 4 of its 18; big gets the rest of the page")
                .isEqualTo(Map.of("author-small", 4, "author-big", PAGE - 4));
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor()).isEqualTo(Map.of("author-big", PAGE));
    }

    @Test
    void postsNamingNoAppAreTheDefaultAppsAndAClosedGateStopsEveryApp() {
        open(AppWeights.parse("default=1,*=2"));
        audience("author-legacy", 400);
        audience("author-new", 400);
        publish(new TimelinePosted("p-legacy", "author-legacy", "t", "b"));
        publish(new TimelinePosted("p-new", "author-new", "t", "b", "newcomer"));
        byAuthor();

        gate.set(false);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor()).as("the gate holds every app's pages").isEmpty();
        gate.set(true);
        driver.advanceWallClockTime(INTERVAL);
        // 20 * 1/3 = 6 and 20 * 2/3 = 13 in the first round; the 1 left over goes out in a second round, to the first app.
        Map<String, Integer> counts = byAuthor();
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(PAGE);
        assertThat(counts.get("author-new")).isBetween(13, 14);
        assertThat(counts.get("author-legacy")).isBetween(6, 7);
    }

    @Test
    void aPageTakesWhatTheGateSpreadsToItAndTheAppsShareThat() {
        open(AppWeights.parse("big=3,small=1"));
        audience("author-big", 400);
        audience("author-small", 400);
        publish(new TimelinePosted("p-big", "author-big", "t", "b", "big"));
        publish(new TimelinePosted("p-small", "author-small", "t", "b", "small"));
        byAuthor();
        budget.set(8);
        long before = calls.get();
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor()).as("8 of the page's 20, shared 3 to 1").isEqualTo(Map.of("author-big", 6, "author-small", 2));
        assertThat(calls.get() - before).as("the gate is told of what the page took").isEqualTo(8);
        budget.set(0);
        driver.advanceWallClockTime(INTERVAL);
        assertThat(byAuthor().values().stream().mapToInt(Integer::intValue).sum()).as("never less than one device").isEqualTo(1);
    }

    private void audience(String author, int followers) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < followers; i++) {
            String fan = author + "-fan-" + String.format("%04d", i);
            publish(new DeviceRegistered(fan, "token-of-" + fan, Platform.APNS, "io.app", t));
            publish(new FollowCreated(fan, author));
        }
    }

    private Map<String, Integer> byAuthor() {
        Map<String, Integer> counts = new TreeMap<>();
        for (TestRecord<byte[], byte[]> r : pushes.readRecordsToList()) {
            PushTask task = (PushTask) ((Decoded.Ok) codec.decode(r.headers(), r.value())).envelope().data();
            counts.merge(task.data().get("authorId"), 1, Integer::sum);
        }
        return counts;
    }

    private void publish(EventData data) {
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE,
                Instant.now(), data));
        events.pipeInput(new TestRecord<>(record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(),
                Instant.now()));
    }
}
