package io.pushline.loadtests.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class RecordingTest {

    @Test
    void samplesAreKeptInOrderWithTheirLanesInOrderAndCopied() {
        Recording recording = new Recording();
        Map<String, Long> lag = new LinkedHashMap<>();
        lag.put("high", 1L);
        lag.put("bulk", 20L);
        lag.put("topology", 300L);

        recording.sample(0.5, 10, lag, 100.0, 40.0);
        lag.put("high", 999L);
        recording.sample(1.0, 25, lag, 150.0, 45.0);

        List<Recording.Sample> samples = recording.samples();
        assertThat(samples).extracting(Recording.Sample::completed).containsExactly(10L, 25L);
        assertThat(samples.get(0).lagByLane()).containsExactly(Map.entry("high", 1L), Map.entry("bulk", 20L),
                Map.entry("topology", 300L));
        assertThatThrownBy(() -> samples.add(samples.get(0))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> samples.get(0).lagByLane().put("x", 1L))
                .isInstanceOf(UnsupportedOperationException.class);

        recording.sample(1.5, 30, Map.of(), 90.0, 42.0);
        assertThat(samples).hasSize(2);
        assertThat(recording.samples()).hasSize(3);
    }

    @Test
    void peakHeapAfterGcIsTheHighestSampled() {
        Recording recording = new Recording();
        assertThat(recording.peakHeapAfterGcMb()).isZero();

        recording.sample(0, 0, Map.of(), 500, 120);
        recording.sample(1, 0, Map.of(), 900, 310);
        recording.sample(2, 0, Map.of(), 200, 150);

        assertThat(recording.peakHeapAfterGcMb()).isEqualTo(310);
    }

    @Test
    void latencyCopiesAreSnapshots() {
        Recording recording = new Recording();
        recording.recordLatencyMicros(100);
        recording.recordLatencyMicros(200);

        Histogram first = recording.latencyMicros();
        recording.recordLatencyMicros(300);
        first.recordValue(5_000_000);

        assertThat(first.getTotalCount()).isEqualTo(3);
        Histogram second = recording.latencyMicros();
        assertThat(second.getTotalCount()).isEqualTo(3);
        assertThat(second.getMaxValue()).isEqualTo(300);
    }

    @Test
    void latencyIsRecordedFromManyThreadsWithoutLoss() throws Exception {
        Recording recording = new Recording();
        int threads = 4;
        int perThread = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        recording.recordLatencyMicros(1 + i % 5_000);
                        if (i % 10_000 == 0) {
                            recording.latencyMicros(); // readers alongside the writers
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }

        assertThat(recording.latencyMicros().getTotalCount()).isEqualTo((long) threads * perThread);
    }

    @Test
    void rejectsNegativeLatencyAndNullLanes() {
        Recording recording = new Recording();

        assertThatThrownBy(() -> recording.recordLatencyMicros(-5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("micros must be >= 0 but was -5");
        Map<String, Long> withNull = new LinkedHashMap<>();
        withNull.put("bulk", null);
        assertThatThrownBy(() -> recording.sample(0, 0, withNull, 1, 1))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("bulk");
    }
}
