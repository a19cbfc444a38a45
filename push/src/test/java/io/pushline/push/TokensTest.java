package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokensTest {

    @Test
    void showsOnlyTheEndsOfLongTokens() {
        assertThat(Tokens.mask(Requests.APNS_TOKEN)).isEqualTo("a1b2c3…8f90");
        assertThat(Tokens.mask("0123456789abcdef")).isEqualTo("012345…cdef");
    }

    @Test
    void masksShortTokensFully() {
        assertThat(Tokens.mask("0123456789abcde")).isEqualTo("***");
        assertThat(Tokens.mask("")).isEqualTo("***");
        assertThat(Tokens.mask(null)).isEqualTo("null");
    }
}
