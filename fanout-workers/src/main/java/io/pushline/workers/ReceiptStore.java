package io.pushline.workers;

import io.pushline.contracts.Keys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One lane's view of its process's {@link ReceiptIndex}: the push ids that have a receipt, for the receipts partitions
 * whose numbers the worker owns, restored on assignment and followed afterwards.
 *
 * <p>Receipts are co-partitioned with the push tasks: a receipt is keyed {@code userId|pushId} and written to
 * {@link #partitionOf partitionOf(userId)}, the partition Kafka's default partitioner gives the task's own key
 * ({@code userId}) on a topic of the receipts topic's partition count; the lane topic and its retry topics have that
 * count too, so receipts partition {@code p} holds the receipts of the tasks on partition {@code p} of each of them.
 *
 * <p>The worker says which partition numbers it owns ({@link #track}, on its poll thread). The index restores each
 * number no lane of the process held yet, from the retention boundary to its end offset as of then; only then is the
 * number {@link #isRestored restored}, and the worker keeps every task partition of that number paused until it is
 * (a number the other lane holds already is restored at once). Afterwards the index keeps following it, so receipts
 * written by another member (the owner of a retry partition with the same number, or the previous owner finishing
 * its in-flight pushes) are seen too. A number no lane owns any more is dropped with its receipts. The poll thread
 * never waits for a restore: it keeps polling, with the partitions paused.
 *
 * <p>Lookups ({@link #contains}, {@link #onlyFailed}) answer from every number the process holds, either lane's: a
 * receipt is a receipt. {@link #size()} counts the receipts of this lane's numbers (the lanes' counts overlap).
 *
 * <p>Keys written by the previous version (a bare {@code pushId}, no {@code |}) count as well: the key's shape decides,
 * the value is never decoded. Such a receipt sits on the partition of its push id, not of its user, so it is only seen
 * by the owner of that partition number (see the class notes in {@link PushWorker}).
 *
 * <p>If the index's thread fails, {@link #failure()} says so and the worker stops rather than send without a receipt
 * check. Thread-safe; {@link #start} once, {@link #close} once (which closes the index too if this view made it).
 */
final class ReceiptStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReceiptStore.class);
    static final String STATUS_HEADER = PushWorker.RECEIPT_STATUS_HEADER;

    private final ReceiptIndex index;
    private final String label;
    private final boolean first;
    private final Consumer<Duration> restoreTimer;
    private final boolean ownsIndex;
    private volatile Set<Integer> wanted = Set.of();
    // guarded by this: numbers asked for and not restored yet, since when
    private final Set<Integer> pending = new TreeSet<>();
    private long pendingSince;

    /**
     * @param label        for log lines (the lane)
     * @param first        whether this lane's numbers are restored before the others' (the high lane)
     * @param restoreTimer told how long each restore took (from the assignment of new numbers to their being restored)
     * @param ownsIndex    whether closing this view closes the index (a worker without a shared index)
     */
    ReceiptStore(ReceiptIndex index, String label, boolean first, Consumer<Duration> restoreTimer, boolean ownsIndex) {
        this.index = index;
        this.label = label;
        this.first = first;
        this.restoreTimer = restoreTimer;
        this.ownsIndex = ownsIndex;
    }

    /**
     * The receipts view of {@code lane}'s worker: on {@code shared}, the index of its process, or (null) on an index of
     * its own, with retention {@link ReceiptsConfig#forLanes} of the default TTL and this lane, closed with the view.
     */
    static ReceiptStore open(ReceiptIndex shared, WorkerConfig lane, Map<String, Object> clientConfig,
                             Consumer<Duration> restoreTimer, Clock clock) {
        if (shared != null) {
            return shared.attach(lane, restoreTimer, false);
        }
        String name = "pushline-receipts-" + lane.lane().name().toLowerCase(java.util.Locale.ROOT);
        ReceiptIndex own = new ReceiptIndex(ReceiptsConfig.forLanes(ReceiptsConfig.DEFAULT_MAX_TASK_TTL, lane), clientConfig,
                io.pushline.contracts.Topics.PUSH_RECEIPTS, name, clock);
        return own.attach(lane, restoreTimer, true);
    }

    /**
     * The receipts partition of {@code userId}'s pushes: the partition Kafka's default partitioner picks for the
     * String key {@code userId} on a topic of {@code partitions} partitions ({@code toPositive(murmur2(UTF-8)) % n}).
     */
    static int partitionOf(String userId, int partitions) {
        return Keys.partitionFor(userId, partitions);
    }

    /** The push id a receipts key names: the part after {@code |} of {@code userId|pushId}, or an old bare push id. */
    static String pushIdOf(String key) {
        if (key == null) {
            return null;
        }
        return key.indexOf(Keys.SEPARATOR) >= 0 ? Keys.second(key) : key;
    }

    /**
     * Starts the index if no lane has yet (looks up the receipts topic, starts the follower thread).
     *
     * @throws IllegalStateException if the receipts topic does not exist within {@code timeout}
     */
    void start(Duration timeout) {
        index.start(timeout);
    }

    /** Partition count of the receipts topic. */
    int partitions() {
        return index.partitions();
    }

    /**
     * The partition numbers the worker owns now (across its lane and retry topics). Numbers no lane of the process held
     * are restored; numbers no lane owns any more are dropped with their receipts. Cheap when nothing changed.
     */
    void track(Set<Integer> numbers) {
        if (numbers.equals(wanted)) {
            return;
        }
        synchronized (index.lock) {
            Set<Integer> added = new HashSet<>(numbers);
            added.removeAll(wanted);
            wanted = Set.copyOf(numbers);
            synchronized (this) {
                pending.retainAll(wanted);
                if (pending.isEmpty()) {
                    pendingSince = System.nanoTime();
                }
                pending.addAll(added);
            }
            index.lock.notifyAll();
        }
        index.wakeup();   // out of a poll of the old assignment, at once
    }

    Set<Integer> wanted() {
        return wanted;
    }

    boolean first() {
        return first;
    }

    /**
     * Whether the receipts of partition {@code number} are restored for this lane: its tasks may be processed. Only a
     * number this lane {@linkplain #track tracks}: another lane's could be dropped at any moment.
     */
    boolean isRestored(int number) {
        return wanted.contains(number) && index.isRestored(number);
    }

    /** Whether {@code pushId} has a receipt on a partition number this process holds. */
    boolean contains(String pushId) {
        return index.contains(pushId);
    }

    /**
     * Whether the latest receipt of {@code pushId} says FAILED (the worker gave up on it), so that a replay of its dead
     * letter may send it after all. Receipts written before the status header existed never count as FAILED.
     */
    boolean onlyFailed(String pushId) {
        return index.onlyFailed(pushId);
    }

    /** A receipt this worker wrote (acknowledged), seen before the follower reads it back; ignored if not held. */
    void add(int number, String pushId, boolean failed) {
        index.add(number, pushId, failed);
    }

    /** Receipts held of this lane's numbers. */
    long size() {
        return index.size(wanted);
    }

    /** This lane's numbers whose receipts are held (being restored or restored). */
    Set<Integer> heldPartitions() {
        Set<Integer> held = new HashSet<>(index.heldNumbers());
        held.retainAll(wanted);
        return Set.copyOf(held);
    }

    /** Why the index's follower stopped, if it failed; null while it is healthy. */
    RuntimeException failure() {
        return index.failure();
    }

    /** The index this view reads; for tests. */
    ReceiptIndex index() {
        return index;
    }

    /** Called by the index's thread after each round: reports a restore of this lane's new numbers once it is done. */
    void progress() {
        Duration took;
        Set<Integer> done;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            Set<Integer> now = wanted;
            pending.removeIf(n -> !now.contains(n));
            if (pending.isEmpty() || !pending.stream().allMatch(index::isRestored)) {
                return;
            }
            done = new TreeSet<>(pending);
            pending.clear();
            took = Duration.ofNanos(System.nanoTime() - pendingSince);
        }
        restoreTimer.accept(took);
        log.info("{} lane: receipts of partitions {} restored in {} ms; holding {} receipts of {}", label, done,
                took.toMillis(), size(), new TreeSet<>(wanted));
    }

    /** This lane owns no numbers any more; closes the index too if it is this view's own. */
    @Override
    public void close() {
        synchronized (this) {
            pending.clear();
        }
        wanted = Set.of();
        index.detach(this);
        if (ownsIndex) {
            index.close();
        }
    }
}
