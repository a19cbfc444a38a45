package io.pushline.push;

/** Device tokens are credentials to a person's device: log them only masked. */
public final class Tokens {

    static final int MIN_LENGTH_TO_SHOW_ENDS = 16;

    private Tokens() {
    }

    /**
     * Masks a device token for logs: the first 6 and last 4 characters around "…" (e.g.
     * {@code a1b2c3…7e8f}); tokens shorter than 16 characters are masked fully as {@code ***};
     * {@code null} gives {@code "null"}.
     */
    public static String mask(String token) {
        if (token == null) {
            return "null";
        }
        if (token.length() < MIN_LENGTH_TO_SHOW_ENDS) {
            return "***";
        }
        return token.substring(0, 6) + "…" + token.substring(token.length() - 4);
    }
}
