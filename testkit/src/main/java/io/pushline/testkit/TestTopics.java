package io.pushline.testkit;

import org.apache.kafka.clients.admin.Admin;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
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

    /**
     * Deletes every topic whose name starts with {@code prefix} and waits until the broker no longer lists them, at
     * most {@code timeout}. For tests of code whose topic names are fixed (Pushline's catalogue): they start from
     * empty topics on the shared broker.
     *
     * @return the topics deleted
     */
    public static Set<String> deleteAll(Admin admin, String prefix, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(prefix, "prefix");
        Set<String> doomed = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream()
                .filter(name -> name.startsWith(prefix))
                .collect(Collectors.toUnmodifiableSet());
        if (doomed.isEmpty()) {
            return doomed;
        }
        admin.deleteTopics(doomed).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Instant deadline = Instant.now().plus(timeout);
        long pauseMillis = 10;
        while (admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream().anyMatch(doomed::contains)) {
            if (Instant.now().isAfter(deadline)) {
                throw new TimeoutException("topics " + doomed + " still listed " + timeout + " after deletion");
            }
            TimeUnit.MILLISECONDS.sleep(pauseMillis);   // poll interval of a bounded wait for a condition
            pauseMillis = Math.min(200, pauseMillis * 2);
        }
        return doomed;
    }
}
