package io.pushline.loadtests.jmh;

import io.pushline.contracts.PushIds;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worker's receipt check: is there already a receipt for this push id? Every push task pays one lookup
 * before it is sent.
 *
 * <p>{@code io.pushline.workers.ReceiptStore} is package-private, so this benchmarks the structure it is built on,
 * directly: per owned partition, a {@code ConcurrentHashMap.newKeySet()} of push ids ({@link PushIds#pushId}, 36-character UUID
 * strings) and its {@code contains}. Keep the two in step if ReceiptStore changes structure.
 *
 * <p>Probes are 65,536 ids in random order, so lookups spread over the whole table (cache misses included, as in
 * a worker). They are separate String instances with their own arrays, so {@code equals} compares characters;
 * their hash codes are cached after the first pass, while a worker hashes each decoded id once more (about 20 ns
 * for 36 characters).
 *
 * <p>Baseline, in the same run: the same hits in a plain {@link HashSet}, the single-threaded structure with no
 * concurrency support at all.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class DedupBenchmark {
    static final int PROBES = 1 << 16;

    /** Receipts held: a worker instance's share of a large fanout. */
    @Param({"100000", "1000000"})
    public int size;

    Set<String> receipts;
    Set<String> baseline;
    String[] hits;
    String[] misses;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        String[] ids = new String[size];
        receipts = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < size; i++) {
            ids[i] = PushIds.pushId("urn:pushline:test", "event-" + i, token(random));
            receipts.add(ids[i]);
        }
        baseline = new HashSet<>(receipts);
        hits = new String[PROBES];
        misses = new String[PROBES];
        for (int i = 0; i < PROBES; i++) {
            hits[i] = new String(ids[random.nextInt(size)].toCharArray());
            misses[i] = PushIds.pushId("urn:pushline:test", "never-sent-" + i, token(random));
        }
    }

    private static String token(Random random) {
        return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    }

    /** Where each benchmark thread is in the probe arrays. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next;

        int next() {
            next = (next + 1) & (PROBES - 1);
            return next;
        }
    }

    @Benchmark
    public boolean containsHit(Cursor cursor) {
        return receipts.contains(hits[cursor.next()]);
    }

    @Benchmark
    public boolean containsMiss(Cursor cursor) {
        return receipts.contains(misses[cursor.next()]);
    }

    @Benchmark
    public boolean containsHitBaselineHashSet(Cursor cursor) {
        return baseline.contains(hits[cursor.next()]);
    }
}
