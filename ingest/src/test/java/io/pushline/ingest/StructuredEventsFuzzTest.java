package io.pushline.ingest;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Fuzzes the HTTP ingest parser ({@link StructuredEvents#single} and {@link StructuredEvents#batch}) with request
 * bodies that are mostly right: structured-mode events and batches of them whose attributes are kept, dropped,
 * retyped or replaced by fuzzed text and whose data is a real event's with fuzzed property values; JSON nested around
 * the limit; or fuzzed bytes. The property is {@link #checkResult}. Run for a bounded time by the {@code fuzz-ingest}
 * surefire execution (see the pom); without {@code JAZZER_FUZZ} it replays {@code StructuredEventsFuzzTestInputs/parse/}.
 */
class StructuredEventsFuzzTest {
    private static final CloudEventCodec CODEC = new CloudEventCodec();
    private static final StructuredEvents PARSER =
            new StructuredEvents(CODEC, Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));
    private static final int MAX_EVENTS = 8;
    private static final String[] TYPES = {"io.pushline.follow.created.v1", "io.pushline.like.created.v1",
            "io.pushline.post.created.v1", "io.pushline.device.registered.v1", "io.pushline.profile.banned.v1",
            "io.pushline.push.task.v1"};
    /** Valid data for TYPES, with {@code %s} where a fuzzed value may go. */
    private static final String[] DATA = {
            "{\"followerId\":%s,\"followeeId\":\"user-7\"}",
            "{\"actorId\":%s,\"postId\":\"post-9\",\"postOwnerId\":\"user-1\"}",
            "{\"postId\":%s,\"authorId\":\"user-1\"}",
            "{\"userId\":%s,\"token\":\"f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a798\","
                    + "\"platform\":\"APNS\",\"appId\":\"com.example.app\",\"registeredAt\":\"2025-01-31T12:00:00Z\"}",
            "{\"profileId\":%s,\"reason\":\"spam\"}",
            "{\"pushId\":%s}"};
    private static final String[] ATTRIBUTES = {"specversion", "id", "source", "type", "time", "datacontenttype"};
    private static final String[] CANONICAL = {"\"1.0\"", "\"e-1\"", "\"urn:pushline:service:follows\"", null,
            "\"2026-01-02T03:04:05Z\"", "\"application/json\""};

    @FuzzTest(maxDuration = "20s")
    void parse(FuzzedDataProvider in) {
        boolean batch = in.consumeBoolean();
        byte[] body = body(in, batch);
        checkResult(body, batch, batch ? PARSER.batch(body, MAX_EVENTS) : PARSER.single(body));
    }

    /**
     * What every body must give: a rejection whose every problem names an entry, a field and a reason; too many
     * events only past the limit; or accepted events, none nested deeper than the limit, each decoding as the router
     * decodes it. The same body always gives the same result.
     */
    static void checkResult(byte[] body, boolean batch, StructuredEvents.Result result) {
        if (result == null) {
            throw new AssertionError("null result");
        }
        StructuredEvents.Result again = batch ? PARSER.batch(body, MAX_EVENTS) : PARSER.single(body);
        if (!result.equals(again)) {
            throw new AssertionError("not deterministic: " + result + " then " + again);
        }
        if (result instanceof StructuredEvents.Result.Invalid invalid) {
            if (invalid.problems().isEmpty()) {
                throw new AssertionError("a rejection without problems");
            }
            for (StructuredEvents.Problem p : invalid.problems()) {
                if (p.field().isBlank() || p.reason().isBlank() || p.index() < -1 || p.index() >= MAX_EVENTS
                        || (!batch && p.index() != -1)) {
                    throw new AssertionError("a problem that names nothing: " + p);
                }
            }
            return;
        }
        if (result instanceof StructuredEvents.Result.TooManyEvents tooMany) {
            if (!batch || tooMany.count() <= tooMany.max()) {
                throw new AssertionError("too many events wrongly: " + tooMany);
            }
            return;
        }
        var events = ((StructuredEvents.Result.Ok) result).events();
        if (events.isEmpty() || events.size() > (batch ? MAX_EVENTS : 1)) {
            throw new AssertionError("accepted " + events.size() + " events");
        }
        int depth = depth(body);
        if (depth > StructuredEvents.MAX_NESTING_DEPTH) {
            throw new AssertionError("accepted a body nested " + depth + " deep");
        }
        for (Envelope<?> event : events) {
            ProducerRecord<String, byte[]> record;
            try {
                record = CODEC.toRecord(Topics.EVENTS, event);
            } catch (RuntimeException e) {
                throw new AssertionError("an accepted event does not encode: " + event, e);
            }
            Decoded decoded = CODEC.decode(record.headers(), record.value());
            if (!(decoded instanceof Decoded.Ok ok) || !ok.envelope().equals(event)) {
                throw new AssertionError("an accepted event " + event + " decodes as " + decoded);
            }
        }
    }

    /** The deepest nesting of arrays and objects in a JSON text (strings skipped). */
    static int depth(byte[] json) {
        int depth = 0;
        int max = 0;
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '[' || b == '{') {
                max = Math.max(max, ++depth);
            } else if (b == ']' || b == '}') {
                depth--;
            }
        }
        return max;
    }

    private static byte[] body(FuzzedDataProvider in, boolean batch) {
        switch (in.consumeInt(0, 5)) {
            case 0:
                return in.consumeRemainingAsBytes();
            case 1: { // nesting around the limit, at the root or inside data
                int depth = in.consumeInt(1, 2 * StructuredEvents.MAX_NESTING_DEPTH);
                String deep = "[".repeat(depth) + "]".repeat(depth);
                return (in.consumeBoolean() ? deep : event(in, deep)).getBytes(StandardCharsets.UTF_8);
            }
            default: {
                if (!batch) {
                    return event(in, null).getBytes(StandardCharsets.UTF_8);
                }
                StringBuilder b = new StringBuilder("[");
                for (int i = in.consumeInt(0, MAX_EVENTS + 1); i > 0; i--) {
                    b.append(event(in, null)).append(i > 1 ? "," : "");
                }
                return b.append(in.consumeInt(0, 7) == 0 ? in.consumeString(4) : "]").toString().getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /** One structured-mode event; {@code extra} (if not null) as an extra data property. */
    private static String event(FuzzedDataProvider in, String extra) {
        int type = in.consumeInt(0, TYPES.length - 1);
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < ATTRIBUTES.length; i++) {
            String canonical = i == 3 ? "\"" + TYPES[type] + "\"" : CANONICAL[i];
            String value = switch (in.consumeInt(0, 7)) {
                case 0, 1, 2, 3 -> canonical;
                case 4 -> null; // absent
                case 5 -> quoted(in.consumeString(48));
                case 6 -> in.pickValue(new String[] {"null", "7", "true", "{}", "[]", "\"\""});
                default -> canonical.substring(0, canonical.length() - 1) + in.consumeString(4) + "\"";
            };
            if (value != null) {
                b.append('"').append(ATTRIBUTES[i]).append("\":").append(value).append(',');
            }
        }
        if (in.consumeInt(0, 7) == 0) {
            b.append(quoted(in.pickValue(new String[] {"data_base64", "subject", "dataschema", "x", ""}))).append(":\"1\",");
        }
        String data = switch (in.consumeInt(0, 5)) {
            case 0 -> in.consumeString(64);
            case 1 -> in.pickValue(new String[] {"null", "1", "\"x\"", "[]"});
            case 2 -> String.format(DATA[in.consumeInt(0, DATA.length - 1)], quoted(in.consumeString(40)));
            default -> String.format(DATA[type], in.consumeBoolean() ? "\"user-42\"" : quoted(in.consumeString(40)));
        };
        if (extra != null) {
            data = "{\"x\":" + extra + "," + data.substring(Math.min(1, data.length()));
        }
        return b.append("\"data\":").append(data).append('}').toString();
    }

    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
