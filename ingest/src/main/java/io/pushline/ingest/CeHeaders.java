package io.pushline.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code ce-*} headers of an HTTP request in binary content mode, read as the CloudEvents HTTP protocol binding
 * 1.0.2 says (section 3.1.3): a header's name, matched case-insensitively, is {@code ce-} and the attribute's name; its
 * value is first unquoted if it is an HTTP quoted-string (RFC 7230, section 3.2.6), then percent-decoded once, the
 * bytes being UTF-8. Which attributes Pushline carries, and what their values must be, is {@link StructuredEvents}'s
 * business: this class only turns headers into attribute strings.
 *
 * <p>Strict where the binding leaves no doubt: a {@code %} not followed by two hex digits, bytes that are not UTF-8
 * (overlong forms included), a character outside printable ASCII left unencoded, a control character once decoded, and
 * an attribute given twice are refused, each naming its header and never repeating its value. Lenient where it asks to
 * be: lower-case hex digits and needlessly encoded characters are accepted.
 *
 * <p>Stateless and thread-safe; never throws for bad input.
 */
final class CeHeaders {
    /** The prefix of every attribute's header, lower-case. */
    static final String PREFIX = "ce-";
    /** The header whose presence (with a Content-Type that is no event format) makes a request binary mode. */
    static final String SPEC_VERSION = "ce-specversion";

    private CeHeaders() {
    }

    /** One header value, decoded: its text, or why it cannot be. */
    sealed interface Value permits Value.Text, Value.Malformed {
        /** The attribute's value. */
        record Text(String text) implements Value {
            public Text {
                Objects.requireNonNull(text, "text");
            }
        }

        /** Not a value the binding allows; {@code reason} says why without repeating the value. */
        record Malformed(String reason) implements Value {
            public Malformed {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    /** The attributes of a request's {@code ce-*} headers, or every problem with them. */
    sealed interface Attributes permits Attributes.Ok, Attributes.Invalid {
        /** Attribute name (the header's name without {@code ce-}, lower-case) to decoded value, in header order. */
        record Ok(Map<String, String> attributes) implements Attributes {
            public Ok {
                attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
            }
        }

        /** One problem per bad header, its field the header's name. */
        record Invalid(List<StructuredEvents.Problem> problems) implements Attributes {
            public Invalid {
                problems = List.copyOf(problems);
            }
        }
    }

    /**
     * The attributes of {@code headers}: header name (any case; only those starting with {@code ce-} are read) to every
     * value it was given with.
     */
    static Attributes attributes(Map<String, List<String>> headers) {
        Map<String, List<String>> byName = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                byName.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).addAll(values);
            }
        });
        Map<String, String> attributes = new LinkedHashMap<>();
        List<StructuredEvents.Problem> problems = new ArrayList<>();
        byName.forEach((header, values) -> {
            String field = printable(header);
            if (header.length() == PREFIX.length()) {
                problems.add(new StructuredEvents.Problem(-1, field, "no attribute name after ce-"));
            } else if (values.size() != 1) {
                problems.add(new StructuredEvents.Problem(-1, field, "given " + values.size() + " times: give each attribute once"));
            } else {
                Value value = decode(values.get(0));
                if (value instanceof Value.Text text) {
                    attributes.put(header.substring(PREFIX.length()), text.text());
                } else {
                    problems.add(new StructuredEvents.Problem(-1, field, ((Value.Malformed) value).reason()));
                }
            }
        });
        return problems.isEmpty() ? new Attributes.Ok(attributes) : new Attributes.Invalid(problems);
    }

    /** A header's value as its attribute's value: unquoted if it is a quoted-string, then percent-decoded once as UTF-8. */
    static Value decode(String raw) {
        String text = raw;
        if (!raw.isEmpty() && raw.charAt(0) == '"') {
            Value unquoted = unquote(raw);
            if (unquoted instanceof Value.Malformed) {
                return unquoted;
            }
            text = ((Value.Text) unquoted).text();
        }
        byte[] bytes = new byte[text.length()];
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                int high = i + 1 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
                int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    return new Value.Malformed("malformed percent-encoding at character " + (i + 1)
                            + ": '%' must be followed by two hexadecimal digits (a literal '%' is sent as %25)");
                }
                bytes[n++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c < 0x20 || c > 0x7e) {
                // Netty reads header bytes as ISO-8859-1: raw UTF-8 shows up here as characters above 0x7e.
                return new Value.Malformed("character " + (i + 1) + " is outside printable ASCII: percent-encode it (as UTF-8 bytes)");
            } else {
                bytes[n++] = (byte) c;
            }
        }
        String decoded;
        try {
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            CharBuffer chars = utf8.decode(ByteBuffer.wrap(bytes, 0, n));
            decoded = chars.toString();
        } catch (CharacterCodingException e) {
            return new Value.Malformed("the percent-encoded bytes are not valid UTF-8");
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return new Value.Malformed("decodes to a control character, which CloudEvents attributes may not hold");
            }
        }
        return new Value.Text(decoded);
    }

    /** The content of a quoted-string (RFC 7230, section 3.2.6): backslash escapes processed, nothing after it. */
    private static Value unquote(String raw) {
        StringBuilder b = new StringBuilder(raw.length());
        for (int i = 1; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\') {
                if (i + 1 == raw.length()) {
                    break;   // an escape with nothing to escape: unterminated
                }
                b.append(raw.charAt(++i));
            } else if (c == '"') {
                return i == raw.length() - 1 ? new Value.Text(b.toString())
                        : new Value.Malformed("characters after the closing double quote of a quoted value");
            } else {
                b.append(c);
            }
        }
        return new Value.Malformed("a quoted value without its closing double quote");
    }

    /** The header's name cut to 64 characters, so that a problem never carries a long name back. */
    private static String printable(String header) {
        return header.length() > 64 ? header.substring(0, 64) + "..." : header;
    }
}
