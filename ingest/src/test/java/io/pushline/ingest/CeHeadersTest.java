package io.pushline.ingest;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CeHeaders}: header values decoded as the CloudEvents HTTP protocol binding 1.0.2 (section 3.1.3.2) says, and
 * {@code ce-*} headers turned into attributes; no I/O.
 */
class CeHeadersTest {
    private static String text(String raw) {
        CeHeaders.Value value = CeHeaders.decode(raw);
        assertThat(value).as(raw).isInstanceOf(CeHeaders.Value.Text.class);
        return ((CeHeaders.Value.Text) value).text();
    }

    private static String malformed(String raw) {
        CeHeaders.Value value = CeHeaders.decode(raw);
        assertThat(value).as(raw).isInstanceOf(CeHeaders.Value.Malformed.class);
        return ((CeHeaders.Value.Malformed) value).reason();
    }

    @Test
    void plainAsciiIsItself() {
        assertThat(text("urn:pushline:service:follows")).isEqualTo("urn:pushline:service:follows");
        assertThat(text("")).isEmpty();
        assertThat(text("a+b=c&d/e?f#g")).as("no form decoding: '+' stays").isEqualTo("a+b=c&d/e?f#g");
    }

    @Test
    void percentEscapesAreDecodedOnceAsUtf8InEitherCase() {
        assertThat(text("a%20b")).isEqualTo("a b");
        assertThat(text("caf%C3%A9")).isEqualTo("café");
        assertThat(text("caf%c3%a9")).as("lower-case hex").isEqualTo("café");
        assertThat(text("Euro%20%E2%82%AC%20%F0%9F%98%80")).as("the binding's own example").isEqualTo("Euro € \uD83D\uDE00");
        assertThat(text("%25")).isEqualTo("%");
        assertThat(text("a%2520b")).as("one round only").isEqualTo("a%20b");
        assertThat(text("%41%3a")).as("needlessly encoded").isEqualTo("A:");
    }

    @Test
    void aMalformedEscapeIsRefusedSayingWhere() {
        assertThat(malformed("%")).contains("character 1").contains("two hexadecimal digits");
        assertThat(malformed("ab%4")).contains("character 3");
        assertThat(malformed("%G1")).contains("two hexadecimal digits");
        assertThat(malformed("%4G")).contains("two hexadecimal digits");
        assertThat(malformed("100%")).contains("%25");
    }

    @Test
    void bytesThatAreNotUtf8AreRefused() {
        assertThat(malformed("%C3%28")).contains("not valid UTF-8");
        assertThat(malformed("%C0%A0")).as("overlong space, the binding's example").contains("not valid UTF-8");
        assertThat(malformed("%C3")).as("truncated sequence").contains("not valid UTF-8");
        assertThat(malformed("%ED%A0%80")).as("a lone surrogate").contains("not valid UTF-8");
        assertThat(malformed("%FF")).contains("not valid UTF-8");
    }

    @Test
    void unencodedCharactersOutsidePrintableAsciiAndDecodedControlsAreRefused() {
        assertThat(malformed("caf\u00c3\u00a9")).as("raw UTF-8, as Netty reads it").contains("character 4").contains("percent-encode");
        assertThat(malformed("a\tb")).contains("outside printable ASCII");
        assertThat(malformed("a%0Ab")).contains("control character");
        assertThat(malformed("a%C2%85b")).as("U+0085").contains("control character");
        assertThat(text("a b")).as("a raw space, as older versions of the binding sent it").isEqualTo("a b");
    }

    @Test
    void aQuotedStringIsUnquotedThenPercentDecoded() {
        assertThat(text("\"a b\"")).isEqualTo("a b");
        assertThat(text("\"say \\\"hi\\\"\"")).isEqualTo("say \"hi\"");
        assertThat(text("\"caf%C3%A9\"")).isEqualTo("café");
        assertThat(text("a\"b")).as("a double quote inside an unquoted value is itself").isEqualTo("a\"b");
        assertThat(malformed("\"abc")).contains("closing double quote");
        assertThat(malformed("\"abc\\\"")).contains("closing double quote");
        assertThat(malformed("\"abc\"d")).contains("after the closing double quote");
    }

    @Test
    void ceHeadersBecomeAttributesAndEachBadOneIsNamed() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("CE-Id", List.of("e-1"));
        headers.put("ce-source", List.of("urn:x:caf%C3%A9"));
        headers.put("authorization", List.of("Bearer secret"));
        CeHeaders.Attributes ok = CeHeaders.attributes(headers);
        assertThat(ok).isInstanceOfSatisfying(CeHeaders.Attributes.Ok.class, a ->
                assertThat(a.attributes()).containsExactly(Map.entry("id", "e-1"), Map.entry("source", "urn:x:café")));

        headers.put("ce-time", List.of("2026%G1"));
        headers.put("ce-type", List.of("a", "b"));
        headers.put("ce-", List.of("x"));
        CeHeaders.Attributes invalid = CeHeaders.attributes(headers);
        assertThat(invalid).isInstanceOfSatisfying(CeHeaders.Attributes.Invalid.class, i -> {
            assertThat(i.problems()).extracting(StructuredEvents.Problem::field).containsExactly("ce-time", "ce-type", "ce-");
            assertThat(i.problems()).allSatisfy(p -> assertThat(p.reason()).doesNotContain("2026"));
            assertThat(i.problems().get(1).reason()).contains("given 2 times");
        });
    }
}
