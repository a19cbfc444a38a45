package io.pushline.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.UncheckedIOException;

/**
 * Text for operators, the same on the command line and in the admin API: one-line cells that cannot break a table or a
 * log line, and the JSON documents of the results' {@code toJson()} (maps, lists, strings, numbers, booleans and nulls).
 * Stateless; thread-safe.
 */
public final class AdminText {
    private static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private AdminText() {
    }

    /**
     * {@code text} on one line and bounded: control characters become {@code ?}, anything past {@code max} characters
     * becomes {@code …}; null or empty becomes {@code -}.
     */
    public static String oneLine(String text, int max) {
        if (text == null || text.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max + 1));
        for (int i = 0; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        return text.length() > max ? out.append('…').toString() : out.toString();
    }

    /** {@code s} for a message or log line: control characters as {@code ?}, at most 200 characters. */
    static String printable(String s) {
        return oneLine(s, 200);
    }

    /** {@code json} as indented JSON, without a final line break: what {@code --format json} prints. */
    public static String indentedJson(Object json) {
        try {
            return INDENTED.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code json} as compact JSON in UTF-8. */
    static byte[] compactJson(Object json) {
        try {
            return COMPACT.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
