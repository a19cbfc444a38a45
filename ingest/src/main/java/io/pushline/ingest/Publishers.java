package io.pushline.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.pushline.contracts.EventType;
import io.pushline.credentials.BearerTokens;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

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
public final class Publishers {
    /** Events per second a publisher may send when its entry does not say. */
    static final double DEFAULT_EVENTS_PER_SECOND = 100;
    /** Plain tokens shorter than this are refused: a bearer token must not be guessable. */
    static final int MIN_TOKEN_CHARS = BearerTokens.MIN_TOKEN_CHARS;
    private static final Set<String> FIELDS = Set.of("name", "token", "tokenSha256", "types", "sourcePrefixes", "eventsPerSecond");

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
    public boolean hasTokenHash(byte[] hash) {
        return BearerTokens.findByHash(hash, publishers, p -> p.tokenHash).isPresent();
    }

    /** The publishers named. */
    public List<String> names() {
        return publishers.stream().map(Publisher::name).toList();
    }

    /**
     * The publisher whose token is {@code token}, or empty. Takes the same time whichever publisher (if any) matches:
     * it hashes the token once and compares the hash with every publisher's.
     */
    Optional<Publisher> authenticate(String token) {
        return BearerTokens.find(token, publishers, p -> p.tokenHash);
    }

    /** Reads the publishers from {@code json}; {@code nanos} is the rate limiters' clock. */
    public static Publishers parse(String json, LongSupplier nanos) throws BearerTokens.Invalid {
        Objects.requireNonNull(nanos, "nanos");
        List<Publisher> publishers = new ArrayList<>();
        for (BearerTokens.Entry entry : BearerTokens.entries(json, "publishers", FIELDS)) {
            JsonNode p = entry.json();
            String at = entry.at();
            String name = entry.name();
            byte[] hash = entry.tokenHash();
            Set<EventType> types = types(p, at);
            List<String> prefixes = new ArrayList<>();
            JsonNode sources = p.get("sourcePrefixes");
            if (sources != null) {
                if (!sources.isArray()) {
                    throw new BearerTokens.Invalid(at + ".sourcePrefixes: must be an array of strings");
                }
                for (int k = 0; k < sources.size(); k++) {
                    if (!sources.get(k).isTextual() || sources.get(k).textValue().isEmpty()) {
                        throw new BearerTokens.Invalid(at + ".sourcePrefixes[" + k + "]: must be a non-empty string");
                    }
                    prefixes.add(sources.get(k).textValue());
                }
            }
            double rate = DEFAULT_EVENTS_PER_SECOND;
            JsonNode rateNode = p.get("eventsPerSecond");
            if (rateNode != null) {
                if (!rateNode.isNumber() || rateNode.doubleValue() < 0 || rateNode.doubleValue() > 1_000_000) {
                    throw new BearerTokens.Invalid(at + ".eventsPerSecond: must be a number from 0 (unlimited) to 1000000, was " + rateNode);
                }
                rate = rateNode.doubleValue();
            }
            TokenBucket bucket = rate == 0 ? null : new TokenBucket(rate, Math.max(1, rate), nanos);
            publishers.add(new Publisher(name, hash, types, prefixes, bucket));
        }
        return new Publishers(publishers);
    }

    private static Set<EventType> types(JsonNode p, String at) throws BearerTokens.Invalid {
        JsonNode list = p.get("types");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new BearerTokens.Invalid(at + ".types: required, a non-empty array of event types (or [\"*\"])");
        }
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        for (int k = 0; k < list.size(); k++) {
            JsonNode t = list.get(k);
            if (!t.isTextual()) {
                throw new BearerTokens.Invalid(at + ".types[" + k + "]: must be a string");
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
                throw new BearerTokens.Invalid(at + ".types[" + k + "]: unknown type '" + t.textValue().replaceAll("[^A-Za-z0-9._-]", "?") + "'");
            }
            if (!type.publishable()) {
                throw new BearerTokens.Invalid(at + ".types[" + k + "]: " + type.ceType() + " is written only by Pushline; no service may publish it");
            }
            types.add(type);
        }
        return types;
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
