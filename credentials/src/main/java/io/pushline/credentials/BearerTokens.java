package io.pushline.credentials;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Bearer-token credentials, shared by the HTTP ingest's publishers and the admin API's admins: a JSON list of named
 * entries, each with its token given plainly ({@code "token"}, at least {@value #MIN_TOKEN_CHARS} characters) or as
 * its SHA-256 ({@code "tokenSha256"}, 64 hex digits).
 *
 * <p>Tokens are kept only as SHA-256 hashes, and {@link #find} compares a presented token's hash with every entry's
 * using {@link MessageDigest#isEqual} and no early exit, so neither the time taken nor the order of the entries says
 * anything about a token. Nothing here logs or prints a token or its hash; messages name the field, never the text.
 *
 * <p>Stateless; thread-safe.
 */
public final class BearerTokens {
    /** Plain tokens shorter than this are refused: a bearer token must not be guessable. */
    public static final int MIN_TOKEN_CHARS = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private BearerTokens() {
    }

    /** A credentials file or JSON is wrong; the message names the field and never contains a token. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    /**
     * One entry of a list of credentials: its JSON object (for the fields a caller adds), where it is (for messages),
     * its name and its token's SHA-256.
     */
    public record Entry(JsonNode json, String at, String name, byte[] tokenHash) {
        public Entry {
            tokenHash = tokenHash.clone();
        }

        @Override
        public byte[] tokenHash() {
            return tokenHash.clone();
        }

        @Override
        public String toString() {
            return "Entry[" + name + "]";   // never the hash
        }
    }

    /**
     * The entries of {@code {"<listField>": [ {"name": ..., "token" or "tokenSha256": ..., ...}, ... ]}}: names unique
     * and of {@code [A-Za-z0-9._-]{1,64}}, tokens unique, no field outside {@code fields}. Messages name the field and
     * never quote the text (it holds tokens).
     */
    public static List<Entry> entries(String json, String listField, Set<String> fields) throws Invalid {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the text, and the text holds tokens: say where only.
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new Invalid("not well-formed JSON" + where);
        }
        if (root == null || !root.isObject() || !root.has(listField) || root.size() != 1) {
            throw new Invalid("expected an object with one field, \"" + listField + "\": [ ... ]");
        }
        JsonNode list = root.get(listField);
        if (!list.isArray() || list.isEmpty()) {
            throw new Invalid(listField + ": must be a non-empty array");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = listField + "[" + i + "]";
            JsonNode p = list.get(i);
            if (!p.isObject()) {
                throw new Invalid(at + ": must be an object");
            }
            for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!fields.contains(field)) {
                    throw new Invalid(at + ": unknown field \"" + field.replaceAll("[^A-Za-z0-9._-]", "?") + "\" (known: "
                            + String.join(", ", fields.stream().sorted().toList()) + ")");
                }
            }
            JsonNode nameNode = p.get("name");
            if (nameNode == null || !nameNode.isTextual()) {
                throw new Invalid(at + ".name: required, a string");
            }
            String name = nameNode.textValue();
            if (!NAME.matcher(name).matches()) {
                throw new Invalid(at + ".name: must be 1 to 64 of [A-Za-z0-9._-]");
            }
            at = listField + "[" + i + "] (" + name + ")";
            byte[] hash = tokenHash(p, at);
            for (Entry other : entries) {
                if (other.name().equals(name)) {
                    throw new Invalid(at + ".name: '" + name + "' is already used by another entry");
                }
                if (MessageDigest.isEqual(hash, other.tokenHash)) {
                    throw new Invalid(at + ": has the same token as '" + other.name() + "'; each needs its own");
                }
            }
            entries.add(new Entry(p, at, name, hash));
        }
        return entries;
    }

    /**
     * The one of {@code candidates} whose token hash equals {@code token}'s SHA-256, or empty (also for a null or empty
     * token). Takes the same time whichever candidate, if any, matches: the token is hashed once and compared with every
     * candidate's hash.
     */
    public static <T> Optional<T> find(String token, List<T> candidates, Function<T, byte[]> tokenHashOf) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        return findByHash(sha256(token), candidates, tokenHashOf);
    }

    /** As {@link #find}, for a hash already computed. */
    public static <T> Optional<T> findByHash(byte[] hash, List<T> candidates, Function<T, byte[]> tokenHashOf) {
        T found = null;
        for (T candidate : candidates) {
            if (MessageDigest.isEqual(hash, tokenHashOf.apply(candidate)) && found == null) {
                found = candidate;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The SHA-256 of the token's UTF-8 bytes. */
    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static byte[] tokenHash(JsonNode p, String at) throws Invalid {
        boolean plain = p.has("token");
        boolean hashed = p.has("tokenSha256");
        if (plain == hashed) {
            throw new Invalid(at + ": give exactly one of token and tokenSha256");
        }
        if (plain) {
            JsonNode token = p.get("token");
            if (!token.isTextual() || token.textValue().length() < MIN_TOKEN_CHARS) {
                throw new Invalid(at + ".token: must be a string of at least " + MIN_TOKEN_CHARS + " characters");
            }
            return sha256(token.textValue());
        }
        JsonNode hex = p.get("tokenSha256");
        if (!hex.isTextual() || !SHA256_HEX.matcher(hex.textValue()).matches()) {
            throw new Invalid(at + ".tokenSha256: must be 64 hex digits (sha256sum of the token)");
        }
        return HexFormat.of().parseHex(hex.textValue().toLowerCase(Locale.ROOT));
    }
}
