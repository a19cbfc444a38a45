package io.pushline.push;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Collects items into batches of at most {@code maxBatchSize} and hands each batch to
 * {@code sendEach} when it is full or when {@code linger} has passed since its first item,
 * whichever comes first. At most {@code maxBatchesInFlight} batches are sent at once; further
 * cut batches wait (in order) for one to finish. Never blocks the caller.
 *
 * <p>Each item's future completes with the element of the batch result at the item's index, or
 * exceptionally with the batch's failure when the whole batch call failed, or with
 * {@link ClosedException} when the batcher was closed before the item was sent.
 *
 * <p>Thread-safe. The linger timer runs on the given scheduler, which the caller owns.
 */
final class FcmBatcher<M, R> {

    /** Completes items that were never sent because the batcher was closed. */
    static final class ClosedException extends RuntimeException {
        ClosedException() {
            super("batcher closed", null, false, false);
        }
    }

    private final int maxBatchSize;
    private final Duration linger;
    private final int maxBatchesInFlight;
    private final ScheduledExecutorService scheduler;
    private final Function<List<M>, CompletableFuture<List<R>>> sendEach;
    private final IntConsumer onBatchSent;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<List<Item<M, R>>> ready = new ArrayDeque<>();
    private final AtomicLong batchesSent = new AtomicLong();
    private List<Item<M, R>> current = new ArrayList<>();
    private long generation;
    private ScheduledFuture<?> lingerTimer;
    private int batchesInFlight;
    private int maxBatchesInFlightSeen;
    private boolean closed;

    /**
     * @param sendEach    sends one batch; its result list must have one element per item, in order
     * @param onBatchSent called with the size of each batch just before it is sent
     */
    FcmBatcher(int maxBatchSize, Duration linger, int maxBatchesInFlight, ScheduledExecutorService scheduler,
               Function<List<M>, CompletableFuture<List<R>>> sendEach, IntConsumer onBatchSent) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1, was " + maxBatchSize);
        }
        if (linger == null || linger.isNegative()) {
            throw new IllegalArgumentException("batchLinger must be >= 0, was " + linger);
        }
        if (maxBatchesInFlight < 1) {
            throw new IllegalArgumentException("maxBatchesInFlight must be >= 1, was " + maxBatchesInFlight);
        }
        this.maxBatchSize = maxBatchSize;
        this.linger = linger;
        this.maxBatchesInFlight = maxBatchesInFlight;
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.sendEach = Objects.requireNonNull(sendEach, "sendEach");
        this.onBatchSent = Objects.requireNonNull(onBatchSent, "onBatchSent");
    }

    CompletableFuture<R> add(M message) {
        Item<M, R> item = new Item<>(message);
        List<List<Item<M, R>>> toSend;
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new ClosedException());
            }
            current.add(item);
            if (current.size() >= maxBatchSize || linger.isZero()) {
                cut();
            } else if (current.size() == 1) {
                long batch = generation;
                lingerTimer = scheduler.schedule(() -> lingerExpired(batch), linger.toNanos(), TimeUnit.NANOSECONDS);
            }
            toSend = takeSendable();
        } finally {
            lock.unlock();
        }
        toSend.forEach(this::send);
        return item.result;
    }

    /** Batches handed to {@code sendEach} so far. */
    long batchesSent() {
        return batchesSent.get();
    }

    /** The most batches that were in flight at once. */
    int maxBatchesInFlightSeen() {
        lock.lock();
        try {
            return maxBatchesInFlightSeen;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new items and fails every item not yet sent with {@link ClosedException}; batches in flight finish normally. */
    void close() {
        List<Item<M, R>> dropped = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            cancelTimer();
            dropped.addAll(current);
            current = new ArrayList<>();
            ready.forEach(dropped::addAll);
            ready.clear();
        } finally {
            lock.unlock();
        }
        dropped.forEach(item -> item.result.completeExceptionally(new ClosedException()));
    }

    private void lingerExpired(long batch) {
        List<List<Item<M, R>>> toSend;
        lock.lock();
        try {
            if (closed || batch != generation || current.isEmpty()) {
                return;
            }
            lingerTimer = null;
            cut();
            toSend = takeSendable();
        } finally {
            lock.unlock();
        }
        toSend.forEach(this::send);
    }

    /** Under the lock: the current batch is complete. */
    private void cut() {
        cancelTimer();
        ready.addLast(current);
        current = new ArrayList<>();
        generation++;
    }

    private void cancelTimer() {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
            lingerTimer = null;
        }
    }

    /** Under the lock: the ready batches that may go now, counted as in flight. */
    private List<List<Item<M, R>>> takeSendable() {
        List<List<Item<M, R>>> toSend = new ArrayList<>();
        while (batchesInFlight < maxBatchesInFlight && !ready.isEmpty()) {
            toSend.add(ready.pollFirst());
            batchesInFlight++;
        }
        maxBatchesInFlightSeen = Math.max(maxBatchesInFlightSeen, batchesInFlight);
        return toSend;
    }

    private void send(List<Item<M, R>> batch) {
        batchesSent.incrementAndGet();
        List<M> messages = new ArrayList<>(batch.size());
        batch.forEach(item -> messages.add(item.message));
        CompletableFuture<List<R>> sent;
        try {
            onBatchSent.accept(batch.size());
            sent = Objects.requireNonNull(sendEach.apply(messages), "sendEach returned null");
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((results, failure) -> {
            try {
                complete(batch, results, failure);
            } finally {
                finished();
            }
        });
    }

    private static <M, R> void complete(List<Item<M, R>> batch, List<R> results, Throwable failure) {
        if (failure == null && (results == null || results.size() != batch.size())) {
            failure = new IllegalStateException("batch of " + batch.size() + " answered with "
                    + (results == null ? "null" : results.size() + " results"));
        }
        for (int i = 0; i < batch.size(); i++) {
            if (failure != null) {
                batch.get(i).result.completeExceptionally(failure);
            } else {
                batch.get(i).result.complete(results.get(i));
            }
        }
    }

    private void finished() {
        List<List<Item<M, R>>> toSend;
        lock.lock();
        try {
            batchesInFlight--;
            toSend = takeSendable();
        } finally {
            lock.unlock();
        }
        toSend.forEach(this::send);
    }

    private static final class Item<M, R> {
        final M message;
        final CompletableFuture<R> result = new CompletableFuture<>();

        Item(M message) {
            this.message = message;
        }
    }
}
