package io.pushline.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pushline.contracts.EventType;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The services allowed to publish over HTTP ingest, each with its own bearer token, the event types (and optionally the
 * {@code source} prefixes) it may publish, and its rate limit. Read from JSON:
 *
 * <pre>{@code
 * {"publishers": [
 *   {"name": "likes-service",
 *    "tokenSha256": "<64 hex digits: SHA-256 of the token's UTF-8 bytes>",   // or "token": "<the token itself>"
 *    "types": ["io.pushline.like.created.v1", "io.pushline.like.removed.v1"],   // or ["*"]: every publishable type
 *    "sourcePrefixes": ["urn:pushline:service:likes"],                          // optional; default: any source
 *    "eventsPerSecond": 500}                                                    // optional; default 100; 0 = unlimited
 * ]}
 * }</pre>
 *
 * <p>Tokens are kept only as SHA-256 hashes and compared with {@link MessageDigest#isEqual} against every publisher's
 * hash (no early exit), so neither the comparison's time nor the order of publishers says anything about a token.
 * Nothing here logs or prints a token or its hash: {@link Publisher#toString()} names the publisher only.
 *
 * <p>Immutable apart from the publishers' rate-limit buckets, which are thread-safe.
 */
final class Publishers {
    /** Events per second a publisher may send when its entry does not say. */
    static final double DEFAULT_EVENTS_PER_SECOND = 100;
    /** Plain tokens shorter than this are refused: a bearer token must not be guessable. */
    static final int MIN_TOKEN_CHARS = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Set<String> FIELDS = Set.of("name", "token", "tokenSha256", "types", "sourcePrefixes", "eventsPerSecond");
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** The publishers file or JSON is wrong; the message names the field and never contains a token. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /** One publishing service. */
    static final class Publisher {
        private final String name;
        private final byte[] tokenHash;
        private final Set<EventType> types;
        private final List<String> sourcePrefixes;
        private final TokenBucket limit;

        Publisher(String name, byte[] tokenHash, Set<EventType> types, List<String> sourcePrefixes, TokenBucket limit) {
            this.name = name;
            this.tokenHash = tokenHash.clone();
            this.types = types.isEmpty() ? Set.of() : EnumSet.copyOf(types);
            this.sourcePrefixes = List.copyOf(sourcePrefixes);
            this.limit = limit;
        }

        String name() {
            return name;
        }

        /** Its rate limit; null if unlimited. */
        TokenBucket limit() {
            return limit;
        }

        /** Null if this publisher may publish {@code type} from {@code source}, else why not (no secret in it). */
        String refusal(EventType type, String source) {
            if (!type.publishable()) {
                return "type " + type.ceType() + " is written only by Pushline; no service may publish it";
            }
            if (!types.contains(type)) {
                return "publisher '" + name + "' may not publish " + type.ceType();
            }
            if (!sourcePrefixes.isEmpty() && sourcePrefixes.stream().noneMatch(source::startsWith)) {
                return "publisher '" + name + "' may publish only from sources starting with " + String.join(" or ", sourcePrefixes);
            }
            return null;
        }

        @Override
        public String toString() {
            return "Publisher[" + name + "]";
        }
    }

    private final List<Publisher> publishers;

    private Publishers(List<Publisher> publishers) {
        this.publishers = List.copyOf(publishers);
    }

    /** Whether some publisher's token has this SHA-256 (to keep admin and publisher credentials apart). */
    boolean hasTokenHash(byte[] hash) {
        boolean found = false;
        for (Publisher p : publishers) {
            found |= MessageDigest.isEqual(hash, p.tokenHash);
        }
        return found;
    }

    /** The publishers named. */
    List<String> names() {
        return publishers.stream().map(Publisher::name).toList();
    }

    /**
     * The publisher whose token is {@code token}, or empty. Takes the same time whichever publisher (if any) matches:
     * it hashes the token once and compares the hash with every publisher's.
     */
    Optional<Publisher> authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        byte[] hash = sha256(token);
        Publisher found = null;
        for (Publisher p : publishers) {
            if (MessageDigest.isEqual(hash, p.tokenHash) && found == null) {
                found = p;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * One entry of a list of credentials (publishers here, admins in {@link AdminCredentials}): its JSON object, where it
     * is (for messages), its name and its token's SHA-256.
     */
    record Entry(JsonNode json, String at, String name, byte[] tokenHash) {
    }

    /**
     * The entries of {@code {"<listField>": [ {"name": ..., "token" or "tokenSha256": ..., ...}, ... ]}}: names unique
     * and of {@code [A-Za-z0-9._-]{1,64}}, tokens unique, no field outside {@code fields}. Messages name the field and
     * never quote the text (it holds tokens).
     */
    static List<Entry> entries(String json, String listField, Set<String> fields) throws Invalid {
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
            String name = string(p, "name", at);
            if (!NAME.matcher(name).matches()) {
                throw new Invalid(at + ".name: must be 1 to 64 of [A-Za-z0-9._-]");
            }
            at = listField + "[" + i + "] (" + name + ")";
            byte[] hash = tokenHash(p, at);
            for (Entry other : entries) {
                if (other.name().equals(name)) {
                    throw new Invalid(at + ".name: '" + name + "' is already used by another entry");
                }
                if (MessageDigest.isEqual(hash, other.tokenHash())) {
                    throw new Invalid(at + ": has the same token as '" + other.name() + "'; each needs its own");
                }
            }
            entries.add(new Entry(p, at, name, hash));
        }
        return entries;
    }

    /** Reads the publishers from {@code json}; {@code nanos} is the rate limiters' clock. */
    static Publishers parse(String json, LongSupplier nanos) throws Invalid {
        Objects.requireNonNull(nanos, "nanos");
        List<Publisher> publishers = new ArrayList<>();
        for (Entry entry : entries(json, "publishers", FIELDS)) {
            JsonNode p = entry.json();
            String at = entry.at();
            String name = entry.name();
            byte[] hash = entry.tokenHash();
            Set<EventType> types = types(p, at);
            List<String> prefixes = new ArrayList<>();
            JsonNode sources = p.get("sourcePrefixes");
            if (sources != null) {
                if (!sources.isArray()) {
                    throw new Invalid(at + ".sourcePrefixes: must be an array of strings");
                }
                for (int k = 0; k < sources.size(); k++) {
                    if (!sources.get(k).isTextual() || sources.get(k).textValue().isEmpty()) {
                        throw new Invalid(at + ".sourcePrefixes[" + k + "]: must be a non-empty string");
                    }
                    prefixes.add(sources.get(k).textValue());
                }
            }
            double rate = DEFAULT_EVENTS_PER_SECOND;
            JsonNode rateNode = p.get("eventsPerSecond");
            if (rateNode != null) {
                if (!rateNode.isNumber() || rateNode.doubleValue() < 0 || rateNode.doubleValue() > 1_000_000) {
                    throw new Invalid(at + ".eventsPerSecond: must be a number from 0 (unlimited) to 1000000, was " + rateNode);
                }
                rate = rateNode.doubleValue();
            }
            TokenBucket bucket = rate == 0 ? null : new TokenBucket(rate, Math.max(1, rate), nanos);
            publishers.add(new Publisher(name, hash, types, prefixes, bucket));
        }
        return new Publishers(publishers);
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

    private static Set<EventType> types(JsonNode p, String at) throws Invalid {
        JsonNode list = p.get("types");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new Invalid(at + ".types: required, a non-empty array of event types (or [\"*\"])");
        }
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        for (int k = 0; k < list.size(); k++) {
            JsonNode t = list.get(k);
            if (!t.isTextual()) {
                throw new Invalid(at + ".types[" + k + "]: must be a string");
            }
            if (t.textValue().equals("*")) {
                for (EventType type : EventType.values()) {
                    if (type.publishable()) {
                        types.add(type);
                    }
                }
                continue;
            }
            EventType type = EventType.fromCeType(t.textValue()).orElse(null);
            if (type == null) {
                throw new Invalid(at + ".types[" + k + "]: unknown type '" + t.textValue().replaceAll("[^A-Za-z0-9._-]", "?") + "'");
            }
            if (!type.publishable()) {
                throw new Invalid(at + ".types[" + k + "]: " + type.ceType() + " is written only by Pushline; no service may publish it");
            }
            types.add(type);
        }
        return types;
    }

    private static String string(JsonNode p, String field, String at) throws Invalid {
        JsonNode v = p.get(field);
        if (v == null || !v.isTextual()) {
            throw new Invalid(at + "." + field + ": required, a string");
        }
        return v.textValue();
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * A token bucket: {@code ratePerSecond} permits a second, up to {@code capacity} saved up. A request for more than
     * is available is refused whole and told how long to wait; a request for more than the capacity (a big batch) is
     * allowed when the bucket is full and leaves it in debt, so a batch is never refused forever. Thread-safe; time is
     * the injected nanosecond clock.
     */
    static final class TokenBucket {
        private final double ratePerNano;
        private final double capacity;
        private final LongSupplier nanos;
        private double tokens;
        private long last;

        TokenBucket(double ratePerSecond, double capacity, LongSupplier nanos) {
            if (!(ratePerSecond > 0)) {
                throw new IllegalArgumentException("ratePerSecond must be > 0, was " + ratePerSecond);
            }
            this.ratePerNano = ratePerSecond / 1e9;
            this.capacity = capacity;
            this.nanos = nanos;
            this.tokens = capacity;
            this.last = nanos.getAsLong();
        }

        /** 0 if {@code permits} were taken, else the whole seconds (at least 1) to wait before asking again. */
        synchronized long tryAcquire(int permits) {
            long now = nanos.getAsLong();
            tokens = Math.min(capacity, tokens + (now - last) * ratePerNano);
            last = now;
            double needed = Math.min(permits, capacity);
            if (tokens >= needed) {
                tokens -= permits;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((needed - tokens) / ratePerNano / 1e9));
        }
    }
}
