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

    @Test
    void theBoundIsTimeAheadOfTheMeasuredDeliveryRateWithinItsFloorAndCeiling() {
        java.util.concurrent.atomic.AtomicReference<io.pushline.observability.ConsumerLag.Backlog> backlog =
                new java.util.concurrent.atomic.AtomicReference<>(new io.pushline.observability.ConsumerLag.Backlog(3_000, 0));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ExpansionGate timed = new ExpansionGate(backlog::get, new ExpansionGate.Bound(Duration.ofSeconds(2), 1_000, 50_000),
                meters, now::get);
        timed.getAsBoolean();
        timed.check();
        assertThat(timed.getAsBoolean()).as("no rate yet: the floor, 1,000, is below the backlog").isFalse();
        assertThat(meters.get(ExpansionGate.BOUND).gauge().value()).isEqualTo(1_000);

        // Delivery commits 2,000 tasks in half a second: 4,000/s, so two seconds ahead is 8,000.
        advance(Duration.ofMillis(500));
        backlog.set(new io.pushline.observability.ConsumerLag.Backlog(3_000, 2_000));
        timed.check();
        assertThat(meters.get(ExpansionGate.BOUND).gauge().value()).isEqualTo(8_000);
        assertThat(timed.getAsBoolean()).isTrue();

        // Twice as fast for a while: the average follows (half each reading), up to the ceiling's cap.
        for (int i = 0; i < 12; i++) {
            advance(Duration.ofMillis(500));
            backlog.set(new io.pushline.observability.ConsumerLag.Backlog(9_000, backlog.get().committed() + 40_000));
            timed.check();
        }
        assertThat(meters.get(ExpansionGate.BOUND).gauge().value()).as("80,000/s for 2 s is over the ceiling").isEqualTo(50_000);
        assertThat(timed.getAsBoolean()).isTrue();

        // Delivery stops (a provider outage): the bound falls to the floor and the gate closes on the backlog.
        for (int i = 0; i < 30; i++) {
            advance(Duration.ofMillis(500));
            timed.check();
        }
        assertThat(meters.get(ExpansionGate.BOUND).gauge().value()).isEqualTo(1_000);
        assertThat(timed.getAsBoolean()).isFalse();

        // Committed offsets that go back (a group reset) give no rate: the last one stands.
        advance(Duration.ofMillis(500));
        backlog.set(new io.pushline.observability.ConsumerLag.Backlog(500, 0));
        timed.check();
        assertThat(meters.get(ExpansionGate.BOUND).gauge().value()).isEqualTo(1_000);
        assertThat(timed.getAsBoolean()).isTrue();
        assertThatThrownBy(() -> new ExpansionGate.Bound(Duration.ofSeconds(1), 10, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pagesExpandedSinceTheLastReadingCountAgainstTheBound() {
        java.util.concurrent.atomic.AtomicReference<io.pushline.observability.ConsumerLag.Backlog> backlog =
                new java.util.concurrent.atomic.AtomicReference<>(new io.pushline.observability.ConsumerLag.Backlog(1_000, 0));
        ExpansionGate counting = new ExpansionGate(backlog::get, ExpansionGate.Bound.fixed(5_000), new SimpleMeterRegistry(), now::get);
        counting.check();
        assertThat(counting.getAsBoolean()).isTrue();
        counting.accept(2_000);
        assertThat(counting.getAsBoolean()).as("1,000 read + 2,000 expanded").isTrue();
        counting.accept(2_000);
        assertThat(counting.getAsBoolean()).as("5,000: at the bound before the next reading").isFalse();
        backlog.set(new io.pushline.observability.ConsumerLag.Backlog(3_000, 2_000));
        counting.check();
        assertThat(counting.getAsBoolean()).as("the next reading starts the count again").isTrue();
    }

    @Test
    void aPageTakesAQuarterOfTheHeadroomWithinItsFloorAndThePageSize() {
        java.util.concurrent.atomic.AtomicReference<io.pushline.observability.ConsumerLag.Backlog> backlog =
                new java.util.concurrent.atomic.AtomicReference<>(new io.pushline.observability.ConsumerLag.Backlog(1_000, 0));
        ExpansionGate spreading = new ExpansionGate(backlog::get, ExpansionGate.Bound.fixed(50_000), new SimpleMeterRegistry(), now::get);
        spreading.check();
        assertThat(spreading.applyAsInt(2_000)).as("49,000 of headroom: a full page").isEqualTo(2_000);
        spreading.accept(45_000);
        assertThat(spreading.applyAsInt(2_000)).as("4,000 left: a quarter").isEqualTo(4_000 / ExpansionGate.SPREAD);
        spreading.accept(3_800);
        assertThat(spreading.applyAsInt(2_000)).as("200 left: the floor").isEqualTo(ExpansionGate.MIN_PAGE);
        assertThat(spreading.applyAsInt(20)).as("never more than the page size").isEqualTo(20);
        ExpansionGate unread = new ExpansionGate(() -> {
            throw new IllegalStateException("no broker");
        }, ExpansionGate.Bound.fixed(50_000), new SimpleMeterRegistry(), now::get);
        unread.check();
        assertThat(unread.applyAsInt(2_000)).as("ungated: the whole page").isEqualTo(2_000);
    }
}
