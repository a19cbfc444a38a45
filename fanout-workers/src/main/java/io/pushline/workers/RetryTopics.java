package io.pushline.workers;

import io.pushline.contracts.CleanupPolicy;
import io.pushline.contracts.ProvisionReport;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TopicProvisioner;
import io.pushline.contracts.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The delay topics a lane's pushes wait in after a retry-later outcome, and the headers of their records.
 *
 * <p>Each lane has a ladder of retry topics, one per delay of {@link WorkerConfig#retryDelays()} (by default
 * {@code pushline.push.bulk.retry-5s}, {@code -30s}, {@code -5m}). A push that must wait {@code w} is written to the
 * smallest rung whose delay is at least {@code w}, else to the largest, with its exact not-before instant in
 * {@link #NOT_BEFORE}. Within one rung records arrive roughly in not-before order, so a worker that holds a retry
 * partition until its head record is due delays a record behind it by at most the width of the rung (e.g. 25 s on the
 * 30 s rung), never by a long wait of another rung; only waits beyond the largest rung can hold up more.
 *
 * <p>A retry record is the task record unchanged (key, value, {@code ce_*} headers, so its push id and TTL origin are
 * those of the original) plus the headers below, replaced on each attempt. These topics are the worker's own and are not
 * in the contracts catalogue: they share the lane topic's partition count and replication factor, with
 * {@code min.insync.replicas} by the catalogue's rule ({@link Replication#of}: one less, at least one), delete policy,
 * and a retention of a day (or twice the largest delay, if longer). Stateless and thread-safe.
 */
public final class RetryTopics {
    /** The attempt number the record's next send will be, in decimal: 2 for the first retry. Absent: 1. */
    public static final String ATTEMPT = "pushline.retry.attempt";
    /** The instant before which the record must not be sent, ISO-8601 UTC, e.g. {@code 2026-01-31T12:00:02.500Z}. */
    public static final String NOT_BEFORE = "pushline.retry.not-before";
    /** Why the previous attempt is to be retried (the provider's cause), for people; at most 256 characters. */
    public static final String CAUSE = "pushline.retry.cause";
    /** Where the task was first read, {@code topic-partition@offset}; kept across retries. */
    public static final String ORIGIN = "pushline.retry.origin";

    static final int MAX_CAUSE_CHARS = 256;
    private static final Duration MIN_RETENTION = Duration.ofDays(1);

    private RetryTopics() {
    }

    /** The retry topic of {@code laneTopic} for {@code delay}: {@code <laneTopic>.retry-<delay>}, e.g. {@code pushline.push.high.retry-30s}. */
    public static String name(String laneTopic, Duration delay) {
        return laneTopic + ".retry-" + label(delay);
    }

    /** The retry topics of the config's lane, shortest delay first. */
    public static List<String> names(WorkerConfig config) {
        return config.retryDelays().stream().map(d -> name(config.topic(), d)).toList();
    }

    /** The retry topics of the config's lane, shortest delay first, for {@link TopicProvisioner}. */
    public static List<TopicSpec> specs(WorkerConfig config, int partitions, Replication replication) {
        List<Duration> delays = config.retryDelays();
        Duration longest = delays.get(delays.size() - 1).multipliedBy(2);
        Duration retention = longest.compareTo(MIN_RETENTION) > 0 ? longest : MIN_RETENTION;
        List<TopicSpec> specs = new ArrayList<>();
        for (Duration delay : delays) {
            specs.add(new TopicSpec(name(config.topic(), delay), "the task's key (userId)", partitions, replication,
                    CleanupPolicy.DELETE, retention, Map.of()));
        }
        return List.copyOf(specs);
    }

    /**
     * Creates the missing retry topics of the config's lane, with the partition count and replication factor of the lane
     * topic, and checks the existing ones (see {@link TopicProvisioner}): a retry topic whose replication factor or
     * {@code min.insync.replicas} differs is a conflict. The lane topic was provisioned with the replication the
     * deployment asked for (and checked against it), so its factor is that one. The caller owns {@code admin}.
     *
     * @throws IllegalStateException if the lane topic does not exist within {@code timeout} (provision the catalogue first)
     * @throws io.pushline.contracts.TopicConflictException if an existing retry topic differs from its spec
     * @throws org.apache.kafka.common.errors.TimeoutException if the broker did not answer within {@code timeout}
     */
    public static ProvisionReport ensure(Admin admin, WorkerConfig config, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        TopicDescription lane = describeLaneTopic(admin, config.topic(), deadline, timeout);
        Replication replication = Replication.of(Math.max(1, lane.partitions().get(0).replicas().size()));
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        return new TopicProvisioner(admin, Duration.ofMillis(left))
                .ensure(specs(config, lane.partitions().size(), replication));
    }

    /** Describes the lane topic, asking again for a moment when it is unknown: a broker's metadata may lag a fresh create. */
    private static TopicDescription describeLaneTopic(Admin admin, String topic, long deadline, Duration timeout) {
        long backoffMillis = 20;
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return admin.describeTopics(List.of(topic)).topicNameValues().get(topic).get(Math.max(1, left), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new KafkaException("could not describe lane topic " + topic, e.getCause());
                }
                if (left <= backoffMillis) {
                    throw new IllegalStateException("lane topic " + topic + " does not exist (waited " + timeout
                            + "); provision the topic catalogue before the retry topics");
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new org.apache.kafka.common.errors.TimeoutException("timed out describing lane topic " + topic + " within " + timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
            try {
                Thread.sleep(backoffMillis);   // bounded by the deadline: startup waits for the broker's metadata
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
            backoffMillis = Math.min(500, backoffMillis * 2);
        }
    }

    /** Index of the rung a wait goes to: the smallest delay {@code >= wait}, else the largest. */
    static int rung(List<Duration> delays, Duration wait) {
        for (int i = 0; i < delays.size(); i++) {
            if (delays.get(i).compareTo(wait) >= 0) {
                return i;
            }
        }
        return delays.size() - 1;
    }

    /** {@code 5s}, {@code 5m}, {@code 1h}, {@code 750ms}: the largest unit that divides the delay. */
    static String label(Duration delay) {
        long ms = delay.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }

    // ---- headers ----

    /** The attempt number the record's next send is: {@link #ATTEMPT}, or 1 when absent or unreadable. */
    static int attempt(Headers headers) {
        String value = last(headers, ATTEMPT);
        if (value == null) {
            return 1;
        }
        try {
            return Math.max(1, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** {@link #NOT_BEFORE}, or null when absent or unreadable (the record is then due at once). */
    static Instant notBefore(Headers headers) {
        String value = last(headers, NOT_BEFORE);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@link #ORIGIN}, or null when absent. */
    static String origin(Headers headers) {
        return last(headers, ORIGIN);
    }

    /** Replaces the retry headers of {@code headers} (writable) with these. */
    static void addTo(Headers headers, int attempt, Instant notBefore, String cause, String origin) {
        put(headers, ATTEMPT, Integer.toString(attempt));
        put(headers, NOT_BEFORE, notBefore.toString());
        put(headers, CAUSE, cause.length() > MAX_CAUSE_CHARS ? cause.substring(0, MAX_CAUSE_CHARS) : cause);
        put(headers, ORIGIN, origin);
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String last(Headers headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
