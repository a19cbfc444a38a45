package io.pushline.admin;

import io.pushline.credentials.BearerTokens;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

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
 * kept only as SHA-256 hashes and compared in constant time ({@link BearerTokens}); nothing here prints a token or its
 * hash. Immutable; thread-safe.
 */
public final class AdminCredentials {
    private static final Set<String> FIELDS = Set.of("name", "token", "tokenSha256");

    private final List<BearerTokens.Entry> admins;

    private AdminCredentials(List<BearerTokens.Entry> admins) {
        this.admins = List.copyOf(admins);
    }

    /** Reads the admins from {@code json}; the message of a failure names the field, never a token. */
    public static AdminCredentials parse(String json) throws BearerTokens.Invalid {
        return new AdminCredentials(BearerTokens.entries(json, "admins", FIELDS));
    }

    /** The admins' names. */
    public List<String> names() {
        return admins.stream().map(BearerTokens.Entry::name).toList();
    }

    /** The name of the admin whose token is {@code token}, or empty; the same time whichever matches. */
    public Optional<String> authenticate(String token) {
        return BearerTokens.find(token, admins, BearerTokens.Entry::tokenHash).map(BearerTokens.Entry::name);
    }

    /** The name of an admin whose token hash {@code takenByOthers} accepts (a publisher's, say), or empty. */
    public Optional<String> sharedWith(Predicate<byte[]> takenByOthers) {
        return admins.stream().filter(a -> takenByOthers.test(a.tokenHash())).map(BearerTokens.Entry::name).findFirst();
    }

    @Override
    public String toString() {
        return "AdminCredentials" + names();
    }
}
