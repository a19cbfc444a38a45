package io.pushline.workers;

import io.pushline.contracts.Keys;
import org.apache.kafka.clients.consumer.Consumer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What guards a worker's sends, read from Kafka: the receipts of the partitions it owns ({@link ReceiptStore}), and
 * the checks ({@link CompactedKeySet}s): devices unregistered lately, banned profiles and, on the bulk lane, recent
 * unfollows. The {@link Delivery.Facts} the delivery decision asks.
 *
 * <p>The checks fail closed: while one {@linkplain #holding() cannot answer} (not loaded yet, retrying a failure,
 * full, stopped) the worker sends nothing it guards and reports the reason as not ready; once one has
 * {@linkplain #failure() stopped for good} the worker fails. {@link #open} starts them without waiting for them to
 * load; {@link #close} once, after which they cannot answer. Thread-safe.
 */
final class Guards implements Delivery.Facts, AutoCloseable {
    private final String lane;
    private final ReceiptStore receipts;
    private final CompactedKeySet gate;        // unregistered devices; null when the check is off
    private final CompactedKeySet banned;      // banned profiles
    private final CompactedKeySet unfollows;   // recent unfollows; null but on the bulk lane with the check on
    private final List<CompactedKeySet> checks;
    private final Duration lookback;           // of the device and unfollow checks; zero when they are off
    private final Clock clock;
    private final SendChecks sendChecks;       // the process's, or this lane's own
    private final boolean ownsChecks;
    private final Runnable listener = this::signal;
    private final List<CompletableFuture<Void>> waiting = new ArrayList<>();   // guarded by itself

    private Guards(String lane, ReceiptStore receipts, SendChecks sendChecks, boolean ownsChecks, CompactedKeySet gate,
                   CompactedKeySet banned, CompactedKeySet unfollows, Duration lookback, Clock clock) {
        this.lane = lane;
        this.sendChecks = sendChecks;
        this.ownsChecks = ownsChecks;
        this.receipts = receipts;
        this.gate = gate;
        this.banned = banned;
        this.unfollows = unfollows;
        List<CompactedKeySet> all = new ArrayList<>();
        for (CompactedKeySet set : new CompactedKeySet[] {gate, banned, unfollows}) {
            if (set != null) {
                all.add(set);
            }
        }
        this.checks = List.copyOf(all);
        this.lookback = lookback;
        this.clock = clock;
    }

    /**
     * Starts the checks (the device gate and, on the bulk lane, the unfollows unless
     * {@link WorkerConfig#deviceGateLookback()} is zero; the banned profiles always) and the receipts store (on
     * {@code sharedReceipts}, the process's index; null: an index of its own); on failure closes what it started. The
     * checks are {@code sharedChecks}, the process's (started by the first lane to open them), or (null) checks of this
     * lane's own. They load on their own threads: until they have, {@link #holding()} says so.
     *
     * @param keySetConsumers how the checks' consumers are made (tests wrap the real one); only for checks of its own
     * @param transientBound  how long a check's transient failures may last before it stops for good; likewise only for checks of its own
     * @throws IllegalStateException if the receipts topic does not exist within a minute
     */
    static Guards open(WorkerConfig config, Map<String, Object> clientConfig, WorkerMetrics metrics, Clock clock,
                       Function<Map<String, Object>, Consumer<String, byte[]>> keySetConsumers, Duration transientBound,
                       ReceiptIndex sharedReceipts, SendChecks sharedChecks) {
        boolean owns = sharedChecks == null;
        SendChecks checks = owns ? SendChecks.create(List.of(config), clientConfig, clock, keySetConsumers, transientBound) : sharedChecks;
        String lane = config.lane().name().toLowerCase(Locale.ROOT);
        ReceiptStore store;
        try {
            store = ReceiptStore.open(sharedReceipts, config, clientConfig, metrics::receiptsRestored, clock);
        } catch (RuntimeException e) {
            if (owns) {
                checks.close();
            }
            throw e;
        }
        Guards guards = new Guards(lane, store, checks, owns, checks.devices(config), checks.banned(), checks.unfollows(config),
                config.deviceGateLookback(), clock);
        try {
            checks.onAnswering(guards.listener);
            checks.start();
            for (CompactedKeySet check : guards.checks) {
                metrics.checkGauges(check.id(), check::size, check::expired);
            }
            metrics.holdingGauge(() -> guards.holding() == null ? 0 : 1);
            store.start(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            guards.close();
            throw e;
        }
        return guards;
    }

    ReceiptStore receipts() {
        return receipts;
    }

    /**
     * Why the pushes these checks guard must be held now (the first check that cannot answer, and why), or null when
     * every check can answer. For the worker's readiness and its dispatch.
     */
    String holding() {
        for (CompactedKeySet check : checks) {
            String why = check.cannotAnswer();
            if (why != null) {
                return lane + " worker: holding pushes: " + why;
            }
        }
        return null;
    }

    /** Why a check stopped for good (the worker must fail), or null while none has. */
    String failure() {
        for (CompactedKeySet check : checks) {
            String why = check.failure();
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /**
     * Completes once every check can answer (at once if they can now). Completed on a check's follower thread: the
     * caller moves on to its own executor. Fails once {@link #releaseHolds()} is called (the worker stops).
     */
    CompletableFuture<Void> whenAnswering() {
        CompletableFuture<Void> answering = new CompletableFuture<>();
        synchronized (waiting) {
            waiting.add(answering);
        }
        signal();   // after adding it, so that a check that became able to answer meanwhile is not missed
        return answering;
    }

    /**
     * The worker stops: every {@link #whenAnswering()} still waiting fails, so that the records held in flight end
     * unfinished (never committed: the next owner gets them) instead of holding up the drain.
     */
    void releaseHolds() {
        List<CompletableFuture<Void>> held;
        synchronized (waiting) {
            held = new ArrayList<>(waiting);
            waiting.clear();
        }
        held.forEach(f -> f.completeExceptionally(new IllegalStateException("the worker stopped while the push was held: " + holding())));
    }

    private void signal() {
        if (holding() != null) {
            return;
        }
        List<CompletableFuture<Void>> ready;
        synchronized (waiting) {
            ready = new ArrayList<>(waiting);
            waiting.clear();
        }
        ready.forEach(f -> f.complete(null));
    }

    @Override
    public String cannotAnswer() {
        return holding();
    }

    @Override
    public Instant checkedSince() {
        return lookback.isZero() ? null : clock.instant().minus(lookback);
    }

    @Override
    public boolean hasReceipt(String pushId) {
        return receipts.contains(pushId);
    }

    @Override
    public boolean onlyFailedReceipt(String pushId) {
        return receipts.onlyFailed(pushId);
    }

    @Override
    public boolean deviceUnregistered(String userId, String token) {
        return gate != null && gate.isUnregistered(userId, token);
    }

    @Override
    public boolean profileBanned(String profileId) {
        return banned.contains(profileId);
    }

    @Override
    public boolean unfollowedSince(String followerId, String followeeId, Instant since) {
        if (unfollows == null || followerId.indexOf(Keys.SEPARATOR) >= 0 || followeeId.indexOf(Keys.SEPARATOR) >= 0) {
            return false;   // no such edge can be on the follows topic
        }
        Long at = unfollows.time(Keys.compound(followerId, followeeId));
        return at != null && at >= since.toEpochMilli();
    }

    /**
     * Closes the checks if they are this lane's own (they cannot answer from now on; the process's are closed by their
     * maker, after every lane), then the receipts store.
     */
    @Override
    public void close() {
        sendChecks.removeListener(listener);
        if (ownsChecks) {
            sendChecks.close();
        }
        receipts.close();
    }
}
