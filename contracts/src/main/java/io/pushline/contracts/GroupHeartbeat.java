package io.pushline.contracts;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How long ago a group member's last heartbeat reached its group coordinator, read from the Kafka consumer's own
 * {@code consumer-coordinator-metrics / last-heartbeat-seconds-ago} (classic group protocol, which Pushline uses).
 *
 * <p>This is how a loop that is still running, and retrying as it should, tells the truth while the broker is away. A
 * Kafka consumer or a Streams thread does not fail while its broker is killed or stalled: {@code poll} just returns
 * nothing, and a Streams application stays {@code RUNNING}. Its heartbeats, though, stop reaching the coordinator, and
 * once they have been missing for longer than the group's session timeout the broker has removed the member from the
 * group: whatever the process says, it is doing nothing. Readiness turns red then, with this as its reason, and green
 * again once the member has rejoined and heartbeats flow.
 *
 * <p>The metric objects are looked up once (on the thread that owns the client, where {@code metrics()} is allowed) and
 * read from any thread afterwards: a {@link Metric}'s value is thread-safe.
 */
public final class GroupHeartbeat {
    /** Kafka's default {@code session.timeout.ms}. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(45);

    private static final String GROUP = "consumer-coordinator-metrics";
    private static final String NAME = "last-heartbeat-seconds-ago";

    private final List<Metric> ages;
    private final Duration sessionTimeout;

    private GroupHeartbeat(List<Metric> ages, Duration sessionTimeout) {
        this.ages = ages;
        this.sessionTimeout = sessionTimeout;
    }

    /**
     * The heartbeat ages among {@code metrics} (a consumer's, or a Streams application's with one per stream thread).
     * Empty when there is none: a client with no group (an assigned consumer, a restore consumer), or a test double.
     */
    public static Optional<GroupHeartbeat> of(Map<MetricName, ? extends Metric> metrics, Duration sessionTimeout) {
        List<Metric> ages = metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals(GROUP) && e.getKey().name().equals(NAME))
                .map(e -> (Metric) e.getValue())
                .toList();
        return ages.isEmpty() ? Optional.empty() : Optional.of(new GroupHeartbeat(ages, sessionTimeout));
    }

    /** The session timeout of a client configured with {@code config} ({@code session.timeout.ms}, else Kafka's default). */
    public static Duration sessionTimeout(Map<String, ?> config) {
        Object value = config.get("session.timeout.ms");
        if (value == null) {
            return DEFAULT_SESSION_TIMEOUT;
        }
        return Duration.ofMillis(Long.parseLong(value.toString().trim()));
    }

    /**
     * Why the member is out of its group, or empty while its heartbeats are recent: the oldest last heartbeat, when it is
     * older than the session timeout. Callers ask only once the member has joined (before its first heartbeat the
     * metric is -1).
     */
    public Optional<String> overdue() {
        double oldest = 0;
        for (Metric age : ages) {
            Object value = age.metricValue();
            if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
                oldest = Math.max(oldest, n.doubleValue());
            }
        }
        if (oldest * 1000 <= sessionTimeout.toMillis()) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT, "no heartbeat has reached the group coordinator for %.0f s "
                + "(session timeout %d s): the broker is unreachable or stalled, and the group has dropped this member until "
                + "it rejoins", oldest, sessionTimeout.toSeconds()));
    }
}
