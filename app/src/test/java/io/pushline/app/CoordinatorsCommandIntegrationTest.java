package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.LikeCreated;
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

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
 * {@code pushline coordinators} against a real broker: a like whose notification step keeps failing is parked (the
 * others flow on), is listed, and is retried once the fault is gone; another is discarded; a coordinator that is not
 * parked is refused.
 */
@KafkaIntegrationTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CoordinatorsCommandIntegrationTest {
    private KafkaBroker broker;
    private Pipeline pipeline;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Posts whose NOTIFYING step fails while they are in here. */
    private final Set<String> poisoned = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void setUp(KafkaBroker broker, @TempDir Path dir) throws Exception {
        this.broker = broker;
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        try {
            broker.admin().deleteConsumerGroups(List.of(CoordinatorTopology.DEFAULT_APPLICATION_ID)).all().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // never existed
        }
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, (short) 1, dir, "unused", 16);
        pipeline = Pipeline.startLanes(settings, EnumSet.of(Role.COORDINATORS), Map.of(), registry, config -> config
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
        ConsumerLag.awaitCondition(() -> parkedGauge() == 2, Duration.ofMinutes(2), () -> "two parked coordinators, gauge " + parkedGauge());
        assertThat(transitions("like", "SUCCEEDED")).as("the other like flowed on: all five of its steps").isGreaterThanOrEqualTo(5);

        Result list = run("coordinators", "list", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("like:" + first).contains("like:" + second).contains("NOTIFYING")
                .contains("failed 3 times").contains("notification inbox unavailable").contains("2 parked");

        Result notParked = run("coordinators", "retry", "like:nope", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(notParked.code()).isEqualTo(1);
        assertThat(notParked.err()).contains("like:nope is not parked");

        poisoned.remove("post-poison-1");
        Result retry = run("coordinators", "retry", "like:" + first, "--note", "inbox is back", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("retried: like:" + first + " is no longer parked");

        Result discard = run("coordinators", "discard", "like:" + second, "--bootstrap-servers", broker.bootstrapServers());
        assertThat(discard.code()).as(discard.err()).isZero();
        assertThat(discard.out()).contains("discarded: like:" + second + " is no longer parked");

        ConsumerLag.awaitCondition(() -> parkedGauge() == 0, Duration.ofMinutes(1), () -> "no parked coordinators, gauge " + parkedGauge());
        assertThat(transitions("like", "RETRIED")).isEqualTo(1);
        assertThat(transitions("like", "DISCARDED")).isEqualTo(1);
        ConsumerLag.awaitCondition(() -> transitions("like", "SUCCEEDED") >= 10, Duration.ofMinutes(1),
                () -> "the retried like to finish its steps");
        Result after = run("coordinators", "list", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(after.out()).contains("no parked coordinators");
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
        return id;
    }

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = PushlineCommand.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
