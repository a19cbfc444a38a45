package io.pushline.workers;

import io.pushline.contracts.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What guards a worker's sends, read from Kafka: the receipts of the partitions it owns ({@link ReceiptStore}), the
 * devices unregistered lately and the banned profiles ({@link CompactedKeySet}s). The {@link Delivery.Facts} the
 * delivery decision asks.
 *
 * <p>{@link #open} starts them and waits (bounded) until the key sets have caught up, so nothing slips through at
 * start; {@link #close} once. After close the key sets answer "no" (the checks are off) while the receipts still
 * answer from what they held, as before the split. Thread-safe queries.
 */
final class Guards implements Delivery.Facts, AutoCloseable {
    // The worker's logger: these lines were the worker's, and filters set on its name still apply to them.
    private static final Logger log = LoggerFactory.getLogger(PushWorker.class);
    /** Unregistered devices (and banned profiles) remembered at most (about 100 bytes each). */
    static final int DEVICE_GATE_MAX_ENTRIES = 1_000_000;
    private static final Duration CATCH_UP = Duration.ofMinutes(2);

    private final ReceiptStore receipts;
    private volatile CompactedKeySet gate;     // unregistered devices; null when the check is off
    private volatile CompactedKeySet banned;   // banned profiles

    private Guards(ReceiptStore receipts, CompactedKeySet gate, CompactedKeySet banned) {
        this.receipts = receipts;
        this.gate = gate;
        this.banned = banned;
    }

    /**
     * Starts the device gate (unless {@link WorkerConfig#deviceGateLookback()} is zero), the banned profiles and the
     * receipts store (on {@code sharedReceipts}, the process's index; null: an index of its own), in that order; on
     * failure closes what it started.
     *
     * @throws IllegalStateException if interrupted, or if the receipts topic does not exist within a minute
     */
    static Guards open(WorkerConfig config, Map<String, Object> clientConfig, WorkerMetrics metrics, Clock clock,
                       ReceiptIndex sharedReceipts) {
        CompactedKeySet gate = null;
        if (!config.deviceGateLookback().isZero()) {
            gate = caughtUp(CompactedKeySet.devices(clientConfig, config.deviceGateLookback(), DEVICE_GATE_MAX_ENTRIES, clock),
                    config, "the device gate did not catch up", null);
        }
        CompactedKeySet banned = caughtUp(CompactedKeySet.bannedProfiles(clientConfig, DEVICE_GATE_MAX_ENTRIES, clock),
                config, "the banned profiles were not read", gate);
        ReceiptStore store = ReceiptStore.open(sharedReceipts, config, clientConfig, metrics::receiptsRestored, clock);
        Guards guards = new Guards(store, gate, banned);
        try {
            store.start(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            guards.close();
            throw e;
        }
        return guards;
    }

    private static CompactedKeySet caughtUp(CompactedKeySet set, WorkerConfig config, String slow, CompactedKeySet opened) {
        set.start();
        try {
            if (!set.awaitCaughtUp(CATCH_UP)) {
                log.warn("{} lane: {} within 2 minutes; starting anyway", config.lane(), slow);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            set.close();
            if (opened != null) {
                opened.close();
            }
            throw new IllegalStateException("interrupted while starting", e);
        }
        return set;
    }

    ReceiptStore receipts() {
        return receipts;
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
        CompactedKeySet devices = gate;
        return devices != null && devices.isUnregistered(userId, token);
    }

    @Override
    public boolean profileBanned(String profileId) {
        CompactedKeySet bans = banned;
        return bans != null && bans.contains(profileId);
    }

    /** Closes the key sets (their checks are off from now on), then the receipts store. */
    @Override
    public void close() {
        for (CompactedKeySet set : new CompactedKeySet[] {gate, banned}) {
            if (set != null) {
                set.close();
            }
        }
        gate = null;
        banned = null;
        receipts.close();
    }
}
