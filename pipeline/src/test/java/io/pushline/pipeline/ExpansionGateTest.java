package io.pushline.pipeline;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpansionGateTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ExpansionGate gate = new ExpansionGate(() -> {
        reads.incrementAndGet();
        return lag.get();
    }, 100, registry, now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void closesAboveTheBoundAndOpensBelowIt() {
        lag.set(150);
        assertThat(gate.check()).isTrue();
        assertThat(gate.getAsBoolean()).isFalse();
        assertThat(registry.get(ExpansionGate.BACKLOG).gauge().value()).isEqualTo(150);
        assertThat(registry.get(ExpansionGate.HELD).gauge().value()).isEqualTo(1);
        lag.set(99);
        gate.check();
        assertThat(gate.getAsBoolean()).isTrue();
    }

    @Test
    void anIdlePipelineIsNotRead() {
        gate.check();
        assertThat(reads.get()).as("read at start").isEqualTo(1);
        advance(ExpansionGate.IDLE_AFTER.plusSeconds(1));
        assertThat(gate.check()).as("no expansion asked for 6 s and no backlog: nothing to gate").isFalse();
        assertThat(gate.check()).isFalse();
        assertThat(reads.get()).isEqualTo(1);

        assertThat(gate.getAsBoolean()).as("a job's first page after the quiet spell: the last reading, no backlog").isTrue();
        assertThat(gate.check()).isTrue();
        assertThat(reads.get()).isEqualTo(2);
    }

    @Test
    void aBacklogIsFollowedDownToZeroEvenWhenNoExpansionAsks() {
        lag.set(50);
        gate.check();
        advance(ExpansionGate.IDLE_AFTER.plusSeconds(10));
        assertThat(gate.check()).as("delivery still draining what the last job expanded").isTrue();
        lag.set(0);
        assertThat(gate.check()).isTrue();
        assertThat(registry.get(ExpansionGate.BACKLOG).gauge().value()).isZero();
        assertThat(gate.check()).as("drained, and no one asks").isFalse();
    }

    @Test
    void anUnreadableLagOpensTheGate() {
        ExpansionGate failing = new ExpansionGate(() -> {
            throw new IllegalStateException("broker away");
        }, 100, new SimpleMeterRegistry(), now::get);
        assertThat(failing.check()).isTrue();
        assertThat(failing.getAsBoolean()).isTrue();
        assertThatThrownBy(() -> new ExpansionGate(() -> 0, 0, new SimpleMeterRegistry(), now::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAhead must be >= 1, was 0");
    }
}
