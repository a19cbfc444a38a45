package io.pushline.push;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Bounds how many asynchronous calls run at once without ever blocking the caller: a call starts
 * at once if fewer than {@code maxInFlight} run, waits in a FIFO queue of at most
 * {@code maxQueued} otherwise, and is refused (the caller answers for it) when both are full.
 * A finishing call starts the next queued one. Thread-safe.
 */
final class InFlightLimiter {

    /** Why a call was not started. */
    enum Refusal { SATURATED, CLOSED }

    private final int maxInFlight;
    private final int maxQueued;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>();
    private int inFlight;
    private boolean closed;

    InFlightLimiter(int maxInFlight, int maxQueued) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("maxQueued must be >= 0, was " + maxQueued);
        }
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
    }

    /**
     * Runs {@code call} now or later, or not at all.
     *
     * @param call    starts the work; its future must complete eventually (the slot is held until then)
     * @param refused the result when the call is refused, or dropped from the queue by {@link #close()}
     */
    <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> call, Function<Refusal, T> refused) {
        Pending<T> pending = new Pending<>(call, refused);
        boolean startNow;
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.completedFuture(refused.apply(Refusal.CLOSED));
            }
            if (inFlight < maxInFlight) {
                inFlight++;
                startNow = true;
            } else if (queue.size() < maxQueued) {
                queue.addLast(pending);
                startNow = false;
            } else {
                return CompletableFuture.completedFuture(refused.apply(Refusal.SATURATED));
            }
        } finally {
            lock.unlock();
        }
        if (startNow) {
            runFrom(pending);
        }
        return pending.result;
    }

    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    int maxInFlight() {
        return maxInFlight;
    }

    /** Refuses new calls and completes every queued one as {@link Refusal#CLOSED}; running calls finish normally. */
    void close() {
        List<Pending<?>> dropped;
        lock.lock();
        try {
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        dropped.forEach(Pending::refuseClosed);
    }

    /**
     * Starts {@code first}, then keeps starting queued calls for as long as each one completes
     * synchronously; iterating instead of recursing keeps the stack flat when many calls finish at
     * once (e.g. all failing fast on a closed connection). A finished call's slot is released (or
     * handed on) before its caller sees the result, so a caller that sends again from the result
     * finds the slot free.
     */
    private void runFrom(Pending<?> first) {
        Pending<?> current = first;
        while (current != null) {
            Pending<?> started = current;
            CompletableFuture<?> running = started.start();
            if (!running.isDone()) {
                running.whenComplete((ignored, error) -> {
                    Pending<?> next = releaseAndPollNext();
                    started.forward();
                    runFrom(next);
                });
                return;
            }
            current = releaseAndPollNext();
            started.forward();
        }
    }

    /** Hands the finished call's slot to the next queued call, or frees it. */
    private Pending<?> releaseAndPollNext() {
        lock.lock();
        try {
            Pending<?> next = queue.pollFirst();
            if (next == null) {
                inFlight--;
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    private static final class Pending<T> {
        private final Supplier<CompletableFuture<T>> call;
        private final Function<Refusal, T> refused;
        private final CompletableFuture<T> result = new CompletableFuture<>();
        private CompletableFuture<T> running;

        Pending(Supplier<CompletableFuture<T>> call, Function<Refusal, T> refused) {
            this.call = call;
            this.refused = refused;
        }

        /** Starts the call; returns the call's own future. */
        CompletableFuture<T> start() {
            try {
                running = Objects.requireNonNull(call.get(), "call returned null");
            } catch (RuntimeException | Error e) {
                running = CompletableFuture.failedFuture(e);
            }
            return running;
        }

        /** Completes the caller's future from the finished call. */
        void forward() {
            running.whenComplete((value, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(value);
                }
            });
        }

        void refuseClosed() {
            try {
                result.complete(refused.apply(Refusal.CLOSED));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }
}
