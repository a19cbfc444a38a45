package io.pushline.ingest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DedupWindow} (a ring of hashes and times with an open-addressing index) against the plain model it replaced,
 * a {@link LinkedHashMap} of keys in claim order, over random claims, acknowledgements, failures and time: every claim
 * gets the model's answer, and the sizes agree, through growth, eviction at the size bound, expiry and forgetting.
 */
class DedupWindowTest {

    /** The model: key to its entry, in claim order; an entry is its claim time and whether its send is still out. */
    private static final class Model {
        final long window;
        final int max;
        final LinkedHashMap<String, long[]> entries = new LinkedHashMap<>();   // {at, pending 1/0}

        Model(long window, int max) {
            this.window = window;
            this.max = max;
        }

        /** True if the claim is first; the model's rule for in-flight waits: the claim finds the pending entry. */
        boolean claim(String key, long now, Map<String, Boolean> pendingEvicted) {
            expire(now, pendingEvicted);
            if (entries.containsKey(key) || pendingEvicted.containsKey(key)) {
                return false;
            }
            entries.put(key, new long[]{now, 1});
            if (entries.size() > max) {
                Iterator<Map.Entry<String, long[]>> eldest = entries.entrySet().iterator();
                Map.Entry<String, long[]> e = eldest.next();
                if (e.getValue()[1] == 1) {
                    pendingEvicted.put(e.getKey(), true);   // forgotten, but its send is still out: duplicates still wait for it
                }
                eldest.remove();
            }
            return true;
        }

        void expire(long now, Map<String, Boolean> pendingEvicted) {
            entries.entrySet().removeIf(e -> {
                boolean expired = now - e.getValue()[0] >= window;
                if (expired && e.getValue()[1] == 1) {
                    pendingEvicted.put(e.getKey(), true);
                }
                return expired;
            });
        }
    }

    @Test
    void agreesWithTheModelOverRandomClaimsAcknowledgementsFailuresAndTime() {
        for (int max : new int[]{1, 7, 1000, 3000}) {
            SplittableRandom random = new SplittableRandom(max);
            AtomicLong clock = new AtomicLong(1_000_000_000L);
            long window = 5_000;
            DedupWindow dedup = new DedupWindow(Duration.ofNanos(window), max, clock::get);
            Model model = new Model(window, max);
            Map<String, Boolean> pendingEvicted = new LinkedHashMap<>();
            Map<String, CompletableFuture<Void>> out = new LinkedHashMap<>();
            int keys = max * 3 + 5;
            int firsts = 0;
            for (int step = 0; step < 60_000; step++) {
                int op = random.nextInt(10);
                if (op < 6) {
                    String key = "k" + random.nextInt(keys);
                    boolean expected = model.claim(key, clock.get(), pendingEvicted);
                    DedupWindow.Claim claim = dedup.claim("urn:s", key);
                    assertThat(claim.first()).as("max %d, step %d, claim %s", max, step, key).isEqualTo(expected);
                    if (claim.first()) {
                        out.put(key, claim.outcome());
                        firsts++;
                    } else if (out.containsKey(key)) {
                        assertThat(claim.outcome()).as("waits for the send in flight").isSameAs(out.get(key));
                    } else {
                        assertThat(claim.outcome()).as("an acknowledged duplicate").isCompletedWithValue(null);
                    }
                } else if (op < 9 && !out.isEmpty()) {
                    List<String> pending = new ArrayList<>(out.keySet());
                    String key = pending.get(random.nextInt(pending.size()));
                    CompletableFuture<Void> outcome = out.remove(key);
                    pendingEvicted.remove(key);
                    long[] entry = model.entries.get(key);
                    if (random.nextInt(4) == 0) {
                        outcome.completeExceptionally(new IllegalStateException("broker"));
                        if (entry != null) {
                            model.entries.remove(key);   // a failed send is forgotten
                        }
                    } else {
                        outcome.complete(null);
                        if (entry != null) {
                            entry[1] = 0;
                        }
                    }
                } else {
                    clock.addAndGet(random.nextInt(200));
                }
                if (step % 97 == 0) {
                    model.expire(clock.get(), pendingEvicted);
                    assertThat(dedup.size()).as("max %d, step %d", max, step).isEqualTo(model.entries.size());
                }
            }
            assertThat(firsts).as("first claims with max %d", max).isGreaterThan(1000);
        }
    }

    @Test
    void aFailedSendIsForgottenSoTheRetryIsProduced() {
        AtomicLong clock = new AtomicLong();
        DedupWindow dedup = new DedupWindow(Duration.ofMinutes(10), 100, clock::get);
        DedupWindow.Claim first = dedup.claim("urn:s", "a");
        DedupWindow.Claim concurrent = dedup.claim("urn:s", "a");
        assertThat(concurrent.first()).isFalse();
        assertThat(concurrent.outcome()).isSameAs(first.outcome());
        first.outcome().completeExceptionally(new IllegalStateException("broker"));
        assertThat(dedup.size()).isZero();
        DedupWindow.Claim retry = dedup.claim("urn:s", "a");
        assertThat(retry.first()).isTrue();
        retry.outcome().complete(null);
        assertThat(dedup.claim("urn:s", "a").first()).isFalse();
        assertThat(dedup.claim("urn:t", "a").first()).as("another source").isTrue();
        clock.addAndGet(Duration.ofMinutes(10).toNanos());
        assertThat(dedup.size()).isZero();
        assertThat(dedup.claim("urn:s", "a").first()).as("after the window").isTrue();
    }

    @Test
    void offWhenTheWindowOrTheSizeIsZero() {
        for (DedupWindow off : new DedupWindow[]{new DedupWindow(Duration.ZERO, 100, () -> 0), new DedupWindow(Duration.ofMinutes(1), 0, () -> 0)}) {
            assertThat(off.claim("urn:s", "a").first()).isTrue();
            assertThat(off.claim("urn:s", "a").first()).isTrue();
            assertThat(off.size()).isZero();
        }
    }
}
