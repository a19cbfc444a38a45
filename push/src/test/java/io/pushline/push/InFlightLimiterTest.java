package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InFlightLimiterTest {

    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();
    private final List<CompletableFuture<String>> calls = new ArrayList<>();

    @Test
    void startsAtMostMaxInFlightQueuesTheNextAndRefusesTheRest() {
        InFlightLimiter limiter = new InFlightLimiter(2, 3);
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            results.add(limiter.submit(this::call, refusal -> "refused:" + refusal));
        }

        assertThat(calls).hasSize(2);
        assertThat(limiter.inFlight()).isEqualTo(2);
        assertThat(limiter.queued()).isEqualTo(3);
        assertThat(results.subList(5, 7)).isNotEmpty().allSatisfy(result -> assertThat(result).isCompletedWithValue("refused:SATURATED"));

        // Finishing calls one by one starts the queued ones in order, never more than two at once.
        for (int finished = 0; finished < 5; finished++) {
            finish(finished, "done-" + finished);
        }
        assertThat(calls).hasSize(5);
        assertThat(maxRunning.get()).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            assertThat(results.get(i)).isCompletedWithValue("done-" + i);
        }
        assertThat(limiter.inFlight()).isZero();
        assertThat(limiter.queued()).isZero();
    }

    @Test
    void aCallerSendingAgainFromTheResultFindsTheSlotFree() {
        InFlightLimiter limiter = new InFlightLimiter(1, 0);
        CompletableFuture<String> again = new CompletableFuture<>();
        limiter.submit(this::call, refusal -> "refused")
                .thenAccept(ignored -> limiter.submit(this::call, refusal -> "refused").thenAccept(again::complete));

        calls.get(0).complete("first");
        assertThat(calls).hasSize(2);
        calls.get(1).complete("second");
        assertThat(again).isCompletedWithValue("second");
    }

    @Test
    void manyCallsCompletingSynchronouslyDoNotGrowTheStack() {
        InFlightLimiter limiter = new InFlightLimiter(1, 100_000);
        CompletableFuture<String> gate = new CompletableFuture<>();
        limiter.submit(() -> gate, refusal -> "refused");
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            results.add(limiter.submit(() -> CompletableFuture.completedFuture("fast"), refusal -> "refused"));
        }

        gate.complete("slow");

        assertThat(results).isNotEmpty().allSatisfy(result -> assertThat(result).isCompletedWithValue("fast"));
        assertThat(limiter.inFlight()).isZero();
    }

    @Test
    void aThrowingCallFailsOnlyItsOwnResultAndFreesTheSlot() {
        InFlightLimiter limiter = new InFlightLimiter(1, 0);
        CompletableFuture<String> failed = limiter.submit(() -> {
            throw new IllegalStateException("boom");
        }, refusal -> "refused");

        assertThat(failed).isCompletedExceptionally();
        assertThat(limiter.inFlight()).isZero();
        assertThat(limiter.submit(() -> CompletableFuture.completedFuture("ok"), refusal -> "refused")).isCompletedWithValue("ok");
    }

    @Test
    void closeRefusesQueuedAndNewCallsButLetsRunningOnesFinish() {
        InFlightLimiter limiter = new InFlightLimiter(1, 1);
        CompletableFuture<String> running = limiter.submit(this::call, refusal -> "refused:" + refusal);
        CompletableFuture<String> queued = limiter.submit(this::call, refusal -> "refused:" + refusal);

        limiter.close();

        assertThat(queued).isCompletedWithValue("refused:CLOSED");
        assertThat(limiter.submit(this::call, refusal -> "refused:" + refusal)).isCompletedWithValue("refused:CLOSED");
        calls.get(0).complete("finished");
        assertThat(running).isCompletedWithValue("finished");
        assertThat(calls).hasSize(1);
    }

    @Test
    void validatesItsBounds() {
        assertThatIllegalArgumentException().isThrownBy(() -> new InFlightLimiter(0, 1)).withMessage("maxInFlight must be >= 1, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> new InFlightLimiter(1, -1)).withMessage("maxQueued must be >= 0, was -1");
    }

    private CompletableFuture<String> call() {
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        CompletableFuture<String> call = new CompletableFuture<>();
        calls.add(call);
        return call;
    }

    private void finish(int call, String value) {
        running.decrementAndGet();
        calls.get(call).complete(value);
    }
}
