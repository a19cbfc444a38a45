package io.pushline.loadtests.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DedupBenchmarkTest {

    @Test
    void hitsAreReceiptsAndMissesAreNot() {
        DedupBenchmark benchmark = new DedupBenchmark();
        benchmark.size = 1_000;

        benchmark.setUp();
        DedupBenchmark.Cursor cursor = new DedupBenchmark.Cursor();

        assertThat(benchmark.receipts).hasSize(1_000);
        assertThat(benchmark.baseline).isEqualTo(benchmark.receipts);
        for (int i = 0; i < DedupBenchmark.PROBES; i++) {
            assertThat(benchmark.containsHit(cursor)).isTrue();
            assertThat(benchmark.containsMiss(cursor)).isFalse();
            assertThat(benchmark.containsHitBaselineHashSet(cursor)).isTrue();
        }
        assertThat(benchmark.hits[0]).hasSize(36).isNotSameAs(benchmark.receipts.iterator().next());
    }
}
