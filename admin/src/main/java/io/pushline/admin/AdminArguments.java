package io.pushline.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values an admin operation takes, parsed once for both the command line ({@code pushline dlq},
 * {@code pushline coordinators}) and the admin API ({@link AdminServer}): durations as people write them, {@code --since}
 * times, the {@code --wait} and {@code --limit} bounds, and the Kafka client settings the operations run with.
 *
 * <p>A bad value is an {@link IllegalArgumentException} whose message names the command-line option ({@code --since: ...}):
 * the admin API answers with the very message the command line prints. Stateless; thread-safe.
 */
public final class AdminArguments {
    /** The longest {@code --wait} for a retried or discarded coordinator to leave the parked list. */
    public static final Duration MAX_WAIT = Duration.ofMinutes(10);
    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final Pattern DAYS = Pattern.compile("(\\d{1,4})d");

    private AdminArguments() {
    }

    /**
     * A positive duration as people write them on a command line: {@code 90s}, {@code 5m}, {@code 1h}, {@code 7d},
     * {@code 250ms} or ISO-8601 ({@code PT5M}).
     *
     * @throws IllegalArgumentException quoting {@code text}, if it is no duration or not positive
     */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(t);
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } else {
            try {
                d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)");
            }
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("'" + text + "' must be a positive duration");
        }
        return d;
    }

    /**
     * {@code --since}: an ISO-8601 instant (with {@code Z} or an offset), or a positive duration meaning "that long ago"
     * ({@code 90m}, {@code 2h}, {@code 3d}, {@code PT2H}) before {@code clock}'s now. Null stays null (no bound).
     *
     * @throws IllegalArgumentException ({@code --since: '...' is neither ...}) for anything else
     */
    public static Instant since(String text, Clock clock) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notAnInstant) {
            // an offset, or a duration
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException notAnOffsetTime) {
            // a duration
        }
        Matcher days = DAYS.matcher(t.toLowerCase(Locale.ROOT));
        try {
            Duration ago = days.matches() ? Duration.ofDays(Long.parseLong(days.group(1))) : duration(t);
            if (ago.isZero()) {
                throw new IllegalArgumentException("zero");
            }
            return clock.instant().minus(ago);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--since: '" + text + "' is neither an ISO-8601 instant (2026-12-01T10:00:00Z) "
                    + "nor a positive duration meaning that long ago (90m, 2h, 3d, PT2H)");
        }
    }

    /**
     * {@code --timeout}: how long a dead-letter operation may take, reading and writing included.
     *
     * @throws IllegalArgumentException ({@code --timeout: ...}) if it is no positive duration
     */
    public static Duration timeout(String text) {
        try {
            return duration(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--timeout: " + e.getMessage());
        }
    }

    /**
     * {@code --wait}: how long to wait for a coordinator to leave the parked list; {@code 0} does not wait.
     *
     * @throws IllegalArgumentException ({@code --wait: ...}) if it is no duration, or longer than {@link #MAX_WAIT}
     */
    public static Duration waitFor(String text) {
        Duration wait;
        try {
            wait = "0".equals(text) ? Duration.ZERO : duration(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--wait: " + e.getMessage());
        }
        if (wait.compareTo(MAX_WAIT) > 0) {
            throw new IllegalArgumentException("--wait must be at most 10m, was " + text);
        }
        return wait;
    }

    /**
     * {@code --limit}: at most this many dead letters replayed; null means no limit.
     *
     * @throws IllegalArgumentException ({@code --limit must be at least 1, ...}) if it is below 1
     */
    public static Long limit(Long limit) {
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be at least 1, was " + limit);
        }
        return limit;
    }

    /**
     * The Kafka client settings an admin operation runs with: {@code kafkaConfig} (the security settings of
     * {@code --kafka-config}), {@code bootstrapServers}, and request bounds short enough for an operator waiting at a
     * prompt (10 s per request, 20 s per call).
     */
    public static Map<String, Object> clients(Map<String, Object> kafkaConfig, String bootstrapServers) {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put("bootstrap.servers", bootstrapServers);
        config.put("request.timeout.ms", 10_000);
        config.put("default.api.timeout.ms", 20_000);
        return config;
    }
}
