package io.pushline.pipeline;

import io.pushline.testkit.MutableClock;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every outcome of the stream-thread replacement decision, on an injected clock. */
class ThreadReplacementsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-31T12:00:00Z"));
    private final ThreadReplacements replacements = new ThreadReplacements(3, Duration.ofMinutes(10), clock);
    private final StreamsException transientFailure = new StreamsException(new TimeoutException("broker stalled"));

    @Test
    void aFailureIsReplacedWhileWithinTheBound() {
        for (int n = 1; n <= 3; n++) {
            assertThat(replacements.failed(transientFailure)).isEqualTo(new ThreadReplacements.Replace(n));
            clock.advance(Duration.ofMinutes(1));
        }
    }

    @Test
    void oneFailureMoreThanTheBoundWithinTheWindowShutsDownAndSaysWhyOnce() {
        for (int n = 1; n <= 3; n++) {
            assertThat(replacements.failed(transientFailure)).isInstanceOf(ThreadReplacements.Replace.class);
        }
        ThreadReplacements.Decision fourth = replacements.failed(new IllegalStateException("poison"));

        assertThat(fourth).isInstanceOfSatisfying(ThreadReplacements.ShutDown.class, s -> {
            assertThat(s.first()).isTrue();
            assertThat(s.reason()).isEqualTo("3 stream threads replaced within PT10M and this one failed too "
                    + "(IllegalStateException: poison): it fails the same way every time");
        });
        // Another thread dying meanwhile (or later) shuts down too, without a second log line.
        assertThat(replacements.failed(transientFailure)).isInstanceOfSatisfying(ThreadReplacements.ShutDown.class,
                s -> assertThat(s.first()).isFalse());
        clock.advance(Duration.ofHours(1));
        assertThat(replacements.failed(transientFailure)).isInstanceOfSatisfying(ThreadReplacements.ShutDown.class,
                s -> assertThat(s.first()).isFalse());
    }

    @Test
    void failuresOlderThanTheWindowNoLongerCount() {
        for (int n = 1; n <= 3; n++) {
            replacements.failed(transientFailure);
            clock.advance(Duration.ofMinutes(4));
        }
        // Now at +12 min: the first failure (at +0) has left the window, the ones at +4 and +8 have not.
        assertThat(replacements.failed(transientFailure)).isEqualTo(new ThreadReplacements.Replace(3));
        // The window is half-open: a failure exactly one window old no longer counts.
        clock.advance(Duration.ofMinutes(4));   // +16: +4 is 12 min old, +8 is 8, +12 is 4
        assertThat(replacements.failed(transientFailure)).isEqualTo(new ThreadReplacements.Replace(3));
    }

    @Test
    void whatNoNewThreadCanFixShutsDownAtOnce() {
        assertThat(replacements.failed(new StreamsException(new OutOfMemoryError("Java heap space"))))
                .isEqualTo(new ThreadReplacements.ShutDown("a JVM error (OutOfMemoryError: Java heap space)", true));

        ThreadReplacements other = new ThreadReplacements(3, Duration.ofMinutes(10), clock);
        assertThat(other.failed(new StreamsException(new TopicAuthorizationException(Set.of("pushline.events")))))
                .isInstanceOfSatisfying(ThreadReplacements.ShutDown.class, s -> {
                    assertThat(s.first()).isTrue();
                    assertThat(s.reason()).startsWith("the cluster refuses this application (TopicAuthorizationException");
                });
    }

    @Test
    void aBoundOfZeroNeverReplaces() {
        ThreadReplacements none = new ThreadReplacements(0, Duration.ofMinutes(10), clock);
        assertThat(none.failed(transientFailure)).isInstanceOf(ThreadReplacements.ShutDown.class);
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> new ThreadReplacements(-1, Duration.ofMinutes(10), clock))
                .hasMessage("maxReplacements must be >= 0, was -1");
        assertThatThrownBy(() -> new ThreadReplacements(5, Duration.ZERO, clock)).hasMessage("window must be positive, was PT0S");
    }

    @Test
    void theHandlerAnswersReplaceThenShutdownClient() {
        var handler = Pipeline.uncaughtHandler("the test app", new ThreadReplacements(1, Duration.ofMinutes(10), clock));
        assertThat(handler.handle(transientFailure)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(handler.handle(transientFailure)).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }
}
