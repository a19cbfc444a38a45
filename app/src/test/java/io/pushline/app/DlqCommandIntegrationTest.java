package io.pushline.app;

import io.pushline.contracts.Replication;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.observability.ConsumerLag;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.testkit.Waits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import io.pushline.topology.TopologyMetrics;
import io.pushline.workers.RetryTopics;
import io.pushline.workers.WorkerConfig;
import io.pushline.workers.WorkerMetrics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline dlq list} and {@code replay} against a real broker and the whole pipeline in this JVM (router,
 * coordinators, both workers, mock APNs and FCM):
 * <ul>
 *   <li>dead letters written as the roles write them (valid events "dead-lettered by a broken router", push tasks given
 *       up by a worker, one from an internal topic, one without a source) and real ones from the router (malformed
 *       JSON, an unknown type) are listed by reason, filtered by reason and by time, and as JSON, without payloads;</li>
 *   <li>a dry run writes nothing; a replay re-publishes only its reason, with the original key, value and
 *       {@code ce_id}, without the dead-letter headers and with {@code pushline.replayed.from}, on the source partition;
 *       a retry topic's dead letter goes back to its lane without the retry headers;</li>
 *   <li>end to end, counted at the mock providers: an event never processed is delivered once; an event already
 *       processed, and everything replayed a second time, is not delivered again (the coordinators skip the like as a
 *       duplicate; a finished fanout is expanded again, and the workers skip its pushes by their receipts); a push
 *       given up with a FAILED receipt is not sent by a replay either.</li>
 * </ul>
 */
@KafkaIntegrationTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DlqCommandIntegrationTest {
    private static final URI SOURCE = URI.create("test://dlq");
    private static final int PARTITIONS = 3;
    private static final String APNS_APP = "io.pushline.test";
    private static final String FCM_APP = "io.pushline.test.android";
    private final CloudEventCodec codec = new CloudEventCodec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void badInputIsAUsageErrorAndAnUnreachableBrokerFailsInBoundedTime() throws Exception {
        CliRun.Result unknown = CliRun.run("dlq", "replay", "--reason", "OOPS");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("--reason").contains("OOPS").contains("SCHEMA_VIOLATION").contains("RETRIES_EXHAUSTED");
        CliRun.Result unknownFilter = CliRun.run("dlq", "list", "--reason", "OOPS");
        assertThat(unknownFilter.code()).isEqualTo(2);
        assertThat(unknownFilter.err()).contains("NO_PROVIDER");

        CliRun.Result noReason = CliRun.run("dlq", "replay");
        assertThat(noReason.code()).isEqualTo(2);
        assertThat(noReason.err()).contains("Missing required option").contains("--reason");

        CliRun.Result badSince = CliRun.run("dlq", "list", "--since", "yesterday-ish");
        assertThat(badSince.code()).isEqualTo(2);
        assertThat(badSince.err()).contains("--since: 'yesterday-ish' is neither an ISO-8601 instant");

        CliRun.Result negative = CliRun.run("dlq", "replay", "--reason", "NO_PROVIDER", "--limit", "-3");
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err()).contains("--limit must be at least 1, was -3");

        CliRun.Result noSubcommand = CliRun.run("dlq");
        assertThat(noSubcommand.code()).isEqualTo(2);
        assertThat(noSubcommand.err()).contains("a subcommand is required: list or replay");

        CliRun.Result help = CliRun.run("dlq", "replay", "--help");
        assertThat(help.out()).contains("--kafka-config").contains("admin").contains("SASL").contains("pushline.replayed.from");

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        for (String[] command : List.of(new String[] {"dlq", "list"}, new String[] {"dlq", "replay", "--reason", "NO_PROVIDER"})) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--bootstrap-servers", "127.0.0.1:" + closedPort, "--timeout", "3s"));
            long started = System.nanoTime();
            CliRun.Result unreachable = CliRun.run(args.toArray(String[]::new));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(unreachable.code()).as(unreachable.err()).isEqualTo(1);
            assertThat(unreachable.err()).contains("Kafka at 127.0.0.1:" + closedPort + " did not answer within 3s");
            assertThat(took).as("bounded by --timeout").isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void listsByReasonAndReplaysOnlyThatReasonWithoutDeliveringAnythingTwice(KafkaBroker broker, @TempDir Path dir) throws Exception {
        String servers = broker.bootstrapServers();
        TestTopics.deleteAll(broker.admin(), "pushline", Duration.ofMinutes(1));
        for (String group : List.of(CoordinatorTopology.DEFAULT_APPLICATION_ID, WorkerConfig.defaults(Lane.BULK).groupId(),
                WorkerConfig.defaults(Lane.HIGH).groupId())) {
            try {
                broker.admin().deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                // never existed
            }
        }
        String appId = TestTopics.unique("pushline-dlq-it");
        // Kafka Streams does not leave its group on close: a short session lets this test's members take over quickly.
        Pipeline.Settings settings = new Pipeline.Settings(servers, Map.of("session.timeout.ms", 6000, "heartbeat.interval.ms", 1500),
                PARTITIONS, Replication.Choice.AUTO, dir, appId, 64);
        try (MockProviders mocks = MockProviders.start(registry);
             Pipeline pipeline = Pipeline.startLanes(settings, ProcessRole.pipelineRoles(), mocks.byLane(), registry);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Pipeline.producerConfig(Map.of("bootstrap.servers", servers)),
                     new StringSerializer(), new ByteArraySerializer())) {
            pipeline.awaitWorkersAssigned(Duration.ofMinutes(1));

            CliRun.Result empty = dlq("list", "--bootstrap-servers", servers);
            assertThat(empty.code()).as(empty.err()).isZero();
            assertThat(empty.out()).contains("no dead letters");
            CliRun.Result nothingToReplay = dlq("replay", "--reason", "SCHEMA_VIOLATION", "--bootstrap-servers", servers);
            assertThat(nothingToReplay.code()).as(nothingToReplay.err()).isZero();
            assertThat(nothingToReplay.out()).contains("no dead letters with reason SCHEMA_VIOLATION");

            // The audience: a post owner and a follower of an author, two devices each.
            Map<String, List<String>> tokens = new HashMap<>();
            Instant registered = Instant.now();
            for (String user : List.of("owner-1", "fan-1")) {
                String apns = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
                String fcm = UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
                tokens.put(user, List.of(apns, fcm));
                send(producer, event(new DeviceRegistered(user, apns, Platform.APNS, APNS_APP, registered)));
                send(producer, event(new DeviceRegistered(user, fcm, Platform.FCM, FCM_APP, registered)));
            }
            send(producer, event(new FollowCreated("fan-1", "author-1")));
            ConsumerLag lag = new ConsumerLag(broker.admin());
            LocalStack.awaitCaughtUp(broker.admin(), appId, List.of(Topics.EVENTS, Topics.DEVICE_EVENTS_BY_TOKEN, Topics.STATE_FOLLOWS, Topics.STATE_DEVICES),
                    Duration.ofMinutes(1));
            LocalStack.awaitCaughtUp(broker.admin(), CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.EVENTS, Topics.STATE_DEVICES), Duration.ofMinutes(1));

            // L0 is processed normally: its like flow pushes to the owner's two devices.
            ProducerRecord<String, byte[]> likeZero = event(new LikeCreated("alice", "post-0", "owner-1"));
            RecordMetadata likeZeroAt = send(producer, likeZero);
            Set<String> expected = new HashSet<>(pushIds(likeZero, tokens.get("owner-1")));
            awaitDelivered(mocks, expected);

            // Dead letters as the roles write them. L0 "dead-lettered by a broken router" three hours ago, although the
            // coordinators did process it; T and L valid events that were dead-lettered and never processed.
            Instant now = Instant.now();
            Instant threeHoursAgo = now.minus(Duration.ofHours(3));
            deadLetter(producer, likeZero, DeadLetterReason.SCHEMA_VIOLATION, "postId: broken validator", Topics.EVENTS,
                    likeZeroAt.partition(), likeZeroAt.offset(), threeHoursAgo);
            ProducerRecord<String, byte[]> post = event(new TimelinePosted("post-9", "author-1", "author-1 posted", "A secret body"));
            deadLetter(producer, post, DeadLetterReason.SCHEMA_VIOLATION, "title: broken validator", Topics.EVENTS,
                    Keys.partitionFor(post.key(), PARTITIONS), 4711, now);
            ProducerRecord<String, byte[]> like = event(new LikeCreated("bob", "post-1", "owner-1"));
            deadLetter(producer, like, DeadLetterReason.SCHEMA_VIOLATION, "actorId: broken validator", Topics.EVENTS,
                    Keys.partitionFor(like.key(), PARTITIONS), 4712, now);
            ProducerRecord<String, byte[]> internal = event(new DeviceRegistered("carol", tokens.get("owner-1").get(0), Platform.APNS,
                    APNS_APP, registered));
            deadLetter(producer, internal, DeadLetterReason.SCHEMA_VIOLATION, "userId: broken validator", Topics.DEVICE_EVENTS_BY_TOKEN,
                    0, 17, now);
            ProducerRecord<String, byte[]> orphan = event(new LikeCreated("dave", "post-2", "owner-1"));
            deadLetter(producer, orphan, DeadLetterReason.SCHEMA_VIOLATION, "no origin", null, 0, 0, now);
            // Pushes a bulk worker gave up on: P1 from a retry topic, with no receipt; P2 with the FAILED receipt the
            // worker writes after dead-lettering.
            String fan = "fan-1";
            ProducerRecord<String, byte[]> pushOne = pushTask(fan, tokens.get(fan).get(0), Platform.APNS, APNS_APP);
            pushOne.headers().add(RetryTopics.ATTEMPT, "5".getBytes(StandardCharsets.UTF_8));
            pushOne.headers().add(RetryTopics.NOT_BEFORE, now.minusSeconds(30).toString().getBytes(StandardCharsets.UTF_8));
            pushOne.headers().add(RetryTopics.CAUSE, "429 TooManyRequests".getBytes(StandardCharsets.UTF_8));
            pushOne.headers().add(RetryTopics.ORIGIN, (Topics.PUSH_BULK + "-1@3").getBytes(StandardCharsets.UTF_8));
            deadLetter(producer, pushOne, DeadLetterReason.RETRIES_EXHAUSTED, "gave up after 5 attempts: 429 TooManyRequests",
                    Topics.PUSH_BULK + ".retry-5s", Keys.partitionFor(fan, PARTITIONS), 3, now);
            ProducerRecord<String, byte[]> pushTwo = pushTask(fan, tokens.get(fan).get(1), Platform.FCM, FCM_APP);
            deadLetter(producer, pushTwo, DeadLetterReason.RETRIES_EXHAUSTED, "gave up after 5 attempts: UNAVAILABLE",
                    Topics.PUSH_BULK, Keys.partitionFor(fan, PARTITIONS), 9, now);
            failedReceipt(producer, fan, pushTwo);
            // And real ones, from the router.
            send(producer, withValue(event(new FollowCreated("erin", "frank")), "{\"followerId\":".getBytes(StandardCharsets.UTF_8)));
            send(producer, withValue(event(new FollowCreated("erin", "gina")), "[1, 2".getBytes(StandardCharsets.UTF_8)));
            ProducerRecord<String, byte[]> unknownType = event(new FollowCreated("erin", "hank"));
            unknownType.headers().remove("ce_type");
            unknownType.headers().add("ce_type", "io.pushline.not.a.type.v1".getBytes(StandardCharsets.UTF_8));
            send(producer, unknownType);
            Waits.until(() -> read(servers, Topics.DEAD_LETTERS).size() == 10, Duration.ofMinutes(1),
                    () -> read(servers, Topics.DEAD_LETTERS).size() + " of 10 dead letters");

            // list: counts per reason, filters, JSON; details, never payloads or tokens.
            CliRun.Result list = dlq("list", "--bootstrap-servers", servers);
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(counts(list.out())).containsExactlyInAnyOrderEntriesOf(Map.of("SCHEMA_VIOLATION", 5L, "RETRIES_EXHAUSTED", 2L,
                    "MALFORMED_JSON", 2L, "UNKNOWN_TYPE", 1L));
            assertThat(list.out()).contains("pushline.events (3)").contains(Topics.DEVICE_EVENTS_BY_TOKEN + " (1)").contains("(none) (1)")
                    .contains("pushline.push.bulk (1), pushline.push.bulk.retry-5s (1)").contains(threeHoursAgo.truncatedTo(
                            java.time.temporal.ChronoUnit.SECONDS).toString()).contains("10 dead letters");
            assertThat(list.out()).doesNotContain("A secret body").doesNotContain("post-9").doesNotContain("followerId");
            tokens.values().stream().flatMap(List::stream).forEach(t -> assertThat(list.out()).doesNotContain(t));

            CliRun.Result filtered = dlq("list", "--reason", "MALFORMED_JSON", "--reason", "UNKNOWN_TYPE", "--bootstrap-servers", servers);
            assertThat(counts(filtered.out())).containsExactlyInAnyOrderEntriesOf(Map.of("MALFORMED_JSON", 2L, "UNKNOWN_TYPE", 1L));
            CliRun.Result recent = dlq("list", "--since", "2h", "--bootstrap-servers", servers);
            assertThat(counts(recent.out())).containsEntry("SCHEMA_VIOLATION", 4L).containsEntry("RETRIES_EXHAUSTED", 2L);
            CliRun.Result json = dlq("list", "--format", "json", "--since", threeHoursAgo.minusSeconds(60).toString(),
                    "--bootstrap-servers", servers);
            JsonNode parsed = new ObjectMapper().readTree(json.out());
            assertThat(parsed.get("deadLetters").asLong()).isEqualTo(10);
            Map<String, Long> jsonCounts = new HashMap<>();
            parsed.get("reasons").forEach(r -> jsonCounts.put(r.get("reason").asText(), r.get("count").asLong()));
            assertThat(jsonCounts).containsEntry("SCHEMA_VIOLATION", 5L).containsEntry("MALFORMED_JSON", 2L);

            // A dry run writes nothing.
            long eventsEnd = endOffsets(servers, Topics.EVENTS);
            long bulkEnd = endOffsets(servers, Topics.PUSH_BULK);
            CliRun.Result dryRun = dlq("replay", "--reason", "SCHEMA_VIOLATION", "--dry-run", "--bootstrap-servers", servers);
            assertThat(dryRun.code()).as(dryRun.err()).isZero();
            assertThat(dryRun.out()).contains("WOULD REPLAY").contains("dry run, nothing written: would replay 3 dead letters")
                    .contains("skipped 2: 1 without a source topic; 1 from " + Topics.DEVICE_EVENTS_BY_TOKEN);
            CliRun.Result dryLimited = dlq("replay", "--reason", "SCHEMA_VIOLATION", "--dry-run", "--limit", "1", "--bootstrap-servers", servers);
            assertThat(dryLimited.out()).contains("would replay 1 dead letter with reason SCHEMA_VIOLATION").contains("--limit 1 reached");
            assertThat(endOffsets(servers, Topics.EVENTS)).isEqualTo(eventsEnd);
            assertThat(endOffsets(servers, Topics.PUSH_BULK)).isEqualTo(bulkEnd);

            // Replay since 2h: T and L only (L0 was dead-lettered three hours ago), never processed, so delivered once.
            CliRun.Result replay = dlq("replay", "--reason", "SCHEMA_VIOLATION", "--since", "2h", "--bootstrap-servers", servers);
            assertThat(replay.code()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("replayed 2 dead letters with reason SCHEMA_VIOLATION").contains("skipped 2")
                    .contains("1 timeline post(s)").contains("re-drives");
            List<ConsumerRecord<byte[], byte[]>> replayed = replayedOn(servers, Topics.EVENTS);
            assertThat(replayed).hasSize(2);
            for (ProducerRecord<String, byte[]> original : List.of(post, like)) {
                ConsumerRecord<byte[], byte[]> r = replayed.stream().filter(c -> header(c, "ce_id").equals(header(original, "ce_id")))
                        .findFirst().orElseThrow();
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(original.key());
                assertThat(r.value()).isEqualTo(original.value());
                assertThat(r.partition()).as("the source partition").isEqualTo(Keys.partitionFor(original.key(), PARTITIONS));
                assertThat(r.headers().toArray()).extracting(Header::key).noneMatch(k -> k.startsWith("pushline.dlq."));
                assertThat(header(r, DeadLetters.REPLAYED_FROM)).matches("pushline\\.dead-letters-\\d+@\\d+");
                for (Header h : original.headers()) {
                    assertThat(header(r, h.key())).as(h.key()).isEqualTo(new String(h.value(), StandardCharsets.UTF_8));
                }
            }
            expected.addAll(pushIds(post, tokens.get("fan-1")));
            expected.addAll(pushIds(like, tokens.get("owner-1")));
            awaitDelivered(mocks, expected);
            assertThat(count(TopologyMetrics.JOBS_STARTED)).as("T's fanout, one job per partition").isEqualTo(PARTITIONS);
            Waits.until(() -> count(TopologyMetrics.JOBS_EXPANDED) == PARTITIONS, Duration.ofSeconds(30),
                    () -> "T's fanout to finish");

            // Replay all of them (L0, T and L): L0 was processed, T and L just were. Nothing is delivered again.
            CliRun.Result again = dlq("replay", "--reason", "SCHEMA_VIOLATION", "--bootstrap-servers", servers);
            assertThat(again.code()).as(again.err()).isZero();
            assertThat(again.out()).contains("replayed 3 dead letters with reason SCHEMA_VIOLATION");
            Waits.until(() -> skipped("like", "duplicate") == 2, Duration.ofMinutes(1),
                    () -> "the coordinators to skip L0 and L as duplicates, skipped " + skipped("like", "duplicate"));
            // The claim that does not hold as stated: a finished fanout replayed is expanded again (a second job per
            // partition), and the workers skip its pushes by their receipts.
            Waits.until(() -> count(TopologyMetrics.JOBS_EXPANDED) == 2 * PARTITIONS, Duration.ofMinutes(1),
                    () -> "T's second fanout to finish");
            assertThat(count(TopologyMetrics.JOBS_STARTED)).isEqualTo(2 * PARTITIONS);
            Waits.until(() -> deduplicated("bulk") == 2, Duration.ofMinutes(1),
                    () -> "the bulk workers to skip T's two pushes by their receipts, deduplicated " + deduplicated("bulk"));
            LocalStack.awaitCaughtUp(broker.admin(), WorkerConfig.defaults(Lane.HIGH).groupId(), List.of(Topics.PUSH_HIGH), Duration.ofMinutes(1));
            assertThat(mocks.acceptedByPushId()).as("each push once, no other").isEqualTo(once(expected));

            // Pushes given up by a worker: P1 (no receipt) goes back to the bulk lane as a first attempt and is delivered
            // once; P2's only receipt says FAILED, so the replayed P2 is sent too.
            CliRun.Result pushes = dlq("replay", "--reason", "RETRIES_EXHAUSTED", "--bootstrap-servers", servers);
            assertThat(pushes.code()).as(pushes.err()).isZero();
            assertThat(pushes.out()).contains("replayed 2 dead letters with reason RETRIES_EXHAUSTED").contains("only receipt says FAILED");
            assertThat(pushes.out()).containsPattern("pushline\\.push\\.bulk\\.retry-5s\\s+pushline\\.push\\.bulk\\s+1")
                    .containsPattern("pushline\\.push\\.bulk\\s+pushline\\.push\\.bulk\\s+1");
            ConsumerRecord<byte[], byte[]> laneRecord = replayedOn(servers, Topics.PUSH_BULK).stream()
                    .filter(r -> header(r, "ce_id").equals(header(pushOne, "ce_id"))).findFirst().orElseThrow();
            assertThat(laneRecord.value()).isEqualTo(pushOne.value());
            assertThat(laneRecord.headers().toArray()).extracting(Header::key).noneMatch(k -> k.startsWith("pushline.retry."));
            expected.add(header(pushOne, "ce_id"));
            expected.add(header(pushTwo, "ce_id"));
            awaitDelivered(mocks, expected);
            assertThat(deduplicated("bulk")).as("neither skipped").isEqualTo(2);
            assertThat(mocks.acceptedByPushId()).as("P1 and P2 once, nothing else").isEqualTo(once(expected));

            // Replayed again: both have a DELIVERED receipt now, so both are skipped and nothing is sent twice.
            CliRun.Result pushesAgain = dlq("replay", "--reason", "RETRIES_EXHAUSTED", "--bootstrap-servers", servers);
            assertThat(pushesAgain.code()).as(pushesAgain.err()).isZero();
            Waits.until(() -> deduplicated("bulk") == 4, Duration.ofMinutes(1),
                    () -> "P1 and P2 skipped by their DELIVERED receipts, deduplicated " + deduplicated("bulk"));
            assertThat(mocks.acceptedByPushId()).as("still each once").isEqualTo(once(expected));
        }
    }

    private static CliRun.Result dlq(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "dlq";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.run(all);
    }

    private ProducerRecord<String, byte[]> event(EventData data) {
        return codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, Instant.now(), data));
    }

    private static ProducerRecord<String, byte[]> withValue(ProducerRecord<String, byte[]> record, byte[] value) {
        return new ProducerRecord<>(record.topic(), record.partition(), record.key(), value, record.headers());
    }

    /** A bulk push task for {@code token} of an event of its own, as the expansion writes it; its ce_id is the push id. */
    private ProducerRecord<String, byte[]> pushTask(String user, String token, Platform platform, String app) {
        String eventId = UUID.randomUUID().toString();
        String pushId = PushIds.pushId(SOURCE.toString(), eventId, token);
        PushTask task = new PushTask(pushId, eventId, user, token, platform, app, "A title", "A body",
                Map.of("postId", "post-7", "authorId", "author-7"), "post-post-7", 3600, Priority.NORMAL, Lane.BULK);
        return codec.toRecord(Topics.PUSH_BULK, Envelope.of(pushId, SOURCE, Instant.now(), task));
    }

    /** The FAILED receipt a worker writes after dead-lettering a push it gave up on: keyed userId|pushId, on the user's partition. */
    private void failedReceipt(KafkaProducer<String, byte[]> producer, String user, ProducerRecord<String, byte[]> task) throws Exception {
        PushTask t = (PushTask) ((io.pushline.contracts.Decoded.Ok) codec.decode(task.headers(), task.value())).envelope().data();
        PushReceipt receipt = new PushReceipt(t.pushId(), t.sourceEventId(), t.token(), t.platform(), ReceiptStatus.FAILED, null,
                "gave up", Instant.now());
        ProducerRecord<String, byte[]> record = codec.toRecord(Topics.PUSH_RECEIPTS, Keys.partitionFor(user, PARTITIONS),
                Keys.compound(user, t.pushId()), Envelope.of(UUID.randomUUID().toString(), SOURCE, Instant.now(), receipt));
        record.headers().add(io.pushline.workers.PushWorker.RECEIPT_STATUS_HEADER, "FAILED".getBytes(StandardCharsets.US_ASCII));
        producer.send(record).get(30, TimeUnit.SECONDS);
    }

    /** {@code original} dead-lettered exactly as {@link DeadLetters#addTo} writes it (no source topic if {@code topic} is null). */
    private static void deadLetter(KafkaProducer<String, byte[]> producer, ProducerRecord<String, byte[]> original, DeadLetterReason reason,
                                   String detail, String topic, int partition, long offset, Instant at) throws Exception {
        RecordHeaders headers = new RecordHeaders(original.headers().toArray());
        DeadLetters.addTo(headers, reason, detail, topic == null ? "-" : topic, partition, offset, at);
        if (topic == null) {
            headers.remove(DeadLetters.SOURCE_TOPIC);
        }
        producer.send(new ProducerRecord<>(Topics.DEAD_LETTERS, null, at.toEpochMilli(), original.key(), original.value(), headers))
                .get(30, TimeUnit.SECONDS);
    }

    private static RecordMetadata send(KafkaProducer<String, byte[]> producer, ProducerRecord<String, byte[]> record) throws Exception {
        return producer.send(record).get(30, TimeUnit.SECONDS);
    }

    private static Set<String> pushIds(ProducerRecord<String, byte[]> event, List<String> tokens) {
        Set<String> ids = new HashSet<>();
        tokens.forEach(t -> ids.add(PushIds.pushId(header(event, "ce_source"), header(event, "ce_id"), t)));
        return ids;
    }

    private static Map<String, Integer> once(Set<String> ids) {
        Map<String, Integer> once = new HashMap<>();
        ids.forEach(id -> once.put(id, 1));
        return once;
    }

    private static void awaitDelivered(MockProviders mocks, Set<String> pushIds) {
        Waits.until(() -> mocks.acceptedByPushId().keySet().containsAll(pushIds), Duration.ofMinutes(1),
                () -> "pushes " + pushIds + " delivered; accepted " + mocks.acceptedByPushId().keySet());
    }

    /** REASON → COUNT of the table {@code pushline dlq list} prints. */
    private static Map<String, Long> counts(String out) {
        Map<String, Long> counts = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 2 && cols[0].matches("[A-Z_]+") && !cols[0].equals("REASON") && cols[1].matches("\\d+")) {
                counts.put(cols[0], Long.parseLong(cols[1]));
            }
        }
        return counts;
    }

    private double count(String meter) {
        Counter counter = registry.find(meter).counter();
        return counter == null ? 0 : counter.count();
    }

    private double skipped(String flow, String reason) {
        Counter counter = registry.find(CoordinatorMetrics.SKIPPED).tags("flow", flow, "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private double deduplicated(String lane) {
        Counter counter = registry.find(WorkerMetrics.DEDUPLICATED).tags("lane", lane).counter();
        return counter == null ? 0 : counter.count();
    }

    private static String header(ProducerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> replayedOn(String servers, String topic) {
        return read(servers, topic).stream().filter(r -> r.headers().lastHeader(DeadLetters.REPLAYED_FROM) != null).toList();
    }

    /** The committed records of {@code topic}, up to its end offsets now. */
    private static List<ConsumerRecord<byte[], byte[]>> read(String servers, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(servers)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plusSeconds(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(Instant.now()).as("reading " + topic).isBefore(deadline);
                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }

    private static long endOffsets(String servers, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(servers)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String servers) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", servers, "isolation.level", "read_committed",
                "enable.auto.commit", false), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
