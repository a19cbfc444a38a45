package io.pushline.ingest;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.FollowCreated;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publish path without sockets: Kafka's own {@link MockProducer} (acknowledgements driven by
 * {@code completeNext}/{@code errorNext}) and an injected nanosecond clock for rate limits and the dedup window. Every
 * answer it can give: accepted (single, batch), duplicate, invalid, forbidden, rate-limited, unauthorised, unsupported
 * or too large, failed, saturated (the producer's buffer), and an unexpected failure; each with its counters, and none
 * with a token in it.
 */
class PublishPathTest {
    private static final String FOLLOWS_TOKEN = "follows-token-b2c4d6e8f0a1c3e5";
    private static final String LIKES_TOKEN = "likes-token-3f9a0c7e51d24b88";
    private static final String SLOW_TOKEN = "slow-token-9d8c7b6a5f4e3d2c1b";
    private static final List<String> TOKENS = List.of(FOLLOWS_TOKEN, LIKES_TOKEN, SLOW_TOKEN);
    private static final String PUBLISHERS = "{\"publishers\":["
            + "{\"name\":\"follows\",\"token\":\"" + FOLLOWS_TOKEN + "\",\"types\":[\"io.pushline.follow.created.v1\"],"
            + "\"sourcePrefixes\":[\"urn:pushline:service:follows\"],\"eventsPerSecond\":0},"
            + "{\"name\":\"likes\",\"token\":\"" + LIKES_TOKEN + "\",\"types\":[\"io.pushline.like.created.v1\"]},"
            + "{\"name\":\"slow\",\"token\":\"" + SLOW_TOKEN + "\",\"types\":[\"*\"],\"eventsPerSecond\":1}]}";
    private static final String TOPIC = "test.events";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:05Z");

    private final AtomicLong nanos = new AtomicLong();
    private SimpleMeterRegistry registry;
    private final MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    private final List<IngestReply> replies = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private PublishPath path;

    @BeforeEach
    void setUp() throws Exception {
        path = path(IngestConfig.defaults().withTopic(TOPIC), Clock.fixed(NOW, ZoneOffset.UTC));
        logs.start();
        ((Logger) LoggerFactory.getLogger(IngestServer.class)).addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(IngestServer.class)).detachAppender(logs);
        for (String token : TOKENS) {
            assertThat(replies).as("answers").noneMatch(r -> new String(r.bytes(), StandardCharsets.UTF_8).contains(token)
                    || r.headers().values().stream().anyMatch(v -> v.contains(token)));
            assertThat(logs.list).as("log lines").noneMatch(e -> e.getFormattedMessage().contains(token));
            assertThat(registry.getMeters()).as("metrics").noneMatch(m -> m.getId().toString().contains(token));
        }
    }

    /** A publish path over a fresh registry (a registry keeps the first dedup gauge registered in it). */
    private PublishPath path(IngestConfig config, Clock clock) throws Exception {
        registry = new SimpleMeterRegistry();
        return new PublishPath(config, Publishers.parse(PUBLISHERS, nanos::get), producer, registry, clock, nanos::get);
    }

    private static String event(String id, String source, String type, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"" + source + "\",\"type\":\"" + type
                + "\",\"time\":\"2026-11-22T10:00:00Z\",\"data\":" + data + "}";
    }

    private static String follow(String id) {
        return event(id, "urn:pushline:service:follows", "io.pushline.follow.created.v1", "{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}");
    }

    private static String batch(String... events) {
        return "[" + String.join(",", events) + "]";
    }

    /** The answer to a POST, not necessarily complete yet; recorded for the no-token check once it is. */
    private CompletableFuture<IngestReply> post(String authorization, String contentType, String body) {
        return post(authorization, contentType, Map.of(), body);
    }

    /** The same, with {@code ce-*} headers (names lower-case, as the transport gives them). */
    private CompletableFuture<IngestReply> post(String authorization, String contentType, Map<String, List<String>> ceHeaders,
                                                String body) {
        CompletableFuture<IngestReply> answer = path.publish(authorization, contentType, ceHeaders, body.getBytes(StandardCharsets.UTF_8))
                .toCompletableFuture();
        answer.thenAccept(replies::add);
        return answer;
    }

    private CompletableFuture<IngestReply> post(String token, String body) {
        return post("Bearer " + token, body.startsWith("[") ? IngestServer.BATCH : IngestServer.SINGLE, body);
    }

    /** The answer, which must already be there. */
    private static IngestReply now(CompletableFuture<IngestReply> answer) {
        assertThat(answer).as("answered").isDone();
        return answer.join();
    }

    private double events(String publisher, String result) {
        var counter = registry.find(IngestMetrics.INGEST_EVENTS).tags("publisher", publisher, "result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    private List<String> produced() {
        return producer.history().stream().map(r -> header(r, "ce_id")).toList();
    }

    private static String header(ProducerRecord<String, byte[]> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<String> statuses(IngestReply reply) {
        return reply.body().get("events").findValuesAsText("status");
    }

    @Test
    void eachPublishersAcceptedCounterAndTheDedupGaugeExistBeforeTheFirstEvent() {
        for (String name : List.of("follows", "likes", "slow")) {
            assertThat(registry.get(IngestMetrics.INGEST_EVENTS).tags("publisher", name, "result", "accepted").counter().count()).isZero();
        }
        assertThat(registry.get(IngestMetrics.INGEST_DEDUP_ENTRIES).gauge().value()).isZero();
    }

    @Test
    void aSingleEventIsAcceptedOnlyOnceTheBrokerAcknowledgedIt() throws Exception {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, follow("single-1"));
        assertThat(answer).as("awaiting the acknowledgement").isNotDone();
        assertThat(produced()).containsExactly("single-1");
        ProducerRecord<String, byte[]> record = producer.history().get(0);
        assertThat(record.topic()).isEqualTo(TOPIC);
        assertThat(record.key()).isEqualTo("user-42");
        assertThat(new CloudEventCodec().decode(record.headers(), record.value())).isInstanceOfSatisfying(Decoded.Ok.class,
                ok -> {
                    assertThat(ok.envelope().data()).isEqualTo(new FollowCreated("user-42", "user-7"));
                    // The record a Kafka publisher would have written with the codec, though the ingest never encodes it.
                    ProducerRecord<String, byte[]> encoded = new CloudEventCodec().toRecord(TOPIC, ok.envelope());
                    assertThat(record.headers().toArray()).containsExactly(encoded.headers().toArray());
                    assertThat(record.value()).isEqualTo(encoded.value());
                });

        assertThat(producer.completeNext()).isTrue();
        IngestReply reply = now(answer);
        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.publisher()).isEqualTo("follows");
        assertThat(reply.headers()).isEmpty();
        JsonNode body = reply.body();
        assertThat(body.get("accepted").asInt()).isEqualTo(1);
        assertThat(body.get("duplicates").asInt()).isZero();
        JsonNode only = body.get("events").get(0);
        assertThat(only.has("index")).as("a single event has no index").isFalse();
        assertThat(only.get("id").asText()).isEqualTo("single-1");
        assertThat(only.get("source").asText()).isEqualTo("urn:pushline:service:follows");
        assertThat(only.get("status").asText()).isEqualTo("accepted");
        assertThat(new String(reply.bytes(), StandardCharsets.UTF_8)).endsWith("}\n");
        assertThat(events("follows", "accepted")).isEqualTo(1);
        assertThat(registry.get(IngestMetrics.INGEST_DEDUP_ENTRIES).gauge().value()).isEqualTo(1);
    }

    @Test
    void anEventWithoutTimeIsStampedWithTheInjectedClock() {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, follow("untimed-1").replace(",\"time\":\"2026-11-22T10:00:00Z\"", ""));
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(answer).status()).isEqualTo(202);
        assertThat(header(producer.history().get(0), "ce_time")).isEqualTo("2026-11-22T10:00:05Z");
    }

    @Test
    void aBatchIsAcceptedOnceEveryEventIsAcknowledgedEachWithItsIndex() {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, batch(follow("b-0"), follow("b-1"), follow("b-2")));
        assertThat(produced()).containsExactly("b-0", "b-1", "b-2");
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.completeNext()).isTrue();
        assertThat(answer).as("one acknowledgement still missing").isNotDone();
        assertThat(producer.completeNext()).isTrue();
        IngestReply reply = now(answer);
        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.body().get("accepted").asInt()).isEqualTo(3);
        assertThat(reply.body().get("events").findValuesAsText("index")).containsExactly("0", "1", "2");
        assertThat(reply.body().get("events").findValuesAsText("id")).containsExactly("b-0", "b-1", "b-2");
        assertThat(statuses(reply)).containsExactly("accepted", "accepted", "accepted");
        assertThat(events("follows", "accepted")).isEqualTo(3);
    }

    @Test
    void theSameSourceAndIdWithinTheWindowIsProducedOnceAndAnsweredDuplicate() {
        CompletableFuture<IngestReply> first = post(FOLLOWS_TOKEN, follow("dup-1"));
        CompletableFuture<IngestReply> concurrent = post(FOLLOWS_TOKEN, follow("dup-1"));
        assertThat(concurrent).as("a retry while the first is unacknowledged waits for it").isNotDone();
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(first).body().get("accepted").asInt()).isEqualTo(1);
        IngestReply duplicate = now(concurrent);
        assertThat(duplicate.status()).isEqualTo(202);
        assertThat(duplicate.body().get("duplicates").asInt()).isEqualTo(1);
        assertThat(statuses(duplicate)).containsExactly("duplicate");

        CompletableFuture<IngestReply> inOneBatch = post(FOLLOWS_TOKEN, batch(follow("dup-2"), follow("dup-2"), follow("dup-1")));
        assertThat(producer.completeNext()).isTrue();
        IngestReply mixed = now(inOneBatch);
        assertThat(statuses(mixed)).containsExactly("accepted", "duplicate", "duplicate");
        assertThat(produced()).containsExactly("dup-1", "dup-2");
        assertThat(events("follows", "duplicate")).isEqualTo(3);
        assertThat(events("follows", "accepted")).isEqualTo(2);

        nanos.addAndGet(IngestConfig.DEFAULT_DEDUP_WINDOW.toNanos());
        CompletableFuture<IngestReply> afterTheWindow = post(FOLLOWS_TOKEN, follow("dup-1"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(statuses(now(afterTheWindow))).as("forgotten after the window").containsExactly("accepted");
        assertThat(produced()).containsExactly("dup-1", "dup-2", "dup-1");
    }

    @Test
    void anInvalidEventOrBatchIsRefusedWholeNamingEachEntryAndFieldAndNothingIsProduced() {
        IngestReply single = now(post(FOLLOWS_TOKEN, follow("bad-1").replace("2026-11-22T10:00:00Z", "not-a-time")));
        assertThat(single.status()).isEqualTo(400);
        assertThat(single.body().get("error").asText()).isEqualTo("invalid");
        assertThat(single.body().get("message").asText()).isEqualTo("the event is invalid; it was not published");
        assertThat(single.body().get("errors")).isNotEmpty();
        assertThat(single.body().get("errors").get(0).has("index")).isFalse();
        assertThat(single.body().get("errors").get(0).get("field").asText()).isEqualTo("time");

        String missingFollowee = event("bad-3", "urn:pushline:service:follows", "io.pushline.follow.created.v1", "{\"followerId\":\"u\"}");
        IngestReply batch = now(post(FOLLOWS_TOKEN, batch(follow("ok-2"), missingFollowee, "{\"specversion\":\"1.0\"}")));
        assertThat(batch.status()).isEqualTo(400);
        assertThat(batch.body().get("message").asText()).isEqualTo("2 of the batch's events are invalid; none was published");
        JsonNode errors = batch.body().get("errors");
        assertThat(errors).isNotEmpty();
        assertThat(errors.get(0).get("index").asInt()).isEqualTo(1);
        assertThat(errors.get(0).get("field").asText()).isEqualTo("data.followeeId");
        assertThat(errors.findValuesAsText("index")).containsOnly("1", "2");

        IngestReply malformed = now(post(FOLLOWS_TOKEN, "{\"specversion\":"));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().get("errors").get(0).get("field").asText()).isEqualTo("(root)");

        assertThat(producer.history()).isEmpty();
        assertThat(events("follows", "invalid")).as("one single, two batch entries, one malformed").isEqualTo(4);
    }

    @Test
    void aBatchOfMoreEventsThanAllowedIs413() throws Exception {
        path = path(IngestConfig.defaults().withTopic(TOPIC).withLimits(2048, 4096, 2, 8192), Clock.systemUTC());
        IngestReply reply = now(post(FOLLOWS_TOKEN, batch(follow("m-0"), follow("m-1"), follow("m-2"))));
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.body().get("error").asText()).isEqualTo("too_large");
        assertThat(reply.body().get("message").asText()).startsWith("3 events in one batch exceeds the limit of 2")
                .endsWith("(single events: 2048 bytes; batches: 4096 bytes and 2 events)");
        assertThat(producer.history()).isEmpty();
    }

    private static final String FOLLOW_DATA = "{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}";

    /** The ce- headers of follow(id) in binary mode; {@code changes} (name, value; null removes) are applied after. */
    private static Map<String, List<String>> binaryFollow(String id, String... changes) {
        Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
        headers.put("ce-specversion", List.of("1.0"));
        headers.put("ce-id", List.of(id));
        headers.put("ce-source", List.of("urn:pushline:service:follows"));
        headers.put("ce-type", List.of("io.pushline.follow.created.v1"));
        headers.put("ce-time", List.of("2026-11-22T10:00:00Z"));
        for (int i = 0; i < changes.length; i += 2) {
            if (changes[i + 1] == null) {
                headers.remove(changes[i]);
            } else {
                headers.put(changes[i], List.of(changes[i + 1]));
            }
        }
        return headers;
    }

    private CompletableFuture<IngestReply> postBinary(String contentType, Map<String, List<String>> ceHeaders, String body) {
        return post("Bearer " + FOLLOWS_TOKEN, contentType, ceHeaders, body);
    }

    @Test
    void aBinaryModeEventIsProducedExactlyAsTheSameEventInStructuredMode() throws Exception {
        CompletableFuture<IngestReply> structured = post(FOLLOWS_TOKEN, follow("same-1"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(structured).status()).isEqualTo(202);
        path = path(IngestConfig.defaults().withTopic(TOPIC), Clock.fixed(NOW, ZoneOffset.UTC));   // a fresh dedup window
        CompletableFuture<IngestReply> binary = postBinary("application/json; charset=utf-8", binaryFollow("same-1"), FOLLOW_DATA);
        assertThat(producer.completeNext()).isTrue();
        IngestReply reply = now(binary);
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(202);
        assertThat(reply.body().get("events").get(0).get("id").asText()).isEqualTo("same-1");

        assertThat(producer.history()).hasSize(2);
        ProducerRecord<String, byte[]> a = producer.history().get(0);
        ProducerRecord<String, byte[]> b = producer.history().get(1);
        assertThat(b.key()).isEqualTo(a.key()).isEqualTo("user-42");
        assertThat(b.headers().toArray()).containsExactly(a.headers().toArray());
        assertThat(b.value()).isEqualTo(a.value());
        assertThat(events("follows", "accepted")).isEqualTo(1);
    }

    @Test
    void aBinaryModeBodyIsProducedAsItCameNotWrittenAgain() {
        String spaced = "{ \"followerId\" : \"user-42\",\n  \"followeeId\" : \"user-7\" }";
        CompletableFuture<IngestReply> answer = postBinary("application/json", binaryFollow("spaced-1"), spaced);
        assertThat(producer.history()).hasSize(1);
        assertThat(new String(producer.history().get(0).value(), StandardCharsets.UTF_8)).isEqualTo(spaced);
        assertThat(new CloudEventCodec().decode(producer.history().get(0).headers(), producer.history().get(0).value()))
                .isInstanceOfSatisfying(Decoded.Ok.class, ok -> assertThat(ok.envelope().data()).isEqualTo(new FollowCreated("user-42", "user-7")));
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(answer).status()).isEqualTo(202);
    }

    @Test
    void aBinaryModeEventIsJudgedByTheSameRulesEachProblemNamingItsHeader() {
        IngestReply noId = now(postBinary("application/json", binaryFollow("b-1", "ce-id", null), FOLLOW_DATA));
        assertThat(noId.status()).isEqualTo(400);
        assertThat(noId.body().get("error").asText()).isEqualTo("invalid");
        assertThat(noId.body().get("message").asText()).isEqualTo("the event is invalid; it was not published");
        assertThat(noId.body().get("errors")).singleElement().satisfies(e -> {
            assertThat(e.has("index")).isFalse();
            assertThat(e.get("field").asText()).isEqualTo("ce-id");
            assertThat(e.get("reason").asText()).isEqualTo("required");
        });
        IngestReply badTime = now(postBinary("application/json", binaryFollow("b-2", "ce-time", "yesterday"), FOLLOW_DATA));
        assertThat(badTime.body().get("errors").findValuesAsText("field")).containsExactly("ce-time");
        IngestReply badData = now(postBinary("application/json", binaryFollow("b-3"), "{\"followerId\":\"u\"}"));
        assertThat(badData.body().get("errors").findValuesAsText("field")).containsExactly("data.followeeId");
        IngestReply notJson = now(postBinary("application/json", binaryFollow("b-4"), "{\"followerId\":"));
        assertThat(notJson.body().get("errors").findValuesAsText("field")).containsExactly("data");
        IngestReply subject = now(postBinary("application/json", binaryFollow("b-5", "ce-subject", "x"), FOLLOW_DATA));
        assertThat(subject.body().get("errors")).singleElement().satisfies(e -> {
            assertThat(e.get("field").asText()).isEqualTo("ce-subject");
            assertThat(e.get("reason").asText()).contains("unsupported attribute");
        });
        IngestReply contentTypeTwice = now(postBinary("application/json", binaryFollow("b-6", "ce-datacontenttype", "application/json"),
                FOLLOW_DATA));
        assertThat(contentTypeTwice.body().get("errors").findValuesAsText("field")).containsExactly("ce-datacontenttype");
        IngestReply specVersion = now(postBinary("application/json", binaryFollow("b-7", "ce-specversion", "0.3"), FOLLOW_DATA));
        assertThat(specVersion.body().get("errors").findValuesAsText("field")).containsExactly("ce-specversion");
        for (IngestReply r : List.of(badTime, badData, notJson, subject, contentTypeTwice, specVersion)) {
            assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
        }

        IngestReply malformed = now(postBinary("application/json", binaryFollow("b-8", "ce-source", "urn:pushline:service:follows%G1"),
                FOLLOW_DATA));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().get("message").asText()).contains("ce- headers");
        assertThat(malformed.body().get("errors")).singleElement().satisfies(e -> {
            assertThat(e.get("field").asText()).isEqualTo("ce-source");
            assertThat(e.get("reason").asText()).contains("percent-encoding");
        });

        IngestReply forbidden = now(postBinary("application/json", binaryFollow("b-9", "ce-source", "urn:pushline:service:spam"),
                FOLLOW_DATA));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body().get("errors").findValuesAsText("field")).containsExactly("ce-source");

        assertThat(producer.history()).isEmpty();
        assertThat(events("follows", "invalid")).isEqualTo(8);
        assertThat(events("follows", "forbidden")).isEqualTo(1);
    }

    @Test
    void binaryModeCarriesJsonDataOnlyAndApplicationJsonNeedsCeSpecVersion() {
        IngestReply text = now(postBinary("text/plain", binaryFollow("m-1"), FOLLOW_DATA));
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.body().get("message").asText()).contains("must be application/json, not text/plain")
                .contains("binary mode").contains("structured mode").contains("batched mode");
        assertThat(text.headers()).containsEntry("Accept-Post", PublishPath.ACCEPT_POST);
        IngestReply latin1 = now(postBinary("application/json; charset=iso-8859-1", binaryFollow("m-2"), FOLLOW_DATA));
        assertThat(latin1.status()).isEqualTo(415);
        assertThat(latin1.body().get("message").asText()).contains("only UTF-8");
        IngestReply noSpecVersion = now(postBinary("application/json", binaryFollow("m-3", "ce-specversion", null), FOLLOW_DATA));
        assertThat(noSpecVersion.status()).isEqualTo(415);
        assertThat(noSpecVersion.body().get("message").asText()).contains("ce-specversion");
        IngestReply none = now(postBinary(null, binaryFollow("m-4"), FOLLOW_DATA));
        assertThat(none.status()).isEqualTo(415);

        PublishPath.Screened tooLong = path.screen("Bearer " + FOLLOWS_TOKEN, "application/json", binaryFollow("m-5"),
                IngestConfig.DEFAULT_MAX_EVENT_BYTES + 1L);
        assertThat(tooLong).isInstanceOfSatisfying(PublishPath.Refused.class, r -> assertThat(r.reply().status()).isEqualTo(413));
        PublishPath.Screened admitted = path.screen("Bearer " + FOLLOWS_TOKEN, "application/json", binaryFollow("m-6"), -1);
        assertThat(admitted).isInstanceOfSatisfying(PublishPath.Admitted.class, a -> {
            assertThat(a.mode()).isEqualTo(PublishPath.Mode.BINARY);
            assertThat(a.limit()).isEqualTo(IngestConfig.DEFAULT_MAX_EVENT_BYTES);
            assertThat(a.attributes()).containsEntry("id", "m-6");
        });

        // Structured mode with ce- headers too: the body wins, the headers are ignored.
        CompletableFuture<IngestReply> structured = post("Bearer " + FOLLOWS_TOKEN, IngestServer.SINGLE,
                binaryFollow("m-7", "ce-source", "%G1"), follow("m-8"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(structured).status()).isEqualTo(202);
        assertThat(produced()).containsExactly("m-8");
    }

    @Test
    void aTypeOrSourceThePublisherMayNotPublishIsForbiddenAndNothingIsProduced() {
        IngestReply type = now(post(LIKES_TOKEN, follow("f-1")));
        assertThat(type.status()).isEqualTo(403);
        assertThat(type.publisher()).isEqualTo("likes");
        assertThat(type.body().get("error").asText()).isEqualTo("forbidden");
        assertThat(type.body().get("message").asText()).isEqualTo("'likes' may not publish this event");
        assertThat(type.body().get("errors").get(0).get("field").asText()).isEqualTo("type");
        assertThat(type.body().get("errors").get(0).get("reason").asText()).contains("may not publish io.pushline.follow.created.v1");

        IngestReply source = now(post(FOLLOWS_TOKEN, follow("f-2").replace("service:follows", "service:spam")));
        assertThat(source.status()).isEqualTo(403);
        assertThat(source.body().get("errors").get(0).get("field").asText()).isEqualTo("source");

        IngestReply batch = now(post(FOLLOWS_TOKEN, batch(follow("f-3"), follow("f-4").replace("service:follows", "service:spam"))));
        assertThat(batch.status()).isEqualTo(403);
        assertThat(batch.body().get("message").asText())
                .isEqualTo("1 of the batch's events may not be published by 'follows'; none was published");
        assertThat(batch.body().get("errors").get(0).get("index").asInt()).isEqualTo(1);

        assertThat(producer.history()).isEmpty();
        assertThat(events("likes", "forbidden")).isEqualTo(1);
        assertThat(events("follows", "forbidden")).isEqualTo(2);
    }

    @Test
    void aPublisherOverItsRateLimitIsToldWhenToRetryAndNothingIsProduced() {
        CompletableFuture<IngestReply> first = post(SLOW_TOKEN, follow("rate-1"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(now(first).status()).isEqualTo(202);

        IngestReply limited = now(post(SLOW_TOKEN, follow("rate-2")));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers()).containsEntry("Retry-After", "1");
        assertThat(limited.body().get("error").asText()).isEqualTo("rate_limited");
        assertThat(limited.body().get("message").asText()).isEqualTo("publisher 'slow' is over its rate limit; retry after 1 s");
        assertThat(events("slow", "rate_limited")).isEqualTo(1);
        assertThat(produced()).containsExactly("rate-1");

        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        CompletableFuture<IngestReply> batch = post(SLOW_TOKEN, batch(follow("rate-2"), follow("rate-3"), follow("rate-4")));
        assertThat(produced()).as("a full bucket lets a bigger batch through, in debt").containsExactly("rate-1", "rate-2", "rate-3", "rate-4");
        IngestReply inDebt = now(post(SLOW_TOKEN, follow("rate-5")));
        assertThat(inDebt.status()).isEqualTo(429);
        assertThat(inDebt.headers()).as("two events of debt and one to take, at 1/s").containsEntry("Retry-After", "3");
        assertThat(producer.completeNext() && producer.completeNext() && producer.completeNext()).isTrue();
        assertThat(now(batch).status()).isEqualTo(202);
    }

    @Test
    void aMissingOrUnknownTokenIs401ForAnUnknownPublisher() {
        IngestReply missing = now(post(null, IngestServer.SINGLE, follow("t-1")));
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.publisher()).isEqualTo(IngestReply.UNKNOWN_PUBLISHER);
        assertThat(missing.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"pushline-ingest\"");
        assertThat(now(post("  ", IngestServer.SINGLE, follow("t-2"))).headers())
                .containsEntry("WWW-Authenticate", "Bearer realm=\"pushline-ingest\"");

        for (String authorization : List.of("Bearer " + FOLLOWS_TOKEN + "x", "Basic " + FOLLOWS_TOKEN, "Bearer ")) {
            IngestReply unknown = now(post(authorization, IngestServer.SINGLE, follow("t-3")));
            assertThat(unknown.status()).as(authorization).isEqualTo(401);
            assertThat(unknown.publisher()).isEqualTo(IngestReply.UNKNOWN_PUBLISHER);
            assertThat(unknown.body().get("message").asText()).isEqualTo("the bearer token is not a publisher's");
            assertThat(unknown.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"pushline-ingest\", error=\"invalid_token\"");
        }
        CompletableFuture<IngestReply> caseOfTheScheme = post("bearer " + FOLLOWS_TOKEN, IngestServer.SINGLE, follow("t-4"));
        assertThat(producer.completeNext()).as("the scheme is case-insensitive").isTrue();
        assertThat(now(caseOfTheScheme).status()).isEqualTo(202);
        assertThat(produced()).containsExactly("t-4");
        assertThat(registry.find(IngestMetrics.INGEST_EVENTS).tags("publisher", IngestReply.UNKNOWN_PUBLISHER).counters()).isEmpty();
    }

    @Test
    void theHeadersAloneRefuseAnUnsupportedContentTypeAndADeclaredLengthOverTheLimit() {
        IngestReply json = now(post("Bearer " + FOLLOWS_TOKEN, "application/json", follow("h-1")));
        assertThat(json.status()).isEqualTo(415);
        assertThat(json.publisher()).isEqualTo("follows");
        assertThat(json.headers()).containsEntry("Accept-Post", "application/json, " + IngestServer.SINGLE + ", " + IngestServer.BATCH);

        PublishPath.Screened tooLong = path.screen("Bearer " + FOLLOWS_TOKEN, IngestServer.SINGLE, Map.of(), IngestConfig.DEFAULT_MAX_EVENT_BYTES + 1L);
        assertThat(tooLong).isInstanceOfSatisfying(PublishPath.Refused.class, r -> {
            assertThat(r.reply().status()).isEqualTo(413);
            assertThat(r.reply().body().get("message").asText()).startsWith((IngestConfig.DEFAULT_MAX_EVENT_BYTES + 1) + " bytes exceeds");
        });
        PublishPath.Screened batch = path.screen("Bearer " + FOLLOWS_TOKEN, IngestServer.BATCH + "; charset=utf-8", Map.of(), -1);
        assertThat(batch).isInstanceOfSatisfying(PublishPath.Admitted.class, a -> {
            assertThat(a.batch()).isTrue();
            assertThat(a.limit()).isEqualTo(IngestConfig.DEFAULT_MAX_BATCH_BYTES);
            assertThat(a.name()).isEqualTo("follows");
        });
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aFailedSendIs503ClaimingNothingAndTheRetryWithTheSameIdIsProduced() {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, follow("down-1"));
        assertThat(producer.errorNext(new TimeoutException("Expiring 1 record(s)"))).isTrue();
        IngestReply failed = now(answer);
        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.body().get("error").asText()).isEqualTo("unavailable");
        assertThat(failed.body().get("message").asText()).contains("retry with the same ids");
        assertThat(failed.headers()).containsEntry("Retry-After", Long.toString(IngestServer.BROKER_RETRY_AFTER_SECONDS));
        assertThat(events("follows", "failed")).isEqualTo(1);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("ingest: the broker did not acknowledge 1 event(s) of publisher follows (TimeoutException); answered 503");

        CompletableFuture<IngestReply> retry = post(FOLLOWS_TOKEN, follow("down-1"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(statuses(now(retry))).as("a failed id is not remembered").containsExactly("accepted");
        assertThat(produced()).containsExactly("down-1", "down-1");

        producer.sendException = new org.apache.kafka.common.KafkaException("closed");
        IngestReply thrown = now(post(FOLLOWS_TOKEN, follow("down-2")));
        assertThat(thrown.status()).as("a send that throws is a failed send").isEqualTo(503);
        assertThat(events("follows", "failed")).isEqualTo(2);
    }

    @Test
    void aBatchOnePartOfWhichFailedIsWhollyFailedAndCountedSo() {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, batch(follow("part-0"), follow("part-1")));
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.errorNext(new TimeoutException("Expiring 1 record(s)"))).isTrue();
        assertThat(now(answer).status()).isEqualTo(503);
        assertThat(events("follows", "failed")).isEqualTo(2);

        CompletableFuture<IngestReply> again = post(FOLLOWS_TOKEN, batch(follow("part-0"), follow("part-1")));
        assertThat(producer.completeNext()).isTrue();
        assertThat(statuses(now(again))).as("the acknowledged part is a duplicate").containsExactly("duplicate", "accepted");
    }

    @Test
    void aFullProducerBufferIs429SaturatedWithRetryAfter() {
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, batch(follow("full-0"), follow("full-1")));
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.errorNext(new BufferExhaustedException("Failed to allocate memory within the configured max blocking time"))).isTrue();
        IngestReply reply = now(answer);
        assertThat(reply.status()).isEqualTo(429);
        assertThat(reply.body().get("error").asText()).isEqualTo("saturated");
        assertThat(reply.body().get("message").asText()).isEqualTo("the producer's buffer is full; retry later");
        assertThat(reply.headers()).containsEntry("Retry-After", "1");
        assertThat(events("follows", "saturated")).isEqualTo(2);
        assertThat(events("follows", "failed")).isZero();
    }

    @Test
    void anAcknowledgementThatNeverComesIsA503AfterTheDeliveryTimeoutAndASecond() throws Exception {
        path = path(IngestConfig.defaults().withTopic(TOPIC).withProducerTimeouts(Duration.ofMillis(100), Duration.ofSeconds(1)),
                Clock.systemUTC());
        CompletableFuture<IngestReply> answer = post(FOLLOWS_TOKEN, follow("never-1"));
        Waits.until(answer::isDone, Duration.ofSeconds(30), "the answer to a send never acknowledged");
        assertThat(answer.join().status()).isEqualTo(503);
        assertThat(events("follows", "failed")).isEqualTo(1);
    }

    @Test
    void anUnexpectedFailureIs500ThatClaimsNothingAndLogsTheClassOnly() throws Exception {
        Clock broken = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw new IllegalStateException("clock broken");
            }
        };
        path = path(IngestConfig.defaults().withTopic(TOPIC), broken);
        IngestReply reply = now(post(FOLLOWS_TOKEN, follow("boom-1").replace(",\"time\":\"2026-11-22T10:00:00Z\"", "")));
        assertThat(reply.status()).isEqualTo(500);
        assertThat(reply.body().get("error").asText()).isEqualTo("internal");
        assertThat(producer.history()).isEmpty();
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).contains("ingest request failed: java.lang.IllegalStateException");
    }
}
