package io.pushline.workers;

import io.pushline.contracts.Lane;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DemandTest {
    @Test
    void recordsGoOnlyAsFarAsThePipelineAskedForThem() {
        Demand demand = new Demand(Lane.HIGH, null);
        assertThat(demand.canDispatch()).isFalse();
        assertThat(demand.exhausted()).isTrue();

        demand.requested(2);
        demand.dispatched();
        assertThat(demand.canDispatch()).isTrue();
        demand.dispatched();
        assertThat(demand.canDispatch()).isFalse();
        assertThat(demand.exhausted()).isTrue();
        assertThat(demand.inFlight()).isEqualTo(2);

        demand.finished();
        assertThat(demand.inFlight()).isEqualTo(1);
        assertThat(demand.canDispatch()).isFalse();   // a finished push is not new demand: the pipeline asks for that
    }

    @Test
    void unboundedDemandSaturatesInsteadOfOverflowing() {
        Demand demand = new Demand(Lane.HIGH, null);
        demand.requested(Long.MAX_VALUE);
        demand.requested(5);
        demand.dispatched();
        assertThat(demand.canDispatch()).isTrue();
        assertThat(demand.exhausted()).isFalse();
    }

    @Test
    void onTheBulkLaneTheGovernorsLimitCapsThePushesInFlight() {
        AtomicLong nanos = new AtomicLong();
        LaneGovernor governor = new LaneGovernor(2, 1, Duration.ofMillis(25), Duration.ofMillis(100), nanos::get);
        Demand bulk = new Demand(Lane.BULK, governor);
        Demand high = new Demand(Lane.HIGH, governor);
        bulk.requested(10);
        high.requested(10);
        for (int i = 0; i < 2; i++) {
            bulk.dispatched();
            high.dispatched();
        }

        assertThat(bulk.canDispatch()).isFalse();   // 2 in flight, the governor allows 2
        assertThat(high.canDispatch()).isTrue();    // the high lane is never held back by it
        bulk.finished();
        assertThat(bulk.canDispatch()).isTrue();
    }

    @Test
    void aWaitingPollLoopIsWokenByAFinishedPushAndReturnsAtOnceWhenItMayGo() throws Exception {
        Demand demand = new Demand(Lane.HIGH, null);
        demand.requested(1);
        CompletableFuture<Void> mayGo = CompletableFuture.runAsync(() -> {
            try {
                demand.awaitCapacity(Duration.ofMinutes(1));   // may go already: no wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(mayGo::isDone);   // well before the minute it would wait

        demand.dispatched();
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
            try {
                demand.awaitCapacity(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        demand.requested(1);   // demand returns: the wait ends long before its minute
        await().atMost(Duration.ofSeconds(30)).until(waiting::isDone);
    }
}
