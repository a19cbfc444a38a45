package io.pushline.topology;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At most {@code max} timeline notifications per user in any rolling {@code window}: a post counts once per user,
 * however many devices the user has. Posts over the cap are not sent: each of their pushes gets a {@code CANCELLED}
 * receipt saying {@code policy cap}. With {@link Overflow#DIGEST} they are merged instead into one digest push per
 * device ("3 new posts from alice, bob and 1 other"), sent when the cap has a free slot again.
 */
public record FrequencyCap(int max, Duration window, Overflow overflow) {
    /** What becomes of posts over the cap. */
    public enum Overflow {
        /** Not sent: a {@code CANCELLED} receipt each. */
        DROP,
        /** Merged into the user's next digest (a {@code CANCELLED} receipt each names it), sent when a slot frees. */
        DIGEST
    }

    public static final int MAX_MAX = 1_000;
    public static final Duration MIN_WINDOW = Duration.ofMinutes(1);
    public static final Duration MAX_WINDOW = Duration.ofDays(7);
    private static final Pattern SPEC = Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*([^\\s:]+)\\s*(?::\\s*(\\S*)\\s*)?");

    /** A cap that drops what is over it. */
    public FrequencyCap(int max, Duration window) {
        this(max, window, Overflow.DROP);
    }

    public FrequencyCap {
        java.util.Objects.requireNonNull(overflow, "overflow");
        if (max < 1 || max > MAX_MAX) {
            throw new IllegalArgumentException("the cap must be between 1 and " + MAX_MAX + " pushes, was " + max);
        }
        if (window == null || window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException("the cap's window must be between 1m and 7d, was " + window);
        }
    }

    /**
     * {@code N/DURATION[:drop|:digest]}, e.g. {@code 3/1h}, {@code 10/1d:digest}, {@code 5/PT30M}; blank or {@code none}:
     * no cap (null). Without a suffix, posts over the cap are dropped.
     */
    public static FrequencyCap parse(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("none")) {
            return null;
        }
        Matcher m = SPEC.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected N/DURATION, N/DURATION:drop or N/DURATION:digest (3/1h, 10/1d:digest), got \"" + (spec.length() > 40 ? spec.substring(0, 40) + "…" : spec) + "\"");
        }
        return new FrequencyCap(Integer.parseInt(m.group(1)), duration(m.group(2)), overflow(m.group(3)));
    }

    private static Overflow overflow(String text) {
        if (text == null || text.equalsIgnoreCase("drop")) {
            return Overflow.DROP;
        }
        if (text.equalsIgnoreCase("digest")) {
            return Overflow.DIGEST;
        }
        throw new IllegalArgumentException("what is over the cap is dropped or merged into a digest (:drop, :digest), got \":"
                + (text.length() > 20 ? text.substring(0, 20) + "…" : text) + "\"");
    }

    private static Duration duration(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(text.toUpperCase(Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException("a window is minutes, hours or days (30m, 1h, 1d), got \"" + text + "\"");
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("a window is minutes, hours or days (30m, 1h, 1d), got \"" + text + "\"");
        }
    }

    /** As people read it: {@code 3 per 1h} (the overflow not named). */
    public String describe() {
        long minutes = window.toMinutes();
        String w = minutes % (24 * 60) == 0 ? minutes / (24 * 60) + "d" : minutes % 60 == 0 ? minutes / 60 + "h" : minutes + "m";
        return max + " per " + w;
    }
}
