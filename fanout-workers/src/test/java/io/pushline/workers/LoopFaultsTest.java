package io.pushline.workers;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The poll loop's transient-or-fatal decision, its backoff, its log throttle and its bound, on a hand-driven clock. */
class LoopFaultsTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final LoopFaults faults = new LoopFaults(Duration.ofMinutes(10), nanos::get);

    private void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    @Test
    void kafkasRetriableErrorsAndRebalanceRefusalsAreTransientTheRestIsNot() {
        assertThat(LoopFaults.isTransient(new TimeoutException("Timeout of 60000ms expired before successfully committing offsets"))).isTrue();
        assertThat(LoopFaults.isTransient(new DisconnectException())).isTrue();
        assertThat(LoopFaults.isTransient(new NotCoordinatorException("moved"))).isTrue();
        assertThat(LoopFaults.isTransient(new CommitFailedException())).isTrue();
        assertThat(LoopFaults.isTransient(new RebalanceInProgressException())).isTrue();
        // How the consumer rethrows what a rebalance listener threw.
        assertThat(LoopFaults.isTransient(new KafkaException("User rebalance callback throws an error", new TimeoutException("t")))).isTrue();

        assertThat(LoopFaults.isTransient(new RuntimeException("boom"))).isFalse();
        assertThat(LoopFaults.isTransient(new IllegalStateException("receipts store stopped", new TimeoutException("t")))).isFalse();
        assertThat(LoopFaults.isTransient(new KafkaException("fatal"))).isFalse();
        assertThat(LoopFaults.isTransient(new KafkaException("wrapped", new RuntimeException("boom")))).isFalse();
        assertThat(LoopFaults.isTransient(new WakeupException())).isFalse();
    }

    @Test
    void aTransientFailureIsRetriedWithABackoffDoublingFrom100msTo5s() {
        int[] expected = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
        for (int i = 0; i < expected.length; i++) {
            LoopFaults.Verdict verdict = faults.failed(new TimeoutException("t"));
            assertThat(verdict).isInstanceOf(LoopFaults.Retry.class);
            LoopFaults.Retry retry = (LoopFaults.Retry) verdict;
            assertThat(retry.backoff()).isEqualTo(Duration.ofMillis(expected[i]));
            assertThat(retry.failures()).isEqualTo(i + 1);
            advance(retry.backoff());
        }
        assertThat(LoopFaults.backoff(10_000)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void anUnexpectedErrorGivesUpAtOnceNamingIt() {
        LoopFaults.Verdict verdict = faults.failed(new IllegalArgumentException("bad"));

        assertThat(verdict).isEqualTo(new LoopFaults.GiveUp("unexpected IllegalArgumentException: bad"));
    }

    @Test
    void transientFailuresAreLoggedAtMostOnceAMinute() {
        assertThat(((LoopFaults.Retry) faults.failed(new TimeoutException("t"))).log()).isTrue();
        advance(Duration.ofSeconds(30));
        assertThat(((LoopFaults.Retry) faults.failed(new TimeoutException("t"))).log()).isFalse();
        advance(Duration.ofSeconds(29));
        assertThat(((LoopFaults.Retry) faults.failed(new TimeoutException("t"))).log()).isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(((LoopFaults.Retry) faults.failed(new TimeoutException("t"))).log()).isTrue();
        // A recovery does not reset the throttle: a flapping broker is still logged once a minute.
        faults.succeeded();
        advance(Duration.ofSeconds(1));
        assertThat(((LoopFaults.Retry) faults.failed(new TimeoutException("t"))).log()).isFalse();
    }

    @Test
    void transientFailuresLastingLongerThanTheBoundGiveUp() {
        assertThat(faults.failed(new TimeoutException("t"))).isInstanceOf(LoopFaults.Retry.class);
        advance(Duration.ofMinutes(10));
        assertThat(faults.failed(new TimeoutException("t"))).isInstanceOf(LoopFaults.Retry.class);
        advance(Duration.ofMillis(1));

        LoopFaults.Verdict verdict = faults.failed(new TimeoutException("commit timed out"));

        assertThat(verdict).isInstanceOf(LoopFaults.GiveUp.class);
        assertThat(((LoopFaults.GiveUp) verdict).reason())
                .startsWith("transient failures for 600 s (more than PT10M), 3 in a row")
                .endsWith("TimeoutException: commit timed out");
    }

    @Test
    void aSuccessEndsTheStreakSoTheBoundAndTheBackoffStartAgain() {
        faults.failed(new TimeoutException("t"));
        faults.failed(new TimeoutException("t"));
        advance(Duration.ofMinutes(9));

        assertThat(faults.succeeded()).isEqualTo(2);
        assertThat(faults.succeeded()).isZero();
        advance(Duration.ofMinutes(9));

        LoopFaults.Verdict verdict = faults.failed(new TimeoutException("t"));
        assertThat(verdict).isInstanceOf(LoopFaults.Retry.class);
        assertThat(((LoopFaults.Retry) verdict).backoff()).isEqualTo(Duration.ofMillis(100));
        advance(Duration.ofMinutes(9));
        assertThat(faults.failed(new TimeoutException("t"))).isInstanceOf(LoopFaults.Retry.class);
    }

    @Test
    void theBoundMustBePositive() {
        assertThatThrownBy(() -> new LoopFaults(Duration.ZERO, nanos::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("transientBound must be positive, was PT0S");
    }

    @Test
    void onlyARecordsOwnFaultIsPoison() {
        assertThat(LoopFaults.isPoison(new IllegalArgumentException("data must not contain the reserved key"))).isTrue();
        assertThat(LoopFaults.isPoison(new org.apache.kafka.common.errors.RecordTooLargeException("too large"))).isTrue();
        assertThat(LoopFaults.isPoison(new org.apache.kafka.common.errors.TimeoutException("expired"))).isFalse();
        assertThat(LoopFaults.isPoison(new java.util.concurrent.TimeoutException("bound passed"))).isFalse();
        assertThat(LoopFaults.isPoison(new org.apache.kafka.common.errors.TopicAuthorizationException("denied"))).isFalse();
        assertThat(LoopFaults.isPoison(new IllegalStateException("wrapped", new org.apache.kafka.common.KafkaException("closed")))).isFalse();
    }

    @Test
    void aPoisonDetailMasksTokensAndCutsTheMessage() {
        String token = "a".repeat(64);
        assertThat(LoopFaults.poisonDetail(new IllegalArgumentException("token was " + token + "\n")))
                .isEqualTo("java.lang.IllegalArgumentException: token was [masked]?");
        assertThat(LoopFaults.poisonDetail(new IllegalStateException("x ".repeat(500))))
                .hasSize("java.lang.IllegalStateException: ".length() + LoopFaults.MAX_MESSAGE_CHARS + 1);
    }
}
