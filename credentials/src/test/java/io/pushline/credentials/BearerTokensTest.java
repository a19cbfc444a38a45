package io.pushline.credentials;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BearerTokensTest {
    private static final Set<String> FIELDS = Set.of("name", "token", "tokenSha256");
    private static final String TOKEN_A = "token-of-a-0123456789";
    private static final String TOKEN_B = "token-of-b-0123456789";

    @Test
    void findsTheEntryByTokenWhetherGivenPlainOrHashed() throws Exception {
        List<BearerTokens.Entry> entries = BearerTokens.entries("{\"admins\":[{\"name\":\"a\",\"token\":\"" + TOKEN_A + "\"},"
                + "{\"name\":\"b\",\"tokenSha256\":\"" + HexFormat.of().formatHex(BearerTokens.sha256(TOKEN_B)).toUpperCase() + "\"}]}",
                "admins", FIELDS);
        assertThat(entries).extracting(BearerTokens.Entry::name).containsExactly("a", "b");
        assertThat(BearerTokens.find(TOKEN_A, entries, BearerTokens.Entry::tokenHash)).map(BearerTokens.Entry::name).contains("a");
        assertThat(BearerTokens.find(TOKEN_B, entries, BearerTokens.Entry::tokenHash)).map(BearerTokens.Entry::name).contains("b");
        assertThat(BearerTokens.find("not-a-token-0123456789", entries, BearerTokens.Entry::tokenHash)).isEmpty();
        assertThat(BearerTokens.find("", entries, BearerTokens.Entry::tokenHash)).isEmpty();
        assertThat(BearerTokens.find(null, entries, BearerTokens.Entry::tokenHash)).isEmpty();
    }

    @Test
    void anEntryNeverShowsItsHashAndItsHashCannotBeChangedFromOutside() throws Exception {
        BearerTokens.Entry entry = BearerTokens.entries("{\"admins\":[{\"name\":\"a\",\"token\":\"" + TOKEN_A + "\"}]}", "admins", FIELDS).get(0);
        String hex = HexFormat.of().formatHex(BearerTokens.sha256(TOKEN_A));
        assertThat(entry.toString()).doesNotContain(hex).doesNotContain(TOKEN_A);
        entry.tokenHash()[0] ^= 1;
        assertThat(entry.tokenHash()).isEqualTo(BearerTokens.sha256(TOKEN_A));
    }

    @Test
    void badListsNameTheFieldAndNeverQuoteAToken() {
        String secret = "secret-token-0123456789";
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\"", "not well-formed JSON at line 1", secret);
        assertRefused("{\"admins\":[]}", "admins: must be a non-empty array", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"short\"}]}", "admins[0] (a).token: must be a string of at least 16 characters", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"tokenSha256\":\"ab\"}]}",
                "admins[0] (a): give exactly one of token and tokenSha256", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"tokenSha256\":\"xyz\"}]}", "admins[0] (a).tokenSha256: must be 64 hex digits", secret);
        assertRefused("{\"admins\":[{\"name\":\"a b\",\"token\":\"" + secret + "\"}]}", "admins[0].name: must be 1 to 64 of [A-Za-z0-9._-]", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\",\"role\":\"x\"}]}", "admins[0]: unknown field \"role\"", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\"},{\"name\":\"a\",\"token\":\"" + TOKEN_B + "\"}]}",
                "admins[1] (a).name: 'a' is already used by another entry", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\"},{\"name\":\"b\",\"token\":\"" + secret + "\"}]}",
                "admins[1] (b): has the same token as 'a'; each needs its own", secret);
        assertRefused("{\"admins\":[{\"name\":\"a\",\"token\":\"" + secret + "\"}],\"x\":1}", "expected an object with one field, \"admins\"", secret);
    }

    private static void assertRefused(String json, String message, String secret) {
        assertThatThrownBy(() -> BearerTokens.entries(json, "admins", FIELDS))
                .isInstanceOf(BearerTokens.Invalid.class)
                .hasMessageContaining(message)
                .message().doesNotContain(secret);
    }
}
