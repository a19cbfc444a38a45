package io.pushline.workers;

import io.pushline.contracts.CleanupPolicy;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Replication;
import io.pushline.contracts.TopicSpec;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetryTopicsTest {
    private static final List<Duration> LADDER = WorkerConfig.DEFAULT_RETRY_DELAYS;

    @Test
    void aWaitGoesToTheSmallestRungThatCoversItElseToTheLargest() {
        assertThat(RetryTopics.rung(LADDER, Duration.ZERO)).isZero();
        assertThat(RetryTopics.rung(LADDER, Duration.ofSeconds(2))).isZero();
        assertThat(RetryTopics.rung(LADDER, Duration.ofSeconds(5))).isZero();
        assertThat(RetryTopics.rung(LADDER, Duration.ofMillis(5001))).isEqualTo(1);
        assertThat(RetryTopics.rung(LADDER, Duration.ofSeconds(60))).isEqualTo(2);
        assertThat(RetryTopics.rung(LADDER, Duration.ofHours(2))).isEqualTo(2);
    }

    @Test
    void namesAndSpecsFollowTheLaneAndTheLadder() {
        WorkerConfig high = WorkerConfig.defaults(Lane.HIGH);
        assertThat(RetryTopics.names(high)).containsExactly(
                "pushline.push.high.retry-5s", "pushline.push.high.retry-30s", "pushline.push.high.retry-5m");
        assertThat(RetryTopics.name("t", Duration.ofMillis(750))).isEqualTo("t.retry-750ms");
        assertThat(RetryTopics.name("t", Duration.ofHours(2))).isEqualTo("t.retry-2h");

        List<TopicSpec> specs = RetryTopics.specs(WorkerConfig.defaults(Lane.BULK).withRetryDelays(List.of(Duration.ofHours(13))), 6, Replication.forBrokers(3));
        assertThat(specs).singleElement().satisfies(spec -> {
            assertThat(spec.name()).isEqualTo("pushline.push.bulk.retry-13h");
            assertThat(spec.partitions()).isEqualTo(6);
            assertThat(spec.replication()).isEqualTo(new Replication((short) 3, (short) 2));
            assertThat(spec.topicConfigs()).containsEntry("min.insync.replicas", "2");
            assertThat(spec.cleanupPolicy()).isEqualTo(CleanupPolicy.DELETE);
            assertThat(spec.retention()).as("twice the largest delay when that exceeds a day").isEqualTo(Duration.ofHours(26));
        });
        assertThat(RetryTopics.specs(high, 3, Replication.of(1))).isNotEmpty().allSatisfy(spec -> assertThat(spec.retention()).isEqualTo(Duration.ofDays(1)));
    }

    @Test
    void headersAreReplacedOnEachAttemptAndUnreadableOnesFallBackSafely() {
        RecordHeaders headers = new RecordHeaders();
        assertThat(RetryTopics.attempt(headers)).isEqualTo(1);
        assertThat(RetryTopics.notBefore(headers)).isNull();

        Instant at = Instant.parse("2026-01-31T12:00:02.500Z");
        RetryTopics.addTo(headers, 2, at, "x".repeat(1000), "pushline.push.bulk-1@42");
        RetryTopics.addTo(headers, 3, at.plusSeconds(1), "UNAVAILABLE", RetryTopics.origin(headers));
        assertThat(headers.headers(RetryTopics.ATTEMPT)).hasSize(1);
        assertThat(RetryTopics.attempt(headers)).isEqualTo(3);
        assertThat(RetryTopics.notBefore(headers)).isEqualTo(at.plusSeconds(1));
        assertThat(RetryTopics.origin(headers)).isEqualTo("pushline.push.bulk-1@42");

        headers.remove(RetryTopics.ATTEMPT);
        headers.add(RetryTopics.ATTEMPT, "two".getBytes(StandardCharsets.UTF_8));
        headers.remove(RetryTopics.NOT_BEFORE);
        headers.add(RetryTopics.NOT_BEFORE, "soon".getBytes(StandardCharsets.UTF_8));
        assertThat(RetryTopics.attempt(headers)).isEqualTo(1);
        assertThat(RetryTopics.notBefore(headers)).isNull();

        RecordHeaders longCause = new RecordHeaders();
        RetryTopics.addTo(longCause, 2, at, "x".repeat(1000), "o");
        assertThat(longCause.lastHeader(RetryTopics.CAUSE).value()).hasSize(RetryTopics.MAX_CAUSE_CHARS);
    }
}
