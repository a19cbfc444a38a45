package io.pushline.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.contracts.UserPreferencesUpdated;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.topology.TopologyMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A push held in its recipient's quiet hours survives a restart of the pipeline on the real broker: the held store is
 * restored from its changelog and the push goes out once, when the quiet hours end (a window around now, in UTC, of
 * two to three minutes: the wall clock is real here).
 */
@KafkaIntegrationTest
class QuietHoursRestartIntegrationTest {
    private static final URI SOURCE = URI.create("test://quiet-hours-restart");
    private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f91";
    private static final String AUTHOR_TOKEN = "c1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f93";
    private static final String MUTED_TOKEN = "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f92";
    private final CloudEventCodec codec = new CloudEventCodec();

    @Test
    void aHeldPushIsSentOnceWhenTheQuietHoursEndEvenAcrossARestart(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        Admin admin = broker.admin();
        TestTopics.deleteAll(admin, "pushline", Duration.ofMinutes(1));
        String appId = TestTopics.unique("pushline-quiet");
        Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), 3, Replication.Choice.AUTO, stateDir, appId, 64);
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        String start = LocalTime.ofInstant(minute.minus(Duration.ofMinutes(1)), ZoneOffset.UTC).format(hhmm);
        String end = LocalTime.ofInstant(minute.plus(Duration.ofMinutes(3)), ZoneOffset.UTC).format(hhmm);
        Instant quietEnds = minute.plus(Duration.ofMinutes(3));

        try (MockProviders mocks = MockProviders.start(new SimpleMeterRegistry());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(settings.clients()),
                     new StringSerializer(), new ByteArraySerializer())) {
            SimpleMeterRegistry first = new SimpleMeterRegistry();
            String pushId;
            String mutedPushId;
            String postEventId;
            try (Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), mocks.providers, first)) {
                publish(producer, new DeviceRegistered("fan", TOKEN, Platform.APNS, "io.pushline.test", Instant.now()));
                publish(producer, new FollowCreated("fan", "author"));
                publish(producer, new DeviceRegistered("muted-fan", MUTED_TOKEN, Platform.APNS, "io.pushline.test", Instant.now()));
                publish(producer, new DeviceRegistered("author", AUTHOR_TOKEN, Platform.APNS, "io.pushline.test", Instant.now()));
                publish(producer, new FollowCreated("muted-fan", "author"));
                publish(producer, new UserPreferencesUpdated("muted-fan", "UTC", List.of(), List.of("timeline"), Instant.now()));
                publish(producer, new UserPreferencesUpdated("fan", "UTC",
                        List.of(new UserPreferencesUpdated.QuietWindow(List.of(DayOfWeek.values()), start, end)), List.of(), Instant.now()));
                producer.flush();
                LocalStack.awaitCaughtUp(admin, appId, List.of(Topics.EVENTS, Topics.STATE_DEVICES, Topics.STATE_FOLLOWS,
                        Topics.STATE_PREFERENCES), Duration.ofMinutes(1));
                LocalStack.awaitCaughtUp(admin, CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.STATE_DEVICES), Duration.ofMinutes(1));
                String eventId = UUID.randomUUID().toString();
                postEventId = eventId;
                publish(producer, eventId, new TimelinePosted("p-1", "author", "author posted", "hello"));
                producer.flush();
                pushId = PushIds.pushId(SOURCE.toString(), eventId, TOKEN);
                mutedPushId = PushIds.pushId(SOURCE.toString(), eventId, MUTED_TOKEN);
                await().atMost(Duration.ofMinutes(1))
                        .until(() -> first.get(TopologyMetrics.POLICY).tag("decision", "held").counter().count() == 1.0);
                // pushline explain: the held push is in the held store's changelog, the muted one has its receipt.
                String servers = broker.bootstrapServers();
                await().atMost(Duration.ofSeconds(30)).until(() -> explain(pushId, servers, appId).out().contains("held in its user's quiet hours"));
                await().atMost(Duration.ofSeconds(30)).until(() -> explain(mutedPushId, servers, appId).out().contains("receipt: CANCELLED, policy muted"));
                CliRun.Result unknown = explain("no-such-push", servers, appId);
                assertThat(unknown.code()).isEqualTo(1);
                assertThat(unknown.err()).contains("explain: no trace of push no-such-push");
                CliRun.Result bad = explain("a|b", servers, appId);
                assertThat(bad.code()).isEqualTo(2);
                assertThat(bad.err()).contains("PUSH_ID must be 1 to 200 of [A-Za-z0-9._:@-]");
                assertThat(explain(pushId, servers, appId, "--since", "soon").err()).contains("--since");

                // A like's push: explain shows its coordinator's journal beside the task and the receipt.
                String likeEventId = UUID.randomUUID().toString();
                publish(producer, likeEventId, new LikeCreated("fan", "p-1", "author"));
                producer.flush();
                String likePushId = PushIds.pushId(SOURCE.toString(), likeEventId, AUTHOR_TOKEN);
                await().atMost(Duration.ofMinutes(1)).until(() -> mocks.acceptedByPushId().containsKey(likePushId));
                await().atMost(Duration.ofSeconds(30)).until(() -> explain(likePushId, servers, appId).out().contains("receipt: DELIVERED"));
                CliRun.Result like = explain(likePushId, servers, appId);
                assertThat(like.out()).contains("task: lane HIGH, event " + likeEventId)
                        .contains("coordinator like:" + likeEventId + "@")
                        .contains("STARTED SAVING").contains("SUCCEEDED NOTIFYING → PUSHING").contains("pushes=1")
                        .doesNotContain(AUTHOR_TOKEN);
            }
            assertThat(Instant.now()).as("the restart happens while the push is held").isBefore(quietEnds);
            assertThat(mocks.acceptedByPushId()).doesNotContainKey(pushId);

            SimpleMeterRegistry second = new SimpleMeterRegistry();
            try (Pipeline pipeline = Pipeline.start(settings, ProcessRole.pipelineRoles(), mocks.providers, second)) {
                await().atMost(Duration.ofMinutes(4)).until(() -> mocks.acceptedByPushId().containsKey(pushId));
                assertThat(mocks.apns.ledger().accepted().stream().filter(a -> a.pushId().equals(pushId)).findFirst().orElseThrow()
                        .acceptedAt()).as("not before the quiet hours ended").isAfterOrEqualTo(quietEnds);
                LocalStack.awaitCaughtUp(admin, "pushline-workers-bulk", List.of(Topics.PUSH_BULK), Duration.ofMinutes(1));
                assertThat(mocks.acceptedByPushId().get(pushId)).as("sent once").isEqualTo(1);
                assertThat(second.get(TopologyMetrics.POLICY).tag("decision", "released").counter().count()).isEqualTo(1.0);
                String servers = broker.bootstrapServers();
                await().atMost(Duration.ofSeconds(30)).until(() -> explain(pushId, servers, appId).out().contains("receipt: DELIVERED"));
                CliRun.Result path = explain(pushId, servers, appId);
                assertThat(path.code()).isZero();
                assertThat(path.out()).contains("task: lane BULK, event " + postEventId + ",").contains("user fan, APNS ")
                        .contains("no longer held").doesNotContain(TOKEN);
            }
        }
    }

    private static CliRun.Result explain(String pushId, String servers, String appId, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("explain", pushId, "--bootstrap-servers", servers, "--application-id", appId,
                "--timeout", "30s"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }

    private void publish(KafkaProducer<String, byte[]> producer, EventData data) {
        publish(producer, UUID.randomUUID().toString(), data);
    }

    private void publish(KafkaProducer<String, byte[]> producer, String id, EventData data) {
        producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(id, SOURCE, Instant.now(), data)));
    }
}
