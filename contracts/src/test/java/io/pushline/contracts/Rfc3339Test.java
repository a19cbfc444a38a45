package io.pushline.contracts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Rfc3339} reads and writes exactly what the CloudEvents SDK does ({@code OffsetDateTime.parse}, ISO_OFFSET_DATE_TIME). */
class Rfc3339Test {

    /** What the SDK's {@code Time.parseTime} gives, or the exception's class. */
    private static Object sdk(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeException e) {
            return DateTimeException.class;
        }
    }

    private static Object ours(String text) {
        try {
            return Rfc3339.parse(text);
        } catch (DateTimeException e) {
            return DateTimeException.class;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2026-12-06T14:08:03Z", "2026-12-06T14:08:03.1Z", "2026-12-06T14:08:03.123456789Z", "2026-12-06T14:08:03.1234567891Z",
            "2026-12-06T14:08:03.Z", "2026-12-06T14:08:03+01:00", "2026-12-06T14:08:03-05:30", "2026-12-06T14:08:03-00:00",
            "2026-12-06T14:08:03+18:00", "2026-12-06T14:08:03+18:01", "2026-12-06T14:08:03+19:00", "2026-12-06T14:08:03+01:60",
            "2026-12-06T14:08:03+0100", "2026-12-06T14:08:03+01", "2026-12-06T14:08:03+01:00:30", "2026-12-06t14:08:03z",
            "2026-12-06T14:08Z", "2026-12-06T24:00:00Z", "2026-12-06T23:59:60Z", "2026-12-06T23:60:00Z", "2024-02-29T00:00:00Z",
            "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
            "+10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5-01:00", "2026-12-06T14:08:03", "2026-12-06",
            "", "2026-12-06T14:08:03ZZ", "2026-12-06T14:08:03 Z", " 2026-12-06T14:08:03Z", "2026-1a-06T14:08:03Z",
            "２026-12-06T14:08:03Z", "2026-12-06T14:08:03.１Z", "2026-12-06T14:08:03.5+01:00", "2026-12-06X14:08:03Z"})
    void parsesExactlyAsTheSdk(String text) {
        assertEquals(sdk(text), ours(text), text);
    }

    @Test
    void theCommonLayoutTakesTheFastPath() {
        assertNotNull(Rfc3339.fastParse("2026-12-06T14:08:03.25+01:00"));
        assertNotNull(Rfc3339.fastParse("2026-12-06T14:08:03Z"));
        assertNull(Rfc3339.fastParse("2026-12-06t14:08:03z"));   // valid, but the JDK's to decide
        assertThrows(DateTimeException.class, () -> Rfc3339.parse("2026-02-30T00:00:00Z"));
    }

    @Test
    void randomDateTimesParseAndFormatAsTheSdk() {
        SplittableRandom random = new SplittableRandom(20261206);
        String[] offsets = {"Z", "+00:00", "-00:00", "+01:00", "-07:30", "+14:00", "-18:00", "+05:45"};
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(-62_167_219_200L, 253_402_300_800L);   // 0000-01-01 .. 9999-12-31
            int nanos = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            String sdkText = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC));
            assertEquals(sdkText, Rfc3339.format(instant), instant::toString);
            String offset = offsets[random.nextInt(offsets.length)];
            String text = DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC)
                    .withOffsetSameInstant(offset.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(offset)).toLocalDateTime()) + offset;
            assertEquals(sdk(text), ours(text), text);
        }
    }

    @Test
    void formatsInstantsOutsideFourDigitYearsAsTheSdk() {
        for (Instant instant : new Instant[]{Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59.5Z"),
                Instant.EPOCH, Instant.ofEpochSecond(-1, 1)}) {
            assertEquals(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC)), Rfc3339.format(instant));
        }
    }
}
