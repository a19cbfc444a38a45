package io.pushline.push;

import java.util.concurrent.CompletableFuture;

/**
 * Sends pushes to one platform.
 *
 * <p>Implementations are thread-safe and meant to be one per process per platform. They bound
 * the pushes in flight and the pushes waiting for a slot; a push beyond both bounds completes at
 * once with {@link PushOutcome.RetryLater}, so callers should size their own demand to the
 * provider's in-flight limit.
 *
 * <p>Lifecycle: must be {@linkplain #close() closed}. After close (and for pushes still waiting
 * when it is called) {@link #send} answers {@code RetryLater("provider closed")}.
 */
public interface PushProvider extends AutoCloseable {

    Platform platform();

    /**
     * Sends one push. Never blocks the caller. The future completes with the outcome, possibly on
     * a provider I/O thread: do not block in dependent stages (use the {@code *Async} variants).
     * It completes exceptionally only for the unexpected (a bug), never for a provider's answer
     * or a lost connection.
     *
     * @throws IllegalArgumentException if the request is for another platform
     */
    CompletableFuture<PushOutcome> send(PushRequest request);

    /** Stops accepting pushes, waits (bounded) for those in flight, and releases connections and threads. */
    @Override
    void close();
}
