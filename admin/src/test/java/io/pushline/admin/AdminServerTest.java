package io.pushline.admin;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.Admin;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The admin API against a real broker: who may use it (an admin's token only, never a publisher's), every refusal
 * (401, 404, 405, 400 naming the value, 409 with the command's message), and each operation doing what its CLI command
 * does: parked coordinators listed and a retry command on the commands topic keyed by the recipient; dead letters
 * listed by reason, a dry run writing nothing, and a replay putting the originals back with their ids. No token in
 * any answer or log line.
 */
@KafkaIntegrationTest
class AdminServerTest {
    private static final String ADMIN_TOKEN = "admin-token-5b1e9c0d7a3f4e26";
    private static final String PUBLISHER_TOKEN = "publisher-token-c83d0e4a9f2b7165";
    private static final String ADMINS = "{\"admins\":[{\"name\":\"oncall\",\"tokenSha256\":\""
            + HexFormat.of().formatHex(io.pushline.credentials.BearerTokens.sha256(ADMIN_TOKEN)) + "\"}]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaBroker broker;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private AdminServer server;

    AdminServerTest(KafkaBroker broker) {
        this.broker = broker;
    }

    @BeforeEach
    void setUp() throws Exception {
        // The topics these operations use, created if missing (other test classes on this broker may have created them
        // with another partition count: left as they are).
        java.util.Set<String> existing = broker.admin().listTopics().names().get(30, TimeUnit.SECONDS);
        new TopicProvisioner(broker.admin(), Duration.ofSeconds(60)).ensure(Topics.catalogue(3, (short) 1).stream()
                .filter(t -> List.of(Topics.EVENTS, Topics.DEAD_LETTERS, Topics.COORDINATORS_PARKED, Topics.COORDINATOR_COMMANDS)
                        .contains(t.name()) && !existing.contains(t.name()))
                .toList());
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        server = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), AdminCredentials.parse(ADMINS),
                AdminArguments.clients(Map.of(), broker.bootstrapServers()), registry);
    }

    @AfterEach
    void tearDown() {
        server.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        for (String token : List.of(ADMIN_TOKEN, PUBLISHER_TOKEN)) {
            assertThat(bodies).as("answers").noneMatch(b -> b.contains(token));
            assertThat(logs.list).as("log lines").noneMatch(e -> e.getFormattedMessage().contains(token));
        }
    }

    @Test
    void onlyAnAdminsTokenIsAccepted() throws Exception {
        HttpResponse<String> none = call("GET", "dead-letters", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"pushline-admin\"");
        HttpResponse<String> publisher = call("GET", "dead-letters", PUBLISHER_TOKEN);
        assertThat(publisher.statusCode()).isEqualTo(401);
        assertThat(publisher.headers().firstValue("WWW-Authenticate")).get().asString().contains("invalid_token");
        HttpResponse<String> basic = send(HttpRequest.newBuilder(uri("dead-letters")).header("Authorization", "Basic b25jYWxsOng=").GET());
        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("a request with an unknown token from 127.0.0.1"));

        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).GET()).statusCode())
                .as("nothing else is served here").isEqualTo(404);
        assertThat(call("GET", "nothing-here", ADMIN_TOKEN).statusCode()).isEqualTo(404);
        assertThat(registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", "none", "status", "401").count()).isEqualTo(3);
        assertThat(registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", "unknown", "status", "404").count()).isEqualTo(1);
        HttpResponse<String> wrongMethod = call("POST", "dead-letters", ADMIN_TOKEN);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
        assertThat(call("GET", "dead-letters/replay?reason=NO_HEADERS", ADMIN_TOKEN).statusCode()).isEqualTo(405);
    }

    @Test
    void badValuesAreRefusedByNameAndCannotBecomeOptions() throws Exception {
        assertError(call("POST", "dead-letters/replay?reason=NOPE", ADMIN_TOKEN), 400, "--reason");
        assertError(call("POST", "dead-letters/replay", ADMIN_TOKEN), 400, "--reason");
        assertError(call("POST", "dead-letters/replay?reason=NO_HEADERS&limit=many", ADMIN_TOKEN), 400, "--limit");
        assertError(call("POST", "dead-letters/replay?reason=NO_HEADERS&limit=0", ADMIN_TOKEN), 400, "--limit must be at least 1");
        assertError(call("POST", "dead-letters/replay?reason=NO_HEADERS&dryRun=perhaps", ADMIN_TOKEN), 400, "--dry-run");
        // A value is only ever the value of its own option: this one is refused as --since's, not read as --kafka-config.
        assertError(call("GET", "dead-letters?since=--kafka-config%3D%2Fetc%2Fpasswd", ADMIN_TOKEN), 400, "option '--since'");
        assertError(call("GET", "dead-letters?since=yesterday", ADMIN_TOKEN), 400, "--since: 'yesterday' is neither");
        assertError(call("GET", "dead-letters?since=2h&since=3h", ADMIN_TOKEN), 400, "given twice");
        assertError(call("GET", "dead-letters?bootstrap-servers=10.0.0.1:9092", ADMIN_TOKEN), 400, "unknown parameter 'bootstrap-servers'");
        // (a client sends no malformed escape; the parser refuses one all the same)
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AdminQuery.parse("since=%ZZ")).hasMessageContaining("URL-encoded");
        assertError(call("POST", "coordinators/like:nobody:post-0/retry?wait=0", ADMIN_TOKEN), 409, "is not parked");
        assertError(call("POST", "coordinators/--help/discard?wait=0", ADMIN_TOKEN), 409, "--help is not parked");
    }

    @Test
    void parkedCoordinatorsAreListedAndRetriedThroughTheCommandsTopic() throws Exception {
        String id = "like:admin-api-" + UUID.randomUUID() + ":post-1";
        String recipient = "user-" + UUID.randomUUID();
        Admin.Parked parked = new Admin.Parked(id, "like", recipient, "NOTIFY", "provider down", Instant.now().truncatedTo(ChronoUnit.MILLIS),
                3, Map.of("postId", "post-1"));
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(Topics.COORDINATORS_PARKED, id, parked.toJson())).get(30, TimeUnit.SECONDS);
        }
        HttpResponse<String> list = call("GET", "coordinators", ADMIN_TOKEN);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        JsonNode mine = null;
        for (JsonNode p : JSON.readTree(list.body()).get("parked")) {
            if (p.get("id").asText().equals(id)) {
                mine = p;
            }
        }
        assertThat(mine).as("listed: %s", list.body()).isNotNull();
        assertThat(mine.get("recipient").asText()).isEqualTo(recipient);
        assertThat(mine.get("failures").asInt()).isEqualTo(3);
        assertThat(mine.get("reason").asText()).isEqualTo("provider down");

        Map<TopicPartition, Long> before = ends(Topics.COORDINATOR_COMMANDS);
        HttpResponse<String> retry = call("POST", "coordinators/" + id + "/retry?wait=0&note=fixed+the+key", ADMIN_TOKEN);
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(JSON.readTree(retry.body()).get("output").asText()).contains("sent retry for " + id);
        List<ConsumerRecord<String, byte[]>> commands = readFrom(Topics.COORDINATOR_COMMANDS, before, 1);
        assertThat(commands).singleElement().satisfies(r -> {
            assertThat(r.key()).as("keyed by the recipient, to reach the partition that owns it").isEqualTo(recipient);
            assertThat(Admin.Command.fromJson(r.value())).isEqualTo(new Admin.Command("retry", id, "fixed the key"));
        });
        assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().startsWith("admin operation by 'oncall': coordinators retry")
                && e.getFormattedMessage().contains("succeeded"));
    }

    @Test
    void deadLettersAreListedAndReplayedWithTheirIds() throws Exception {
        Instant since = Instant.now().minusSeconds(1);
        CloudEventCodec codec = new CloudEventCodec();
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < 2; i++) {
                String id = "admin-api-" + UUID.randomUUID();
                ids.add(id);
                ProducerRecord<String, byte[]> original = codec.toRecord(Topics.EVENTS,
                        Envelope.of(id, URI.create("urn:pushline:test"), Instant.now(), new FollowCreated("user-" + i, "user-7")));
                RecordHeaders headers = new RecordHeaders(original.headers().toArray());
                DeadLetters.addTo(headers, DeadLetterReason.PROCESSING_FAILED, "state store unavailable", Topics.EVENTS, i, 40L + i, Instant.now());
                producer.send(new ProducerRecord<>(Topics.DEAD_LETTERS, null, original.key(), original.value(), headers)).get(30, TimeUnit.SECONDS);
            }
        }
        String scope = "since=" + since + "&reason=PROCESSING_FAILED";
        HttpResponse<String> list = call("GET", "dead-letters?" + scope, ADMIN_TOKEN);
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        JsonNode listed = JSON.readTree(list.body());
        assertThat(listed.get("deadLetters").asLong()).isEqualTo(2);
        assertThat(listed.get("reasons").get(0).get("exampleDetail").asText()).isEqualTo("state store unavailable");

        Map<TopicPartition, Long> before = ends(Topics.EVENTS);
        HttpResponse<String> dryRun = call("POST", "dead-letters/replay?" + scope + "&dryRun=true", ADMIN_TOKEN);
        assertThat(dryRun.statusCode()).as(dryRun.body()).isEqualTo(200);
        assertThat(JSON.readTree(dryRun.body()).get("wouldReplay").asLong()).isEqualTo(2);
        assertThat(ends(Topics.EVENTS)).as("a dry run writes nothing").isEqualTo(before);

        HttpResponse<String> replay = call("POST", "dead-letters/replay?" + scope, ADMIN_TOKEN);
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        JsonNode report = JSON.readTree(replay.body());
        assertThat(report.get("replayed").asLong()).isEqualTo(2);
        assertThat(report.get("routes").get(0).get("replayedTo").asText()).isEqualTo(Topics.EVENTS);
        assertThat(report.get("notes").toString()).contains("ids are kept");
        assertThat(registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", "dlq replay", "status", "200").count()).isEqualTo(2);
        assertThat(registry.counter(AdminMetrics.ADMIN_REQUESTS, "operation", "dlq list", "status", "200").count()).isEqualTo(1);
        List<ConsumerRecord<String, byte[]>> replayed = readFrom(Topics.EVENTS, before, 2);
        assertThat(replayed).extracting(r -> header(r, "ce_id")).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(replayed).isNotEmpty().allSatisfy(r -> {
            assertThat(header(r, DeadLetters.REPLAYED_FROM)).startsWith(Topics.DEAD_LETTERS + "-");
            assertThat(r.headers().lastHeader(DeadLetters.REASON)).as("no dead-letter headers").isNull();
        });
    }

    private void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        String error = JSON.readTree(response.body()).get("error").asText();
        assertThat(error).contains(message).doesNotContain("Usage:");
    }

    private URI uri(String route) {
        return URI.create("http://127.0.0.1:" + server.port() + AdminServer.PREFIX + route);
    }

    private HttpRequest.Builder request(String method, String route, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(route)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private HttpResponse<String> call(String method, String route, String token) throws Exception {
        return send(request(method, route, token));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        bodies.add(response.body());
        return response;
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<String, byte[]> consumer() {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private Map<TopicPartition, Long> ends(String topic) {
        try (KafkaConsumer<String, byte[]> c = consumer()) {
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return c.endOffsets(partitions, Duration.ofSeconds(30));
        }
    }

    /** The records after {@code from}, once there are {@code expected} of them (and no more arrive within a short read). */
    private List<ConsumerRecord<String, byte[]>> readFrom(String topic, Map<TopicPartition, Long> from, int expected) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer()) {
            c.assign(from.keySet());
            from.forEach(c::seek);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
            c.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        return records;
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
