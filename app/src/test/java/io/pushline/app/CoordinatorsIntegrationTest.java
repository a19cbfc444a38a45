package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.observability.OpsServer;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.ActivityRecorded;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.TimelineEntryUpdated;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.coordinators.SupervisorPolicy;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coordinators against a real broker, in this JVM:
 * <ul>
 *   <li>{@code pushline coordinators}: a like whose notification step keeps failing is parked (the others flow on), is
 *       listed, and is retried once the fault is gone; another is discarded; a coordinator that is not parked is
 *       refused;</li>
 *   <li>the same like delivered three times, and a like and its removal delivered in the wrong order: the committed
 *       outputs are those of each event once, in order.</li>
 * </ul>
 */
@KafkaIntegrationTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CoordinatorsIntegrationTest {
    private static boolean cleaned;
    private KafkaBroker broker;
    private Pipeline pipeline;
    private final io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
            new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    /** Posts whose NOTIFYING step fails while they are in here. */
    private final Set<String> poisoned = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void setUp(KafkaBroker broker, @TempDir Path dir) throws Exception {
        this.broker = broker;
        if (!cleaned) {
            // Once per class: topics deleted and created again take a while to reach a new group's metadata, and the
            // tests here use different recipients, so they can share topics and the group.
            TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
            try {
                broker.admin().deleteConsumerGroups(List.of(CoordinatorTopology.DEFAULT_APPLICATION_ID)).all().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // never existed
            }
            cleaned = true;
        }
        // Kafka Streams does not leave its group on close, so the next test's member waits for the last one's session to
        // time out: 6 s (the broker's minimum) instead of the default 45 s.
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(),
                Map.of("session.timeout.ms", 6000, "heartbeat.interval.ms", 1500), 3, Replication.Choice.AUTO, dir, "unused", 16);
        pipeline = Pipeline.startLanes(settings, EnumSet.of(ProcessRole.COORDINATORS), Map.of(), registry, config -> config
                .withSupervisor(new SupervisorPolicy(3, Duration.ofMinutes(10), Duration.ofMillis(50), Duration.ofMillis(200)))
                .withSteps((flow, state, step) -> flow.equals("like") && state.equals("NOTIFYING") ? context -> {
                    if (poisoned.contains(context.input("postId"))) {
                        throw new IllegalStateException("notification inbox unavailable for " + context.input("postId"));
                    }
                    step.run(context);
                } : step));
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void parkedCoordinatorsAreListedRetriedAndDiscarded() throws Exception {
        poisoned.addAll(List.of("post-poison-1", "post-poison-2"));
        String first = like("post-poison-1");
        String second = like("post-poison-2");
        like("post-fine");
        Waits.until(() -> parkedGauge() == 2, Duration.ofMinutes(2), () -> "two parked coordinators, gauge " + parkedGauge());
        assertThat(transitions("like", "SUCCEEDED")).as("the other like flowed on: all five of its steps").isGreaterThanOrEqualTo(5);
        // The same figures as an SRE scrapes them, from a running pipeline.
        try (OpsServer ops = OpsServer.start(new java.net.InetSocketAddress("127.0.0.1", 0), registry, pipeline::notReady)) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> scrape = http.send(java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ops.port() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.body()).contains("pushline_coordinators_parked 2.0")
                    .containsPattern("pushline_coordinators_transitions_total\\{flow=\"like\",kind=\"SUCCEEDED\"\\} [1-9]");
            assertThat(http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops.port() + "/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }

        CliRun.Result list = run("coordinators", "list", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("like:" + first).contains("like:" + second).contains("NOTIFYING")
                .contains("failed 3 times").contains("notification inbox unavailable").contains("2 parked");

        CliRun.Result notParked = run("coordinators", "retry", "like:nope", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(notParked.code()).isEqualTo(1);
        assertThat(notParked.err()).contains("like:nope is not parked");

        poisoned.remove("post-poison-1");
        CliRun.Result retry = run("coordinators", "retry", "like:" + first, "--note", "inbox is back", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("retried: like:" + first + " is no longer parked");

        CliRun.Result discard = run("coordinators", "discard", "like:" + second, "--bootstrap-servers", broker.bootstrapServers());
        assertThat(discard.code()).as(discard.err()).isZero();
        assertThat(discard.out()).contains("discarded: like:" + second + " is no longer parked");

        Waits.until(() -> parkedGauge() == 0, Duration.ofMinutes(1), () -> "no parked coordinators, gauge " + parkedGauge());
        assertThat(transitions("like", "RETRIED")).isEqualTo(1);
        assertThat(transitions("like", "DISCARDED")).isEqualTo(1);
        Waits.until(() -> transitions("like", "SUCCEEDED") >= 10, Duration.ofMinutes(1),
                () -> "the retried like to finish its steps");
        CliRun.Result after = run("coordinators", "list", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(after.out()).contains("no parked coordinators");
    }

    @Test
    void aLikeDeliveredThreeTimesAndALikeReorderedWithItsRemovalCountOnce() throws Exception {
        Instant t0 = Instant.now().minusSeconds(60);
        Envelope<LikeCreated> once = Envelope.of(UUID.randomUUID().toString(), URI.create("test://likes"), t0,
                new LikeCreated("alice", "post-1", "bob"));
        Envelope<LikeCreated> late = Envelope.of(UUID.randomUUID().toString(), URI.create("test://likes"), t0,
                new LikeCreated("carol", "post-1", "bob"));
        Envelope<LikeRemoved> removal = Envelope.of(UUID.randomUUID().toString(), URI.create("test://likes"), t0.plusSeconds(5),
                new LikeRemoved("carol", "post-1", "bob"));
        Envelope<LikeCreated> marker = Envelope.of(UUID.randomUUID().toString(), URI.create("test://likes"), t0.plusSeconds(10),
                new LikeCreated("dave", "post-2", "bob"));
        publish(once, once, once, removal, late, marker);
        // The marker is last on bob's partition: once its activity entry is committed, everything before it was run.
        Waits.until(() -> read(Topics.ACTIVITY).stream().anyMatch(e -> e.id().equals(activityIdOf(e, "dave"))),
                Duration.ofMinutes(2), () -> "the marker like to run");

        List<Envelope<?>> activity = read(Topics.ACTIVITY).stream()
                .filter(e -> ((ActivityRecorded) e.data()).recipientId().equals("bob")).toList();
        List<Envelope<?>> timeline = read(Topics.TIMELINE_ENTRIES).stream()
                .filter(e -> ((TimelineEntryUpdated) e.data()).ownerId().equals("bob")).toList();
        List<Envelope<?>> likes = read(Topics.STATE_LIKES).stream()
                .filter(e -> ((LikeCreated) e.data()).postOwnerId().equals("bob")).toList();
        assertThat(activity).extracting(e -> ((ActivityRecorded) e.data()).actorId()).containsExactly("alice", "dave");
        assertThat(likes).extracting(Envelope::id).containsExactly(once.id(), marker.id());
        assertThat(timeline).extracting(e -> ((TimelineEntryUpdated) e.data()).likeCount())
                .as("post-1 counted once (alice), post-2 once (dave); carol's late like never counted").containsExactly(1L, 1L);
        assertThat(transitions("like", "STARTED")).isEqualTo(2);
        assertThat(skipped("like", "duplicate")).isEqualTo(2);
        assertThat(skipped("like", "stale")).isEqualTo(1);
    }

    private static String activityIdOf(Envelope<?> e, String actor) {
        return e.data() instanceof ActivityRecorded a && a.actorId().equals(actor) ? e.id() : "";
    }

    private double skipped(String flow, String reason) {
        var counter = registry.find(CoordinatorMetrics.SKIPPED).tags("flow", flow, "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private void publish(Envelope<?>... events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(Map.of("bootstrap.servers",
                broker.bootstrapServers())), new StringSerializer(), new ByteArraySerializer())) {
            CloudEventCodec codec = new CloudEventCodec();
            for (Envelope<?> e : events) {
                producer.send(codec.toRecord(Topics.EVENTS, e)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The committed records of {@code topic}, decoded, in offset order per partition (values only; tombstones skipped). */
    private List<Envelope<?>> read(String topic) {
        Map<String, Object> config = new java.util.HashMap<>();
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put("isolation.level", "read_committed");
        List<Envelope<?>> out = new java.util.ArrayList<>();
        CloudEventCodec codec = new CloudEventCodec();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                config, new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plusSeconds(60);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && Instant.now().isBefore(deadline)) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && codec.decode(r) instanceof io.pushline.contracts.Decoded.Ok ok) {
                        out.add(ok.envelope());
                    }
                }
            }
        }
        out.sort(java.util.Comparator.comparing(e -> e.time()));
        return out;
    }

    private double parkedGauge() {
        var gauge = registry.find(CoordinatorMetrics.PARKED).gauge();
        return gauge == null ? -1 : gauge.value();
    }

    private double transitions(String flow, String kind) {
        var counter = registry.find(CoordinatorMetrics.TRANSITIONS).tags("flow", flow, "kind", kind).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Publishes a like of {@code postId} (owner u-owner); returns its event id. */
    private String like(String postId) throws Exception {
        String id = UUID.randomUUID().toString();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(Map.of("bootstrap.servers",
                broker.bootstrapServers())), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new CloudEventCodec().toRecord(Topics.EVENTS, Envelope.of(id, URI.create("test://likes"), Instant.now(),
                    new LikeCreated("u-" + postId, postId, "u-owner")))).get(30, TimeUnit.SECONDS);
        }
        return PushIds.eventKey("test://likes", id);   // as the like's coordinator id names it: like:<event key>
    }

    private static CliRun.Result run(String... args) {
        return CliRun.run(args);
    }
}
