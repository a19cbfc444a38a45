package io.pushline.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LaneGovernorTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final LaneGovernor governor = new LaneGovernor(512, 16, Duration.ofMillis(50), Duration.ofMillis(100), nanos::get);

    private void window() {
        nanos.addAndGet(Duration.ofMillis(100).toNanos());
    }

    @Test
    void fullWidthUntilTheHighLaneIsSlowThenHalvingPerSlowWindowDownToTheMinimum() {
        assertThat(governor.bulkLimit()).isEqualTo(512);
        governor.highLaneWaited(Duration.ofMillis(20));
        window();
        assertThat(governor.bulkLimit()).isEqualTo(512);   // fast answers: no change

        int[] expected = {256, 128, 64, 32, 16, 16};
        for (int e : expected) {
            governor.highLaneWaited(Duration.ofMillis(80));
            window();
            assertThat(governor.bulkLimit()).isEqualTo(e);
        }
    }

    @Test
    void growsBackBySixteenthsWhenTheHighLaneIsFastOrQuiet() {
        governor.highLaneWaited(Duration.ofMillis(200));
        window();
        assertThat(governor.bulkLimit()).isEqualTo(256);
        governor.highLaneWaited(Duration.ofMillis(10));
        window();
        assertThat(governor.bulkLimit()).isEqualTo(288);
        window();   // no high-lane answer at all
        assertThat(governor.bulkLimit()).isEqualTo(320);
        for (int i = 0; i < 20; i++) {
            window();
            governor.bulkLimit();
        }
        assertThat(governor.bulkLimit()).isEqualTo(512);
    }

    @Test
    void oneSlowAnswerInAWindowIsEnoughAndTheWindowIsRevisedOnce() {
        governor.highLaneWaited(Duration.ofMillis(10));
        governor.highLaneWaited(Duration.ofMillis(51));
        governor.highLaneWaited(Duration.ofMillis(10));
        window();
        assertThat(governor.bulkLimit()).isEqualTo(256);
        assertThat(governor.bulkLimit()).isEqualTo(256);   // same window: not halved again
    }

    @Test
    void exportsTheLimitAndRejectsNonsense() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        governor.bindTo(registry);
        assertThat(registry.get(WorkerMetrics.BULK_LIMIT).gauge().value()).isEqualTo(512.0);
        assertThatThrownBy(() -> new LaneGovernor(8, 16, Duration.ofMillis(1), Duration.ofMillis(1), System::nanoTime))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LaneGovernor(8, 1, Duration.ZERO, Duration.ofMillis(1), System::nanoTime))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
