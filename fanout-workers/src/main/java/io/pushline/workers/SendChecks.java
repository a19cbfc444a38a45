package io.pushline.workers;

import io.pushline.contracts.Lane;
import org.apache.kafka.clients.consumer.Consumer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The send-time checks of one process ({@link CompactedKeySet}s: unregistered devices, banned profiles, unfollows),
 * shared by its lanes' workers: one follower thread and one consumer per check, whatever the number of lanes, and each
 * key held once. Before, each lane followed its own copies (five followers for two lanes, where three do), which cost
 * fetches at idle and memory for the same keys twice.
 *
 * <p>Which lane asks which check: both lanes the devices and the bans; only the bulk lane the unfollows (a like's push
 * does not depend on a follow). The devices and unfollows checks exist only when a lane's
 * {@link WorkerConfig#deviceGateLookback()} is not zero; the shared sets use the longest lookback and the largest
 * {@link WorkerConfig#keySetMaxEntries()} of the lanes given, so each lane's checks are at least as complete as its
 * own would have been.
 *
 * <p>Lifecycle: made once per process ({@link #create}), handed to each lane's worker; it starts with the first
 * worker that opens it ({@link #start()} runs once) and is {@link #close closed} once, by its maker, after the
 * workers. A worker given none makes its own (tests), which it closes itself. If a check's follower fails for good,
 * every lane it guards holds its pushes and then fails ({@link Guards#failure()}). Thread-safe.
 */
public final class SendChecks implements AutoCloseable {
    private final CompactedKeySet devices;     // null when no lane's lookback is positive
    private final CompactedKeySet banned;
    private final CompactedKeySet unfollows;   // null when no lane's lookback is positive, or no bulk lane
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private boolean started;                   // guarded by this
    private boolean closed;                    // guarded by this

    private SendChecks(CompactedKeySet.Settings settings, Duration lookback, boolean bulk) {
        boolean timed = !lookback.isZero();
        this.devices = timed ? CompactedKeySet.devices(settings, lookback) : null;
        this.banned = CompactedKeySet.bannedProfiles(settings);
        this.unfollows = timed && bulk ? CompactedKeySet.unfollows(settings, lookback) : null;
        for (CompactedKeySet check : all()) {
            check.onAnswering(() -> listeners.forEach(Runnable::run));
        }
    }

    /**
     * The checks of a process whose workers run {@code lanes}; {@code clientConfig} are the Kafka client settings
     * (group settings are ignored: each check reads every partition itself). The caller closes it, after the workers.
     */
    public static SendChecks create(Collection<WorkerConfig> lanes, Map<String, Object> clientConfig) {
        return create(lanes, clientConfig, Clock.systemUTC(), CompactedKeySet.Settings.KAFKA, LoopFaults.DEFAULT_TRANSIENT_BOUND);
    }

    /** As above, with the seams a worker's own checks have: the clock, how consumers are made, the transient bound. */
    static SendChecks create(Collection<WorkerConfig> lanes, Map<String, Object> clientConfig, Clock clock,
                             Function<Map<String, Object>, Consumer<String, byte[]>> consumers, Duration transientBound) {
        if (lanes.isEmpty()) {
            throw new IllegalArgumentException("no lanes: the checks guard some lane's pushes");
        }
        Duration lookback = Duration.ZERO;
        int maxEntries = 1;
        boolean bulk = false;
        for (WorkerConfig lane : lanes) {
            lookback = lane.deviceGateLookback().compareTo(lookback) > 0 ? lane.deviceGateLookback() : lookback;
            maxEntries = Math.max(maxEntries, lane.keySetMaxEntries());
            bulk |= lane.lane() == Lane.BULK;
        }
        return new SendChecks(new CompactedKeySet.Settings(clientConfig, consumers, maxEntries, clock, transientBound), lookback, bulk);
    }

    /** Starts following, once: the first lane to open its guards starts the checks; later calls do nothing. */
    synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the send-time checks were closed");
        }
        if (started) {
            return;
        }
        started = true;
        for (CompactedKeySet check : all()) {
            check.start();
        }
    }

    /** Runs {@code listener} (on a follower thread) whenever a check may have become able to answer again. */
    void onAnswering(Runnable listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Forgets a listener added by {@link #onAnswering} (a lane's guards, closed before the checks). */
    void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /** The devices check for {@code lane}, or null if its lookback is zero (the check is off for it). */
    CompactedKeySet devices(WorkerConfig lane) {
        return lane.deviceGateLookback().isZero() ? null : devices;
    }

    CompactedKeySet banned() {
        return banned;
    }

    /** The unfollows check for {@code lane}: the bulk lane's, unless its lookback is zero; null otherwise. */
    CompactedKeySet unfollows(WorkerConfig lane) {
        return lane.lane() == Lane.BULK && !lane.deviceGateLookback().isZero() ? unfollows : null;
    }

    private List<CompactedKeySet> all() {
        List<CompactedKeySet> all = new ArrayList<>(3);
        for (CompactedKeySet check : new CompactedKeySet[] {devices, banned, unfollows}) {
            if (check != null) {
                all.add(check);
            }
        }
        return all;
    }

    /** Closes every check: they cannot answer from now on. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (CompactedKeySet check : all()) {
            check.close();
        }
    }
}
