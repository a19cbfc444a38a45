package io.pushline.testkit;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/** Names for topics, consumer groups and application ids that no other test in this JVM or run will use. */
public final class TestTopics {

    /** Kafka's legal topic characters; {@code 200} leaves room for the suffix under Kafka's 249-character limit. */
    private static final Pattern LEGAL_PREFIX = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
    private static final AtomicLong COUNTER = new AtomicLong();

    private TestTopics() {}

    /**
     * Returns {@code prefix-<n>-<random>}: unique within this JVM by the counter, and across JVMs sharing a broker by
     * the random part.
     *
     * @throws IllegalArgumentException if {@code prefix} is empty, longer than 200 characters or not made of
     *     {@code [a-zA-Z0-9._-]}
     */
    public static String unique(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!LEGAL_PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "prefix must be 1 to 200 characters of [a-zA-Z0-9._-], was '" + prefix + "'");
        }
        return prefix + "-" + COUNTER.incrementAndGet() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000_0000, Integer.MAX_VALUE));
    }
}
