package io.pushline.observability;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON the ops server answers with, written by Jackson from the {@link DashboardView} records (whose annotations name
 * and order the fields) and from the small bodies of {@link OpsServer}.
 *
 * <p>Two choices of this writer's are part of what the page and its tests rely on, and are made here once:
 * <ul>
 *   <li>every {@code double} is rounded to 3 decimals and a whole one is written without a fraction ({@code 3}, not
 *       {@code 3.0}); NaN and the infinities are {@code null}; from 1e15 on, a number is written as Java writes it
 *       ({@code 1.0E15}), unrounded;</li>
 *   <li>strings are escaped so that they can be pasted into a page: {@code <} as <code>&#92;u003c</code> (never
 *       {@code </script>}), control characters and U+2028/U+2029 as <code>&#92;uXXXX</code> with lower-case hex
 *       digits.</li>
 * </ul>
 *
 * <p>Thread-safe: the writer is immutable and shared.
 */
final class DashboardJson {
    private static final ObjectWriter WRITER = writer();

    private DashboardJson() {
    }

    /**
     * The body of {@code GET /api/dashboard}. Times are epoch milliseconds, rates per second, lag seconds in seconds;
     * a number may be null where its gauge is NaN or absent:
     * <pre>
     * {"now": 1764640000000, "intervalMs": 1000, "capacity": 600, "samples": [
     *   {"t": 1764640000000, "interval": 1.0 (null for the first),
     *    "rates":  COUNTS, "totals": COUNTS,
     *    "lag": [{"group", "topic", "partitions", "records", "seconds"}],
     *    "workers": [{"lane", "inFlight", "pausedPartitions", "retriesWaiting"}],
     *    "circuits": [{"name", "state", "failureRate"}],
     *    "providers": [{"platform", "inFlight", "queued"}],
     *    "gate": {"bulkLimit", "expansionHeld", "expansionBacklog"},
     *    "jobs": [{"eventId", "author", "partitions", "partitionsRunning", "followers", "followersDone", "devices",
     *              "etaSeconds"}],
     *    "coordinators": {"states": [{"flow", "state", "count"}], "parked"}}]}
     * COUNTS: {"eventsIn", "deadLetters", "deadLettersByReason": {REASON: n}, "jobsStarted", "jobsFinished",
     *          "devicesExpanded", "pushes", "pushesByOutcome": {"delivered", "rejected", "expired", "failed", ...},
     *          "pushesByLane": {LANE: n}, "retries", "deduplicated", "coordinatorsStarted",
     *          "coordinatorsStartedByFlow": {FLOW: n}, "coordinatorTransitions"}
     * </pre>
     */
    static String page(Instant now, int capacity, List<DashboardView.Sample> samples) {
        return write(new Page(now.toEpochMilli(), DashboardSampler.INTERVAL.toMillis(), capacity, samples));
    }

    /** {@code value} (a record of this package's, a map, a string, a number) as JSON, as this class writes it. */
    static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Only records, maps, strings and numbers are given: failing here is a bug, not a condition to handle.
            throw new IllegalStateException("cannot write a " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** The top of {@code GET /api/dashboard}. */
    @JsonPropertyOrder({"now", "intervalMs", "capacity", "samples"})
    record Page(long now, long intervalMs, int capacity, List<DashboardView.Sample> samples) {
        Page {
            samples = List.copyOf(samples);
        }
    }

    private static ObjectWriter writer() {
        JsonFactory factory = new JsonFactoryBuilder()
                .characterEscapes(new PageSafeEscapes())
                .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
                .build();
        SimpleModule numbers = new SimpleModule("pushline-dashboard-numbers");
        numbers.addSerializer(Double.class, new RoundedDouble());
        numbers.addSerializer(double.class, new RoundedDouble());
        return new ObjectMapper(factory).registerModule(numbers).writer();
    }

    /** Doubles rounded for display: the page shows at most 3 decimals, and the JSON is the smaller for it. */
    private static final class RoundedDouble extends StdSerializer<Double> {
        RoundedDouble() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator out, SerializerProvider provider) throws IOException {
            double v = value;
            if (!Double.isFinite(v)) {
                out.writeNull();
            } else if (Math.abs(v) >= 1e15) {
                out.writeNumber(v);   // past what a long of thousandths can round
            } else {
                double rounded = Math.round(v * 1000) / 1000.0;
                if (rounded == Math.rint(rounded)) {
                    out.writeNumber((long) rounded);
                } else {
                    out.writeNumber(rounded);
                }
            }
        }
    }

    /** JSON's escapes, and {@code <}, every control character, U+2028 and U+2029 as <code>&#92;uXXXX</code>. */
    private static final class PageSafeEscapes extends CharacterEscapes {
        private static final SerializableString LINE_SEPARATOR = new SerializedString("\\u2028");
        private static final SerializableString PARAGRAPH_SEPARATOR = new SerializedString("\\u2029");
        private final int[] ascii;

        PageSafeEscapes() {
            ascii = CharacterEscapes.standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x20; c++) {
                ascii[c] = CharacterEscapes.ESCAPE_STANDARD;   // one form for every control character (u000a, not n)
            }
            ascii['<'] = CharacterEscapes.ESCAPE_STANDARD;   // never "</script>" nor markup, wherever the JSON ends up
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            // JavaScript before ES2019 ends a string literal at these two; escaped, the JSON can be pasted into a script.
            return switch (ch) {
                case 0x2028 -> LINE_SEPARATOR;
                case 0x2029 -> PARAGRAPH_SEPARATOR;
                default -> null;
            };
        }
    }
}
