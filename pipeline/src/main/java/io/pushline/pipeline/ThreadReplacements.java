package io.pushline.pipeline;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Decides what a Kafka Streams application does when one of its stream threads dies: replace the thread, or shut the
 * client down so that {@link Pipeline#fatal()} reports it and the process exits for its supervisor. No I/O; time comes
 * from an injected clock.
 *
 * <p>Replacing is right for what a new thread can outlive: a broker that timed out or failed over, a fenced producer,
 * a one-off bug. It is wrong for what fails the same way every time (a record that kills every thread that reads it, a
 * punctuator that always throws, a corrupt state directory): replaced forever, that is a hot loop which never ends and
 * which no health check sees. So replacements are bounded: more than {@code maxReplacements} within {@code window} and
 * the client shuts down. Errors no new thread can fix shut it down at once: a JVM {@link Error} (out of memory), and
 * the cluster refusing the application's credentials or ACLs.
 *
 * <p>{@code SHUTDOWN_CLIENT}, not {@code SHUTDOWN_APPLICATION}: the cause may be this instance's own (its disk, its
 * memory), and one sick instance must not stop the healthy ones; if it is the data (a poison record), its partition
 * moves to the next instance, which reaches its own bound and exits the same way.
 *
 * <p>Thread-safe: stream threads die concurrently.
 */
final class ThreadReplacements {
    /** Replacements allowed within {@link #DEFAULT_WINDOW}; one more shuts the client down. */
    static final int DEFAULT_MAX_REPLACEMENTS = 5;
    static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);

    /** What to do with the failed thread. */
    sealed interface Decision {
    }

    /** Start a new thread; {@code recent}: replacements within the window, this one included. */
    record Replace(int recent) implements Decision {
    }

    /** Shut the client down, for {@code reason}; {@code first}: this is the first such decision (log it, once). */
    record ShutDown(String reason, boolean first) implements Decision {
    }

    private final int maxReplacements;
    private final Duration window;
    private final Clock clock;
    private final ArrayDeque<Instant> recent = new ArrayDeque<>();
    private boolean shutDown;

    ThreadReplacements(int maxReplacements, Duration window, Clock clock) {
        if (maxReplacements < 0) {
            throw new IllegalArgumentException("maxReplacements must be >= 0, was " + maxReplacements);
        }
        if (window == null || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        this.maxReplacements = maxReplacements;
        this.window = window;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    static ThreadReplacements defaults() {
        return new ThreadReplacements(DEFAULT_MAX_REPLACEMENTS, DEFAULT_WINDOW, Clock.systemUTC());
    }

    /** A stream thread died of {@code error}. */
    synchronized Decision failed(Throwable error) {
        Instant now = clock.instant();
        String unfixable = unfixable(error);
        if (shutDown) {
            return new ShutDown(unfixable != null ? unfixable : "already shutting down", false);
        }
        if (unfixable != null) {
            shutDown = true;
            return new ShutDown(unfixable, true);
        }
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(now.minus(window))) {
            recent.pollFirst();
        }
        if (recent.size() >= maxReplacements) {
            shutDown = true;
            return new ShutDown(recent.size() + " stream threads replaced within " + window + " and this one failed too ("
                    + describe(error) + "): it fails the same way every time", true);
        }
        recent.addLast(now);
        return new Replace(recent.size());
    }

    /** Why no new thread can get past {@code error}, or null if one may. */
    private static String unfixable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Error) {
                return "a JVM error (" + describe(t) + ")";
            }
            if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
                return "the cluster refuses this application (" + describe(t) + ")";
            }
        }
        return null;
    }

    static String describe(Throwable error) {
        return error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
    }
}
