package io.pushline.contracts;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The CloudEvents {@code time} attribute (RFC 3339) read and written without {@link DateTimeFormatter}'s general
 * machinery, for the layout nearly every event has: {@code yyyy-MM-ddTHH:mm:ss}, an optional fraction of 1 to 9
 * digits, then {@code Z} or {@code ±HH:MM}. Anything else (another case, no seconds, a year past 9999, an out-of-range
 * field) is handed to the JDK's parser, exactly as the CloudEvents SDK reads it
 * ({@code OffsetDateTime.parse}, i.e. {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME}); so {@link #parse} accepts and
 * refuses precisely what the SDK does, and gives the same instant. {@link #format} writes what the SDK's
 * {@code Time.writeTime} writes for the same instant in UTC. {@code Rfc3339Test} holds both to that, value by value.
 *
 * <p>Stateless and thread-safe.
 */
public final class Rfc3339 {
    private static final int DATE_TIME_CHARS = 19;   // yyyy-MM-ddTHH:mm:ss

    private Rfc3339() {
    }

    /**
     * The instant {@code text} names.
     *
     * @throws DateTimeException (a {@link java.time.format.DateTimeParseException} for text out of the layout) if it is
     *                           not an RFC 3339 date-time the SDK would read
     */
    public static Instant parse(String text) {
        Instant fast = fastParse(text);
        return fast != null ? fast : OffsetDateTime.parse(text).toInstant();
    }

    /** The instant of {@code text} if it is in the common layout with every field in range; null to let the JDK decide. */
    static Instant fastParse(String text) {
        int n = text.length();
        if (n < DATE_TIME_CHARS + 1 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        if ((year | month | day | hour | minute | second) < 0 || hour > 23 || minute > 59 || second > 59
                || month < 1 || month > 12 || day < 1 || day > 28 && day > lengthOfMonth(year, month)) {
            return null;
        }
        int i = DATE_TIME_CHARS;
        int nanos = 0;
        if (text.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 10 && isDigit(text.charAt(i))) {
                nanos = nanos * 10 + (text.charAt(i) - '0');
                i++;
            }
            int count = i - start;
            if (count < 1 || count > 9) {
                return null;
            }
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && text.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && (text.charAt(i) == '+' || text.charAt(i) == '-') && text.charAt(i + 3) == ':') {
            int oh = digits(text, i + 1, 2);
            int om = digits(text, i + 4, 2);
            if ((oh | om) < 0 || oh > 18 || om > 59 || oh == 18 && om > 0) {
                return null;
            }
            offsetSeconds = (oh * 3600 + om * 60) * (text.charAt(i) == '-' ? -1 : 1);
        } else {
            return null;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds, nanos);
    }

    /** {@code instant} in UTC as {@code Time.writeTime(instant.atOffset(UTC))} writes it: {@code ...T14:08:03.25Z}. */
    public static String format(Instant instant) {
        long seconds = instant.getEpochSecond();
        long epochDay = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        LocalDate date;
        try {
            date = LocalDate.ofEpochDay(epochDay);
        } catch (DateTimeException e) {
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC));   // throws as the SDK does
        }
        int year = date.getYear();
        if (year < 0 || year > 9999) {
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atOffset(ZoneOffset.UTC));
        }
        char[] out = new char[30];
        put(out, 0, year, 4);
        out[4] = '-';
        put(out, 5, date.getMonthValue(), 2);
        out[7] = '-';
        put(out, 8, date.getDayOfMonth(), 2);
        out[10] = 'T';
        put(out, 11, secondOfDay / 3600, 2);
        out[13] = ':';
        put(out, 14, secondOfDay / 60 % 60, 2);
        out[16] = ':';
        put(out, 17, secondOfDay % 60, 2);
        int end = DATE_TIME_CHARS;
        int nanos = instant.getNano();
        if (nanos != 0) {
            // As appendFraction(NANO_OF_SECOND, 0, 9, true): the point and the digits, trailing zeros dropped.
            int digits = 9;
            while (nanos % 10 == 0) {
                nanos /= 10;
                digits--;
            }
            out[end++] = '.';
            put(out, end, nanos, digits);
            end += digits;
        }
        out[end++] = 'Z';
        return new String(out, 0, end);
    }

    private static void put(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** The non-negative number of {@code count} ASCII digits at {@code from}; -1 if any is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }
}
