package io.pushline.ingest;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.EventType;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.PushSubscription;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StructuredEvents}: structured-mode CloudEvents validated as the router validates them; no I/O. */
class IngestParserTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final String DATA = "{\"followerId\":\"user-42\",\"followeeId\":\"user-7\"}";
    private final StructuredEvents parser = new StructuredEvents(new CloudEventCodec(), Clock.fixed(NOW, ZoneOffset.UTC));

    static String event(String id, String extra, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"urn:pushline:service:follows\","
                + "\"type\":\"io.pushline.follow.created.v1\"" + extra + ",\"data\":" + data + "}";
    }

    private StructuredEvents.Result single(String json) {
        return parser.single(json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<StructuredEvents.Problem> problems(StructuredEvents.Result result) {
        assertThat(result).isInstanceOf(StructuredEvents.Result.Invalid.class);
        return ((StructuredEvents.Result.Invalid) result).problems();
    }

    @Test
    void aValidEventBecomesAnEnvelopeWithTheReceiptTimeWhenTimeIsAbsent() {
        StructuredEvents.Result result = single(event("e-1", "", DATA));
        assertThat(result).isInstanceOf(StructuredEvents.Result.Ok.class);
        var envelope = ((StructuredEvents.Result.Ok) result).events().get(0);
        assertThat(envelope.id()).isEqualTo("e-1");
        assertThat(envelope.source().toString()).isEqualTo("urn:pushline:service:follows");
        assertThat(envelope.type()).isEqualTo(EventType.FOLLOW_CREATED);
        assertThat(envelope.time()).isEqualTo(NOW);
        assertThat(envelope.data()).isEqualTo(new FollowCreated("user-42", "user-7"));
        assertThat(envelope.key()).isEqualTo("user-42");

        var timed = single(event("e-2", ",\"time\":\"2026-01-02T03:04:05Z\",\"datacontenttype\":\"application/json\"", DATA));
        assertThat(((StructuredEvents.Result.Ok) timed).events().get(0).time()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    }

    @Test
    void aBrowsersSubscriptionAsToJsonGivesItIsKeyedByItsDerivedToken() {
        String endpoint = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk";
        String p256dh = "BP" + "A".repeat(84) + "E";   // not a real point: the contract checks form, the provider the curve
        String data = "{\"userId\":\"user-42\",\"platform\":\"WEBPUSH\",\"appId\":\"web.example\",\"registeredAt\":"
                + "\"2026-12-06T12:00:00Z\",\"subscription\":{\"endpoint\":\"" + endpoint + "\",\"expirationTime\":null,"
                + "\"keys\":{\"p256dh\":\"" + p256dh + "\",\"auth\":\"AAAAAAAAAAAAAAAAAAAAAA\"}}}";
        String json = "{\"specversion\":\"1.0\",\"id\":\"e-web\",\"source\":\"urn:pushline:service:devices\","
                + "\"type\":\"io.pushline.device.registered.v1\",\"data\":" + data + "}";
        StructuredEvents.Result result = single(json);
        assertThat(result).isInstanceOf(StructuredEvents.Result.Ok.class);
        var envelope = ((StructuredEvents.Result.Ok) result).events().get(0);
        assertThat(envelope.key()).isEqualTo(PushSubscription.tokenOf(endpoint)).startsWith("wp-");
        assertThat(((DeviceRegistered) envelope.data()).subscription().endpoint()).isEqualTo(endpoint);
        // The same with an http: endpoint that is not on loopback is refused, naming the field.
        assertThat(problems(single(json.replace("https://updates", "http://updates"))))
                .extracting(StructuredEvents.Problem::field).contains("data.subscription.endpoint");
    }

    @Test
    void anEmptyOrBlankAttributeNameIsStillNamed() {   // found by StructuredEventsFuzzTest
        assertThat(problems(single(event("e-1", ",\"\":\"1\"", DATA)))).extracting(StructuredEvents.Problem::field).containsExactly("\"\"");
        assertThat(problems(single(event("e-1", ",\" \":\"1\"", DATA)))).extracting(StructuredEvents.Problem::field).containsExactly("\" \"");
    }

    @Test
    void malformedJsonIsNamedWithItsPosition() {
        assertThat(problems(single("{\"specversion\":\"1.0\",")))
                .singleElement().satisfies(p -> {
                    assertThat(p.field()).isEqualTo("(root)");
                    assertThat(p.reason()).startsWith("not well-formed JSON at line 1");
                });
        assertThat(problems(single(""))).singleElement().satisfies(p -> assertThat(p.reason()).contains("empty body"));
        assertThat(problems(single(event("e-1", "", DATA) + " {}"))).singleElement()
                .satisfies(p -> assertThat(p.reason()).startsWith("not well-formed JSON"));
        assertThat(problems(single("{\"id\":\"a\",\"id\":\"b\"}"))).singleElement()
                .satisfies(p -> assertThat(p.reason()).startsWith("not well-formed JSON"));
    }

    @Test
    void wrongSpecVersionMissingIdAndBadTimeAreEachNamed() {
        assertThat(problems(single(event("e-1", "", DATA).replace("\"1.0\"", "\"0.3\""))))
                .extracting(StructuredEvents.Problem::field).containsExactly("specversion");
        assertThat(problems(single(event("e-1", "", DATA).replace("\"id\":\"e-1\",", ""))))
                .extracting(StructuredEvents.Problem::field, StructuredEvents.Problem::reason).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("id", "required"));
        assertThat(problems(single(event("e-1", ",\"time\":\"yesterday\"", DATA))))
                .extracting(StructuredEvents.Problem::field).containsExactly("time");
        assertThat(problems(single(event("e|1", "", DATA))))
                .extracting(StructuredEvents.Problem::field).containsExactly("id");
        assertThat(problems(single(event("e-1", ",\"datacontenttype\":\"text/plain\"", DATA))))
                .extracting(StructuredEvents.Problem::field).containsExactly("datacontenttype");
        assertThat(problems(single(event("e-1", "", DATA).replace("\"id\":\"e-1\"", "\"id\":7"))))
                .extracting(StructuredEvents.Problem::field, StructuredEvents.Problem::reason).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("id", "must be a string"));
    }

    @Test
    void unknownTypeAndUnsupportedAttributesAreRefused() {
        assertThat(problems(single(event("e-1", "", DATA).replace("follow.created", "follow.exploded"))))
                .singleElement().satisfies(p -> {
                    assertThat(p.field()).isEqualTo("type");
                    assertThat(p.reason()).contains("unknown type");
                });
        // found by StructuredEventsFuzzTest: a value with the old "; " separator in it was split into a nameless problem
        assertThat(problems(single(event("e-1", "", DATA).replace("follow.created", "a; ; b: c"))))
                .singleElement().satisfies(p -> {
                    assertThat(p.field()).isEqualTo("type");
                    assertThat(p.reason()).isEqualTo("unknown type 'io.pushline.a; ; b: c.v1'");
                });
        assertThat(problems(single(event("e-1", ",\"traceparent\":\"00-ab\"", DATA))))
                .extracting(StructuredEvents.Problem::field).containsExactly("traceparent");
        assertThat(problems(single(event("e-1", ",\"data_base64\":\"e30=\"", DATA))))
                .extracting(StructuredEvents.Problem::field).containsExactly("data_base64");
    }

    @Test
    void dataMustBeAnObjectThatSatisfiesTheSchema() {
        assertThat(problems(single(event("e-1", "", "[1,2]"))))
                .extracting(StructuredEvents.Problem::field, StructuredEvents.Problem::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("data", "must be a JSON object"));
        assertThat(problems(single(event("e-1", "", "\"text\"")))).extracting(StructuredEvents.Problem::field).containsExactly("data");
        assertThat(problems(single(event("e-1", "", "null")))).extracting(StructuredEvents.Problem::field).containsExactly("data");
        List<StructuredEvents.Problem> schema = problems(single(event("e-1", "", "{\"followerId\":\"user-42\"}")));
        assertThat(schema).extracting(StructuredEvents.Problem::field).containsExactly("data.followeeId");
        assertThat(schema.get(0).reason()).contains("required");
        assertThat(schema.get(0).index()).isEqualTo(-1);
    }

    @Test
    void deepNestingIsRefusedWhileParsing() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertThat(problems(single(deep))).singleElement().satisfies(p -> assertThat(p.reason()).contains("nesting deeper than"));
        String deepData = event("e-1", "", "{\"followerId\":\"u\",\"followeeId\":\"v\",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}");
        assertThat(problems(single(deepData))).singleElement().satisfies(p -> assertThat(p.reason()).contains("nesting deeper than"));
    }

    @Test
    void aBatchNamesEachBadEntryByIndexAndCountsEvents() {
        String batch = "[" + event("b-0", "", DATA) + "," + event("b-1", "", "{\"followerId\":\"user-42\"}") + ","
                + event("b-2", "", DATA) + "," + event("b-3", ",\"time\":\"soon\"", DATA) + "]";
        List<StructuredEvents.Problem> problems = problems(parser.batch(batch.getBytes(StandardCharsets.UTF_8), 10));
        assertThat(problems).extracting(StructuredEvents.Problem::index, StructuredEvents.Problem::field).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "data.followeeId"), org.assertj.core.groups.Tuple.tuple(3, "time"));

        assertThat(parser.batch(batch.getBytes(StandardCharsets.UTF_8), 3)).isEqualTo(new StructuredEvents.Result.TooManyEvents(4, 3));
        assertThat(problems(parser.batch("[]".getBytes(StandardCharsets.UTF_8), 3))).singleElement()
                .satisfies(p -> assertThat(p.reason()).contains("empty batch"));
        assertThat(problems(parser.batch(event("b-0", "", DATA).getBytes(StandardCharsets.UTF_8), 3))).singleElement()
                .satisfies(p -> assertThat(p.reason()).contains("JSON array"));
        assertThat(problems(parser.batch("[1]".getBytes(StandardCharsets.UTF_8), 3))).singleElement()
                .satisfies(p -> assertThat(p.index()).isZero());
        var ok = parser.batch(("[" + event("b-0", "", DATA) + "," + event("b-1", "", DATA) + "]").getBytes(StandardCharsets.UTF_8), 3);
        assertThat(((StructuredEvents.Result.Ok) ok).events()).extracting(e -> e.id()).containsExactly("b-0", "b-1");
    }

    @Test
    void contentTypesAreMatchedWithTheirCharsetAndApplicationJsonIsBinaryModeOnlyWithCeSpecVersion() {
        assertThat(PublishPath.mode("application/cloudevents+json", false)).isEqualTo(PublishPath.Mode.STRUCTURED);
        assertThat(PublishPath.mode("Application/CloudEvents+JSON; charset=UTF-8", true)).as("the body wins over ce- headers")
                .isEqualTo(PublishPath.Mode.STRUCTURED);
        assertThat(PublishPath.mode("application/cloudevents-batch+json", true)).isEqualTo(PublishPath.Mode.BATCH);
        assertThat(PublishPath.mode("application/cloudevents+json; charset=latin1", false)).isNull();
        assertThat(PublishPath.mode("application/json", false)).isNull();
        assertThat(PublishPath.mode("application/json", true)).isEqualTo(PublishPath.Mode.BINARY);
        assertThat(PublishPath.mode("Application/JSON; charset=\"utf-8\"", true)).isEqualTo(PublishPath.Mode.BINARY);
        assertThat(PublishPath.mode("application/json; charset=iso-8859-1", true)).isNull();
        assertThat(PublishPath.mode("text/plain", true)).isNull();
        assertThat(PublishPath.mode("application/cloudevents+avro", true)).isNull();
        assertThat(PublishPath.mode(null, true)).isNull();
    }
}
