package io.pushline.contracts;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupHeartbeatTest {
    /** A clock the test moves (Kafka's MockTime lives in its test jar). */
    private static final class ManualTime implements Time {
        private final AtomicLong millis = new AtomicLong(1_000_000L);

        @Override
        public long milliseconds() {
            return millis.get();
        }

        @Override
        public long nanoseconds() {
            return millis.get() * 1_000_000L;
        }

        @Override
        public void sleep(long ms) {
            millis.addAndGet(ms);
        }

        @Override
        public void waitObject(Object obj, java.util.function.Supplier<Boolean> condition, long deadlineMs) {
            throw new UnsupportedOperationException();
        }
    }

    private final ManualTime time = new ManualTime();
    private final Metrics metrics = new Metrics(time);

    /** The metric as Kafka's classic group coordinator registers it: -1 before the first heartbeat. */
    private AtomicLong member(String clientId) {
        AtomicLong lastSent = new AtomicLong();
        MetricName name = metrics.metricName("last-heartbeat-seconds-ago", "consumer-coordinator-metrics", "", Map.of("client-id", clientId));
        metrics.addMetric(name, (Measurable) (config, now) -> lastSent.get() == 0 ? -1.0 : (now - lastSent.get()) / 1000);
        return lastSent;
    }

    @Test
    void aClientWithoutAGroupHasNoHeartbeat() {
        metrics.addMetric(metrics.metricName("records-consumed-total", "consumer-fetch-manager-metrics"), (Measurable) (c, now) -> 1);
        assertThat(GroupHeartbeat.of(metrics.metrics(), Duration.ofSeconds(45))).isEmpty();
    }

    @Test
    void overdueOnlyWhenTheOldestHeartbeatIsOlderThanTheSession() {
        AtomicLong a = member("thread-1");
        AtomicLong b = member("thread-2");
        GroupHeartbeat heartbeat = GroupHeartbeat.of(metrics.metrics(), Duration.ofSeconds(45)).orElseThrow();
        assertThat(heartbeat.overdue()).as("never heartbeat yet (-1): not counted").isEmpty();

        a.set(time.milliseconds());
        b.set(time.milliseconds());
        time.sleep(45_000);
        assertThat(heartbeat.overdue()).as("exactly the session timeout").isEmpty();

        b.set(time.milliseconds());
        time.sleep(1_000);
        assertThat(heartbeat.overdue()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("for 46 s", "session timeout 45 s", "the broker is unreachable or stalled"));

        a.set(time.milliseconds());
        assertThat(heartbeat.overdue()).as("both recent again").isEmpty();
    }

    @Test
    void theSessionTimeoutComesFromTheClientConfigOrKafkasDefault() {
        assertThat(GroupHeartbeat.sessionTimeout(Map.of())).isEqualTo(Duration.ofSeconds(45));
        assertThat(GroupHeartbeat.sessionTimeout(Map.of("session.timeout.ms", 10_000))).isEqualTo(Duration.ofSeconds(10));
        assertThat(GroupHeartbeat.sessionTimeout(Map.of("session.timeout.ms", " 6000 "))).isEqualTo(Duration.ofSeconds(6));
        assertThatThrownBy(() -> GroupHeartbeat.sessionTimeout(Map.of("session.timeout.ms", "soon"))).isInstanceOf(NumberFormatException.class);
    }
}
