package io.pushline.app;

import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who may use the admin API ({@link AdminServer}): each operator or tool with its own bearer token, in the publishers'
 * format without their permissions:
 *
 * <pre>{@code
 * {"admins": [
 *   {"name": "oncall", "tokenSha256": "<64 hex digits: SHA-256 of the token's UTF-8 bytes>"},   // or "token": "<the token>"
 *   {"name": "replay-job", "token": "..."}
 * ]}
 * }</pre>
 *
 * Admin tokens are a credential of their own: {@code pushline run} refuses one that is also a publisher's. Tokens are
 * kept only as SHA-256 hashes and compared with {@link MessageDigest#isEqual} against every admin's (no early exit);
 * nothing here prints a token or its hash.
 */
final class AdminCredentials {
    private static final Set<String> FIELDS = Set.of("name", "token", "tokenSha256");

    private final List<Publishers.Entry> admins;

    private AdminCredentials(List<Publishers.Entry> admins) {
        this.admins = List.copyOf(admins);
    }

    /** Reads the admins from {@code json}; the message of a failure names the field, never a token. */
    static AdminCredentials parse(String json) throws Publishers.Invalid {
        return new AdminCredentials(Publishers.entries(json, "admins", FIELDS));
    }

    /** The admins' names. */
    List<String> names() {
        return admins.stream().map(Publishers.Entry::name).toList();
    }

    /** The name of the admin whose token is {@code token}, or empty; the same time whichever matches. */
    Optional<String> authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        byte[] hash = Publishers.sha256(token);
        String found = null;
        for (Publishers.Entry admin : admins) {
            if (MessageDigest.isEqual(hash, admin.tokenHash()) && found == null) {
                found = admin.name();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The name of an admin whose token is also one of {@code publishers}', or empty. */
    Optional<String> sharedWith(Publishers publishers) {
        return admins.stream().filter(a -> publishers.hasTokenHash(a.tokenHash())).map(Publishers.Entry::name).findFirst();
    }

    @Override
    public String toString() {
        return "AdminCredentials" + names();
    }
}
