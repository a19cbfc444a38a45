package io.pushline.ingest;


import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.FollowCreated;
import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.TestTopics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The HTTP ingest against a real broker: what a 202 puts on the topic (binary mode, keyed by type, the codec accepts
 * it), what every refusal answers, and that it puts nothing on the topic; deduplication, rate limits, saturation (a
 * real producer whose acknowledgements are held back) and a broker that cannot be reached. No token appears in any
 * answer, log line or metric.
 */
@KafkaIntegrationTest
class IngestServerTest {
    private static final String LIKES_TOKEN = "likes-token-3f9a0c7e51d24b88";
    private static final String FOLLOWS_TOKEN = "follows-token-b2c4d6e8f0a1c3e5";
    private static final String SLOW_TOKEN = "slow-token-9d8c7b6a5f4e3d2c1b";
    private static final List<String> TOKENS = List.of(LIKES_TOKEN, FOLLOWS_TOKEN, SLOW_TOKEN);
    private static final String PUBLISHERS = "{\"publishers\":["
            + "{\"name\":\"follows\",\"token\":\"" + FOLLOWS_TOKEN + "\",\"types\":[\"io.pushline.follow.created.v1\","
            + "\"io.pushline.follow.removed.v1\"],\"sourcePrefixes\":[\"urn:pushline:service:follows\"],\"eventsPerSecond\":0},"
            + "{\"name\":\"likes\",\"tokenSha256\":\"" + java.util.HexFormat.of().formatHex(io.pushline.credentials.BearerTokens.sha256(LIKES_TOKEN))
            + "\",\"types\":[\"io.pushline.like.created.v1\"]},"
            + "{\"name\":\"slow\",\"token\":\"" + SLOW_TOKEN + "\",\"types\":[\"*\"],\"eventsPerSecond\":1}]}";
    private static final String DATA = "{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaBroker broker;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong nanos = new AtomicLong();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private String topic;
    private IngestServer server;

    IngestServerTest(KafkaBroker broker) {
        this.broker = broker;
    }

    @BeforeEach
    void setUp() throws Exception {
        topic = TestTopics.unique("ingest.events");
        broker.admin().createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        logs.start();
        Logger pushline = (Logger) LoggerFactory.getLogger("io.pushline");
        pushline.setLevel(Level.DEBUG);
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger("io.pushline")).setLevel(null);
        String scrape = registry.scrape();
        for (String token : TOKENS) {
            assertThat(bodies).as("answers").noneMatch(b -> b.contains(token));
            assertThat(logs.list).as("log lines").noneMatch(e -> e.getFormattedMessage().contains(token)
                    || (e.getThrowableProxy() != null && String.valueOf(e.getThrowableProxy().getMessage()).contains(token)));
            assertThat(scrape).as("metrics").doesNotContain(token);
        }
    }

    private IngestConfig config() {
        return IngestConfig.defaults().withTopic(topic);
    }

    private void start(IngestConfig config) throws Exception {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(IngestServer.producerConfig(broker.clientConfig(), config),
                new StringSerializer(), new ByteArraySerializer());
        server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, Publishers.parse(PUBLISHERS, nanos::get), producer,
                registry, Clock.systemUTC(), nanos::get);
    }

    static String event(String id, String type, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"urn:pushline:service:follows\",\"type\":\"" + type
                + "\",\"time\":\"2026-11-22T10:00:00Z\",\"data\":" + data + "}";
    }

    static String follow(String id) {
        return event(id, "io.pushline.follow.created.v1", DATA);
    }

    private HttpRequest.Builder request(String token, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + IngestServer.PATH))
                .timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return b;
    }

    private HttpResponse<String> post(String token, String contentType, String body) throws Exception {
        return send(request(token, contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        bodies.add(response.body());
        return response;
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    /** The records on the topic up to and including the one whose ce_id is {@code marker}, waiting at most 30 s for it. */
    private List<ConsumerRecord<String, byte[]>> recordsUntil(String marker) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put("group.id", TestTopics.unique("ingest-reader"));
        config.put("auto.offset.reset", "earliest");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.stream().anyMatch(r -> marker.equals(header(r, "ce_id")));
            });
        }
        return records;
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<String> ids(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(r -> header(r, "ce_id")).toList();
    }

    @Test
    void aSingleEventIsAcceptedOnlyOnceWrittenInBinaryModeKeyedByItsType() throws Exception {
        start(config());
        HttpResponse<String> response = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("single-1"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        JsonNode body = json(response);
        assertThat(body.get("accepted").asInt()).isEqualTo(1);
        assertThat(body.get("events").get(0).get("id").asText()).isEqualTo("single-1");
        assertThat(body.get("events").get(0).get("status").asText()).isEqualTo("accepted");

        List<ConsumerRecord<String, byte[]>> records = recordsUntil("single-1");
        assertThat(records).hasSize(1);
        ConsumerRecord<String, byte[]> record = records.get(0);
        assertThat(record.key()).isEqualTo("user-42");
        assertThat(header(record, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(record, "ce_source")).isEqualTo("urn:pushline:service:follows");
        assertThat(header(record, "ce_type")).isEqualTo("io.pushline.follow.created.v1");
        assertThat(header(record, "ce_time")).isEqualTo("2026-11-22T10:00:00Z");
        assertThat(header(record, "content-type")).isEqualTo("application/json");
        assertThat(JSON.readTree(record.value())).isEqualTo(JSON.readTree(DATA));
        Decoded decoded = new CloudEventCodec().decode(record);
        assertThat(decoded).isInstanceOfSatisfying(Decoded.Ok.class,
                ok -> assertThat(ok.envelope().data()).isEqualTo(new FollowCreated("user-42", "user-7")));

        assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", "follows", "result", "accepted").counter().count()).isEqualTo(1);
        assertThat(registry.get(IngestMetrics.INGEST_REQUESTS).tags("publisher", "follows", "status", "202").counter().count()).isEqualTo(1);
    }

    /** The ce- headers of follow(id) in binary mode, in the given case; change the map to vary them. */
    private static Map<String, String> binaryFollow(String id) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("CE-SpecVersion", "1.0");
        headers.put("Ce-Id", id);
        headers.put("ce-source", "urn:pushline:service:follows");
        headers.put("ce-type", "io.pushline.follow.created.v1");
        headers.put("ce-time", "2026-11-22T10:00:00Z");
        return headers;
    }

    private HttpResponse<String> postBinary(String contentType, Map<String, String> ceHeaders, String body) throws Exception {
        HttpRequest.Builder b = request(FOLLOWS_TOKEN, contentType);
        ceHeaders.forEach(b::header);
        return send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Every header of the record but ce_id, in order, as text. */
    private static Map<String, String> headersButId(ConsumerRecord<String, byte[]> record) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        for (Header h : record.headers()) {
            if (!h.key().equals("ce_id")) {
                assertThat(headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8))).as("one " + h.key()).isNull();
            }
        }
        return headers;
    }

    private static ConsumerRecord<String, byte[]> withId(List<ConsumerRecord<String, byte[]>> records, String id) {
        List<ConsumerRecord<String, byte[]>> found = records.stream().filter(r -> id.equals(header(r, "ce_id"))).toList();
        assertThat(found).as(id).hasSize(1);
        return found.get(0);
    }

    @Test
    void aBinaryModeEventIsWrittenAsTheSameEventInStructuredModeItsHeaderValuesPercentDecoded() throws Exception {
        start(config());
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("bin-1")).statusCode()).isEqualTo(202);
        HttpResponse<String> binary = postBinary("application/json", binaryFollow("bin-2"), DATA);
        assertThat(binary.statusCode()).as(binary.body()).isEqualTo(202);
        assertThat(json(binary).get("events").get(0).get("id").asText()).isEqualTo("bin-2");

        Map<String, String> encoded = binaryFollow("bin-3");
        encoded.put("ce-source", "urn:pushline:service:follows:caf%C3%A9:a%2520b");   // é, and a %20 that stays encoded
        encoded.put("ce-time", "2026-11-22T10%3a00%3A00Z");                            // needlessly encoded, lower-case hex
        HttpResponse<String> decoded = postBinary("application/json; charset=utf-8", encoded, DATA);
        assertThat(decoded.statusCode()).as(decoded.body()).isEqualTo(202);

        // Structured mode with ce- headers as well: the body wins and the headers are ignored.
        Map<String, String> ignored = binaryFollow("bin-ignored");
        ignored.put("ce-source", "%G1");
        HttpResponse<String> structured = postBinary(IngestServer.SINGLE, ignored, follow("bin-4"));
        assertThat(structured.statusCode()).as(structured.body()).isEqualTo(202);

        List<ConsumerRecord<String, byte[]>> records = recordsUntil("bin-4");
        assertThat(ids(records)).containsExactlyInAnyOrder("bin-1", "bin-2", "bin-3", "bin-4");
        ConsumerRecord<String, byte[]> asStructured = withId(records, "bin-1");
        ConsumerRecord<String, byte[]> asBinary = withId(records, "bin-2");
        assertThat(asBinary.key()).isEqualTo(asStructured.key()).isEqualTo("user-42");
        assertThat(headersButId(asBinary)).containsKeys("ce_specversion", "ce_source", "ce_type", "ce_time", "content-type")
                .isEqualTo(headersButId(asStructured));
        assertThat(asBinary.value()).isEqualTo(asStructured.value());

        ConsumerRecord<String, byte[]> percent = withId(records, "bin-3");
        assertThat(header(percent, "ce_source")).isEqualTo("urn:pushline:service:follows:café:a%20b");
        assertThat(header(percent, "ce_time")).isEqualTo("2026-11-22T10:00:00Z");
        assertThat(new CloudEventCodec().decode(percent)).isInstanceOfSatisfying(Decoded.Ok.class,
                ok -> assertThat(ok.envelope().source().toString()).isEqualTo("urn:pushline:service:follows:café:a%20b"));
        assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", "follows", "result", "accepted").counter().count()).isEqualTo(4);
    }

    @Test
    void binaryModeRefusalsAnswer400_413_415AndPublishNothing() throws Exception {
        start(config().withLimits(2048, 4096, 3, 8192));
        Map<String, String> badEscape = binaryFollow("bad-1");
        badEscape.put("ce-source", "urn:pushline:service:follows%G1");
        Map<String, String> truncated = binaryFollow("bad-%4");
        for (Map<String, String> headers : List.of(badEscape, truncated)) {
            HttpResponse<String> refused = postBinary("application/json", headers, DATA);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(json(refused).get("error").asText()).isEqualTo("invalid");
            JsonNode errors = json(refused).get("errors");
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0).get("field").asText()).isEqualTo(headers == badEscape ? "ce-source" : "ce-id");
            assertThat(errors.get(0).get("reason").asText()).contains("percent-encoding");
        }

        for (String contentType : List.of("text/plain", "application/xml")) {
            HttpResponse<String> unsupported = postBinary(contentType, binaryFollow("bad-2"), DATA);
            assertThat(unsupported.statusCode()).as(unsupported.body()).isEqualTo(415);
            assertThat(json(unsupported).get("message").asText()).contains("must be application/json, not " + contentType)
                    .contains(IngestServer.SINGLE).contains(IngestServer.BATCH);
            assertThat(unsupported.headers().firstValue("Accept-Post")).hasValue(PublishPath.ACCEPT_POST);
        }
        Map<String, String> noSpecVersion = binaryFollow("bad-3");
        noSpecVersion.remove("CE-SpecVersion");
        HttpResponse<String> plainJson = postBinary("application/json", noSpecVersion, DATA);
        assertThat(plainJson.statusCode()).isEqualTo(415);
        assertThat(json(plainJson).get("message").asText()).contains("ce-specversion");
        assertThat(plainJson.headers().firstValue("Accept-Post")).hasValue(PublishPath.ACCEPT_POST);

        // The same answer as structured mode gives, naming the header.
        Map<String, String> noId = binaryFollow("unused");
        noId.remove("Ce-Id");
        HttpResponse<String> missing = postBinary("application/json", noId, DATA);
        HttpResponse<String> structuredMissing = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("x").replace("\"id\":\"x\",", ""));
        assertThat(missing.statusCode()).as(missing.body()).isEqualTo(400);
        assertThat(json(missing).get("message")).isEqualTo(json(structuredMissing).get("message"));
        assertThat(json(missing).get("errors")).hasSize(1);
        assertThat(json(missing).get("errors").get(0).get("field").asText()).isEqualTo("ce-id");
        assertThat(json(missing).get("errors").get(0).get("reason")).isEqualTo(json(structuredMissing).get("errors").get(0).get("reason"));
        Map<String, String> badTime = binaryFollow("bad-4");
        badTime.put("ce-time", "not-a-time");
        HttpResponse<String> timeRefused = postBinary("application/json", badTime, DATA);
        assertThat(timeRefused.statusCode()).isEqualTo(400);
        assertThat(json(timeRefused).get("errors").findValuesAsText("field")).containsExactly("ce-time");

        String padded = DATA + " ".repeat(3000);
        assertThat(postBinary("application/json", binaryFollow("bad-5"), padded).statusCode()).as("declared length over the limit")
                .isEqualTo(413);
        HttpRequest.Builder streamed = request(FOLLOWS_TOKEN, "application/json");
        binaryFollow("bad-6").forEach(streamed::header);
        assertThat(send(streamed.POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(padded.getBytes(StandardCharsets.UTF_8)))).build()).statusCode())
                .as("chunked, cut off while reading").isEqualTo(413);

        assertThat(postBinary("application/json", binaryFollow("bin-marker"), DATA).statusCode()).isEqualTo(202);
        assertThat(ids(recordsUntil("bin-marker"))).containsExactly("bin-marker");
        assertThat(registry.get(IngestMetrics.INGEST_REQUESTS).tags("publisher", "follows", "status", "415").counter().count()).isEqualTo(3);
        assertThat(registry.get(IngestMetrics.INGEST_REQUESTS).tags("publisher", "follows", "status", "413").counter().count()).isEqualTo(2);
    }

    @Test
    void aBatchWithBadEntriesIsRefusedWholeNamingEachEntryAndField() throws Exception {
        start(config());
        String batch = "[" + follow("batch-0") + "," + event("batch-1", "io.pushline.follow.created.v1", "{\"followerId\":\"u\"}") + ","
                + follow("batch-2") + "," + follow("batch-3").replace("2026-11-22T10:00:00Z", "not-a-time") + "]";
        HttpResponse<String> refused = post(FOLLOWS_TOKEN, IngestServer.BATCH, batch);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        JsonNode errors = json(refused).get("errors");
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).get("index").asInt()).isEqualTo(1);
        assertThat(errors.get(0).get("field").asText()).isEqualTo("data.followeeId");
        assertThat(errors.get(1).get("index").asInt()).isEqualTo(3);
        assertThat(errors.get(1).get("field").asText()).isEqualTo("time");
        assertThat(json(refused).get("message").asText()).contains("none was published");

        HttpResponse<String> accepted = post(FOLLOWS_TOKEN, IngestServer.BATCH, "[" + follow("batch-4") + "," + follow("batch-5") + "]");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(json(accepted).get("events").get(1).get("index").asInt()).isEqualTo(1);
        assertThat(ids(recordsUntil("batch-5"))).containsExactlyInAnyOrder("batch-4", "batch-5");
    }

    @Test
    void refusalsAnswer401_403_404_405_413_415AndPublishNothing() throws Exception {
        start(config().withLimits(2048, 4096, 3, 8192));
        HttpResponse<String> noToken = post(null, IngestServer.SINGLE, follow("r-1"));
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        HttpResponse<String> wrongToken = post(FOLLOWS_TOKEN + "x", IngestServer.SINGLE, follow("r-2"));
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(wrongToken.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
        HttpResponse<String> basic = send(request(null, IngestServer.SINGLE).header("Authorization", "Basic " + FOLLOWS_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(follow("r-3"))).build());
        assertThat(basic.statusCode()).isEqualTo(401);

        HttpResponse<String> notAllowed = post(LIKES_TOKEN, IngestServer.SINGLE, follow("r-4"));
        assertThat(notAllowed.statusCode()).as(notAllowed.body()).isEqualTo(403);
        assertThat(json(notAllowed).get("errors").get(0).get("field").asText()).isEqualTo("type");
        assertThat(json(notAllowed).get("errors").get(0).get("reason").asText()).contains("may not publish io.pushline.follow.created.v1");
        HttpResponse<String> wrongSource = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("r-5").replace("service:follows", "service:spam"));
        assertThat(wrongSource.statusCode()).isEqualTo(403);
        assertThat(json(wrongSource).get("errors").get(0).get("field").asText()).isEqualTo("source");

        HttpResponse<String> json = post(FOLLOWS_TOKEN, "application/json", follow("r-6"));
        assertThat(json.statusCode()).isEqualTo(415);
        assertThat(json.headers().firstValue("Accept-Post")).isPresent();

        String padded = follow("r-7") + " ".repeat(3000);
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, padded).statusCode()).as("declared length over the limit").isEqualTo(413);
        HttpResponse<String> streamed = send(request(FOLLOWS_TOKEN, IngestServer.SINGLE).POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(padded.getBytes(StandardCharsets.UTF_8)))).build());
        assertThat(streamed.statusCode()).as("chunked, cut off while reading").isEqualTo(413);
        String fourEvents = "[" + follow("r-8") + "," + follow("r-9") + "," + follow("r-10") + "," + follow("r-11") + "]";
        assertThat(post(FOLLOWS_TOKEN, IngestServer.BATCH, fourEvents).statusCode()).as("more events than allowed").isEqualTo(413);

        assertThat(send(request(FOLLOWS_TOKEN, null).uri(URI.create("http://127.0.0.1:" + server.port() + "/v1/other"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode()).isEqualTo(404);
        HttpResponse<String> get = send(request(FOLLOWS_TOKEN, null).GET().build());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");

        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("r-marker")).statusCode()).isEqualTo(202);
        assertThat(ids(recordsUntil("r-marker"))).containsExactly("r-marker");
        assertThat(registry.get(IngestMetrics.INGEST_REQUESTS).tags("publisher", "unknown", "status", "401").counter().count()).isEqualTo(3);
    }

    @Test
    void theSameSourceAndIdWithinTheWindowIsProducedOnce() throws Exception {
        start(config());
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("dup-1")).statusCode()).isEqualTo(202);
        HttpResponse<String> again = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("dup-1"));
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(json(again).get("events").get(0).get("status").asText()).isEqualTo("duplicate");
        assertThat(json(again).get("duplicates").asInt()).isEqualTo(1);
        HttpResponse<String> batch = post(FOLLOWS_TOKEN, IngestServer.BATCH, "[" + follow("dup-2") + "," + follow("dup-2") + ","
                + follow("dup-1") + "," + follow("dup-3") + "]");
        assertThat(batch.statusCode()).isEqualTo(202);
        assertThat(json(batch).get("events").findValuesAsText("status")).containsExactly("accepted", "duplicate", "duplicate", "accepted");

        assertThat(ids(recordsUntil("dup-3"))).containsExactlyInAnyOrder("dup-1", "dup-2", "dup-3");
        assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", "follows", "result", "duplicate").counter().count()).isEqualTo(3);
    }

    @Test
    void aPublisherOverItsRateLimitIsToldWhenToRetry() throws Exception {
        start(config());
        assertThat(post(SLOW_TOKEN, IngestServer.SINGLE, follow("rate-1")).statusCode()).isEqualTo(202);
        HttpResponse<String> limited = post(SLOW_TOKEN, IngestServer.SINGLE, follow("rate-2"));
        assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(limited).get("error").asText()).isEqualTo("rate_limited");
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("rate-other")).statusCode()).as("another publisher's limit").isEqualTo(202);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(post(SLOW_TOKEN, IngestServer.SINGLE, follow("rate-2")).statusCode()).as("after waiting").isEqualTo(202);
        assertThat(ids(recordsUntil("rate-2"))).containsExactlyInAnyOrder("rate-1", "rate-other", "rate-2");
    }

    /** A real producer whose acknowledgements reach the caller only once released: a broker that is slow to acknowledge. */
    static final class SlowAcks extends KafkaProducer<String, byte[]> {
        final AtomicBoolean holding = new AtomicBoolean(true);
        final List<Runnable> held = new CopyOnWriteArrayList<>();
        final AtomicLong sends = new AtomicLong();

        SlowAcks(Map<String, Object> config) {
            super(config, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public java.util.concurrent.Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            sends.incrementAndGet();
            return super.send(record, (metadata, error) -> {
                synchronized (held) {
                    if (holding.get()) {
                        held.add(() -> callback.onCompletion(metadata, error));
                        return;
                    }
                }
                callback.onCompletion(metadata, error);
            });
        }

        void release() {
            synchronized (held) {
                holding.set(false);
            }
            held.forEach(Runnable::run);
        }
    }

    @Test
    void whileTheBrokerIsSlowToAcknowledgePublishersAreToldToRetryAndAcceptedEventsAreWritten() throws Exception {
        IngestConfig config = config().withLimits(2048, 4096, 10, 4096);
        SlowAcks producer = new SlowAcks(IngestServer.producerConfig(broker.clientConfig(), config));
        server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, Publishers.parse(PUBLISHERS, nanos::get), producer,
                registry, Clock.systemUTC(), nanos::get);
        String big = "[" + follow("slow-1") + "," + follow("slow-2") + "]";
        big = big + " ".repeat(3900 - big.length());
        CompletableFuture<HttpResponse<String>> first = http.sendAsync(request(FOLLOWS_TOKEN, IngestServer.BATCH)
                .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.held.size() == 2);
        assertThat(first).isNotDone();

        HttpResponse<String> refused = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("slow-3"));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(refused).get("error").asText()).isEqualTo("saturated");
        assertThat(producer.sends.get()).as("the refused request was not produced").isEqualTo(2);

        producer.release();
        HttpResponse<String> accepted = first.get(30, TimeUnit.SECONDS);
        bodies.add(accepted.body());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("slow-3")).statusCode()).as("the retry").isEqualTo(202);
        assertThat(ids(recordsUntil("slow-3"))).containsExactlyInAnyOrder("slow-1", "slow-2", "slow-3");
        assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", "follows", "result", "saturated").counter().count()).isEqualTo(1);
    }

    /** A real producer whose sends block until released: a broker whose metadata is slow to come, holding a handler thread. */
    static final class BlockingSends extends KafkaProducer<String, byte[]> {
        final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        final AtomicLong sends = new AtomicLong();

        BlockingSends(Map<String, Object> config) {
            super(config, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public java.util.concurrent.Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            sends.incrementAndGet();
            try {
                released.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.send(record, callback);
        }
    }

    @Test
    void whenEveryHandlerThreadIsBusyANewRequestIsAnswered503WithoutBeingQueued() throws Exception {
        IngestConfig config = config().withThreads(1, 0);
        BlockingSends producer = new BlockingSends(IngestServer.producerConfig(broker.clientConfig(), config));
        server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, Publishers.parse(PUBLISHERS, nanos::get), producer,
                registry, Clock.systemUTC(), nanos::get);
        CompletableFuture<HttpResponse<String>> first = http.sendAsync(request(FOLLOWS_TOKEN, IngestServer.SINGLE)
                .POST(HttpRequest.BodyPublishers.ofString(follow("busy-1"))).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.sends.get() == 1);

        HttpResponse<String> shed = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("busy-2"));
        assertThat(shed.statusCode()).as(shed.body()).isEqualTo(503);
        assertThat(shed.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(producer.sends.get()).isEqualTo(1);

        producer.released.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
        assertThat(ids(recordsUntil("busy-1"))).containsExactly("busy-1");
    }

    @Test
    void requestsAwaitingTheBrokerHoldNoThreadAndBeyondTheirBoundAreAnswered429BeforeBeingRead() throws Exception {
        IngestConfig config = config().withThreads(1, 16).withMaxInFlightRequests(2);
        SlowAcks producer = new SlowAcks(IngestServer.producerConfig(broker.clientConfig(), config));
        server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, Publishers.parse(PUBLISHERS, nanos::get), producer,
                registry, Clock.systemUTC(), nanos::get);
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (String id : List.of("held-1", "held-2")) {
            held.add(http.sendAsync(request(FOLLOWS_TOKEN, IngestServer.SINGLE).POST(HttpRequest.BodyPublishers.ofString(follow(id))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        // Both await their acknowledgement at once although there is one handler thread.
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.held.size() == 2);

        HttpResponse<String> refused = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("held-3"));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(refused).get("error").asText()).isEqualTo("saturated");
        assertThat(producer.sends.get()).isEqualTo(2);

        producer.release();
        for (CompletableFuture<HttpResponse<String>> f : held) {
            HttpResponse<String> accepted = f.get(30, TimeUnit.SECONDS);
            bodies.add(accepted.body());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        }
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("held-3")).statusCode()).as("the retry").isEqualTo(202);
        assertThat(ids(recordsUntil("held-3"))).containsExactlyInAnyOrder("held-1", "held-2", "held-3");
    }

    /** A raw keep-alive connection, for what java.net.http cannot do: send part of a body, or reuse a connection knowingly. */
    private static final class RawConnection implements AutoCloseable {
        final java.net.Socket socket;
        final java.io.InputStream in;

        RawConnection(int port) throws Exception {
            socket = new java.net.Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        void write(String text) throws Exception {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
        }

        static String head(String token, String contentType, int length) {
            return "POST " + IngestServer.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\nContent-Type: "
                    + contentType + "\r\nContent-Length: " + length + "\r\n\r\n";
        }

        /** The status line and headers (lower-cased names) of the next answer, whose body is read and returned last. */
        Map<String, String> answer() throws Exception {
            Map<String, String> headers = new HashMap<>();
            String status = line();
            headers.put(":status", status.substring(9, 12));
            String line;
            while (!(line = line()).isEmpty()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            headers.put(":body", new String(body, StandardCharsets.UTF_8));
            return headers;
        }

        /** True once the server closed the connection (end of stream within the socket timeout). */
        boolean closedByServer() throws Exception {
            try {
                return in.read() == -1;
            } catch (java.net.SocketException e) {
                return true;   // reset
            }
        }

        private String line() throws Exception {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed after '" + b + "'");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @Test
    void aRequestRefusedBeforeItsBodyIsReadLeavesTheConnectionUsable() throws Exception {
        start(config());
        try (RawConnection c = new RawConnection(server.port())) {
            String body = follow("keep-1");
            c.write(RawConnection.head(FOLLOWS_TOKEN + "x", IngestServer.SINGLE, body.length()) + body);
            Map<String, String> refused = c.answer();
            bodies.add(refused.get(":body"));
            assertThat(refused.get(":status")).isEqualTo("401");
            assertThat(refused).doesNotContainKey("connection");
            c.write(RawConnection.head(FOLLOWS_TOKEN, IngestServer.SINGLE, body.length()) + body);
            Map<String, String> accepted = c.answer();
            bodies.add(accepted.get(":body"));
            assertThat(accepted.get(":status")).as(accepted.get(":body")).isEqualTo("202");
        }
        assertThat(ids(recordsUntil("keep-1"))).containsExactly("keep-1");
    }

    @Test
    void aClientThatExpects100ContinueIsToldToSendItsBodyOrIsRefusedBeforeSendingIt() throws Exception {
        start(config());
        String body = follow("continue-1");
        try (RawConnection c = new RawConnection(server.port())) {
            c.write(RawConnection.head(FOLLOWS_TOKEN, IngestServer.SINGLE, body.length()).replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n"));
            assertThat(c.answer().get(":status")).isEqualTo("100");
            c.write(body);
            Map<String, String> accepted = c.answer();
            bodies.add(accepted.get(":body"));
            assertThat(accepted.get(":status")).as(accepted.get(":body")).isEqualTo("202");
        }
        try (RawConnection c = new RawConnection(server.port())) {
            c.write(RawConnection.head(FOLLOWS_TOKEN + "x", IngestServer.SINGLE, body.length())
                    .replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n"));
            Map<String, String> refused = c.answer();
            bodies.add(refused.get(":body"));
            assertThat(refused.get(":status")).isEqualTo("401");
            assertThat(refused.get("connection")).as("the body it holds back is never read").isEqualToIgnoringCase("close");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(ids(recordsUntil("continue-1"))).containsExactly("continue-1");
    }

    @Test
    void aClientThatTricklesItsBodyOrNeverSendsItIsAnswered408AndDisconnectedFreeingWhatItHeld() throws Exception {
        start(config().withReadTimeout(Duration.ofMillis(300)));
        String body = follow("trickle-1");
        try (RawConnection partial = new RawConnection(server.port()); RawConnection none = new RawConnection(server.port())) {
            partial.write(RawConnection.head(FOLLOWS_TOKEN, IngestServer.SINGLE, body.length()) + body.substring(0, 20));
            none.write(RawConnection.head(FOLLOWS_TOKEN, IngestServer.SINGLE, body.length()));
            for (RawConnection c : List.of(partial, none)) {
                Map<String, String> answer = c.answer();
                bodies.add(answer.get(":body"));
                assertThat(answer.get(":status")).as(answer.get(":body")).isEqualTo("408");
                assertThat(answer.get("connection")).isEqualToIgnoringCase("close");
                assertThat(c.closedByServer()).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.get(IngestMetrics.INGEST_IN_FLIGHT_BYTES).gauge().value() == 0);
        assertThat(post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("trickle-2")).statusCode()).isEqualTo(202);
        assertThat(ids(recordsUntil("trickle-2"))).containsExactly("trickle-2");
        assertThat(registry.get(IngestMetrics.INGEST_REQUESTS).tags("publisher", "follows", "status", "408").counter().count()).isEqualTo(2);
    }

    @Test
    void anUnreachableBrokerIsA503ThatClaimsNothingAndTheRetryIsProduced() throws Exception {
        IngestConfig config = config().withProducerTimeouts(Duration.ofMillis(300), Duration.ofSeconds(1));
        Map<String, Object> nowhere = new HashMap<>(broker.clientConfig());
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            nowhere.put("bootstrap.servers", "127.0.0.1:" + closed.getLocalPort());
        }
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(IngestServer.producerConfig(nowhere, config), new StringSerializer(),
                new ByteArraySerializer());
        server = IngestServer.start(new InetSocketAddress("127.0.0.1", 0), config, Publishers.parse(PUBLISHERS, nanos::get), producer,
                registry, Clock.systemUTC(), nanos::get);
        HttpResponse<String> failed = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("down-1"));
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
        assertThat(failed.headers().firstValue("Retry-After")).hasValue(Long.toString(IngestServer.BROKER_RETRY_AFTER_SECONDS));
        assertThat(json(failed).get("message").asText()).contains("retry with the same ids");
        HttpResponse<String> again = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("down-1"));
        assertThat(again.statusCode()).as("a failed id is not remembered as a duplicate").isEqualTo(503);
        assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", "follows", "result", "failed").counter().count()).isEqualTo(2);
        server.close();

        // The same id again, now that the broker is reachable: not a duplicate, since nothing was accepted.
        start(config);
        HttpResponse<String> retried = post(FOLLOWS_TOKEN, IngestServer.SINGLE, follow("down-1"));
        assertThat(retried.statusCode()).isEqualTo(202);
        assertThat(ids(recordsUntil("down-1"))).containsExactly("down-1");
    }
}
