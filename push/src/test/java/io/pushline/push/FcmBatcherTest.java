package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** FcmBatcher without the SDK: batches are answered by hand. */
@Timeout(20)
class FcmBatcherTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<CompletableFuture<List<String>>> calls = new ArrayList<>();
    private final List<List<Integer>> batches = new ArrayList<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private FcmBatcher<Integer, String> batcher(int maxBatchSize, Duration linger, int maxBatchesInFlight) {
        return new FcmBatcher<>(maxBatchSize, linger, maxBatchesInFlight, scheduler, messages -> {
            CompletableFuture<List<String>> call = new CompletableFuture<>();
            synchronized (calls) {
                batches.add(List.copyOf(messages));
                calls.add(call);
            }
            return call;
        }, size -> { });
    }

    @Test
    void aFullBatchGoesAtOnceAndEachItemGetsItsOwnResult() {
        FcmBatcher<Integer, String> batcher = batcher(3, Duration.ofHours(1), 1);

        List<CompletableFuture<String>> results = List.of(batcher.add(1), batcher.add(2), batcher.add(3));
        assertThat(batches).containsExactly(List.of(1, 2, 3));
        calls.get(0).complete(List.of("a", "b", "c"));

        assertThat(results).extracting(CompletableFuture::join).containsExactly("a", "b", "c");
    }

    @Test
    void aFailedBatchFailsEveryItemOfIt() {
        FcmBatcher<Integer, String> batcher = batcher(2, Duration.ofHours(1), 1);

        CompletableFuture<String> first = batcher.add(1);
        CompletableFuture<String> second = batcher.add(2);
        calls.get(0).completeExceptionally(new IOException("connection reset"));

        for (CompletableFuture<String> result : List.of(first, second)) {
            assertThatThrownBy(result::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(IOException.class);
        }
        assertThat(FcmOutcomes.fromBatchFailure(new CompletionException(new IOException("connection reset"))))
                .isEqualTo(new PushOutcome.RetryLater("FCM batch failed: IOException: connection reset", null));
    }

    @Test
    void batchesBeyondTheInFlightBoundWaitForOneToFinish() {
        FcmBatcher<Integer, String> batcher = batcher(1, Duration.ofHours(1), 1);

        CompletableFuture<String> first = batcher.add(1);
        CompletableFuture<String> second = batcher.add(2);
        assertThat(batches).containsExactly(List.of(1));

        calls.get(0).complete(List.of("a"));
        assertThat(first.join()).isEqualTo("a");
        assertThat(batches).containsExactly(List.of(1), List.of(2));
        calls.get(1).complete(List.of("b"));
        assertThat(second.join()).isEqualTo("b");
        assertThat(batcher.maxBatchesInFlightSeen()).isEqualTo(1);
    }

    @Test
    void theLingerSendsAPartialBatch() {
        FcmBatcher<Integer, String> batcher = batcher(10, Duration.ofMillis(10), 1);

        CompletableFuture<String> result = batcher.add(7);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> batcher.batchesSent() == 1);
        calls.get(0).complete(List.of("x"));

        assertThat(result.join()).isEqualTo("x");
        assertThat(batches).containsExactly(List.of(7));
    }

    @Test
    void closeFailsWhatWasNotSent() {
        FcmBatcher<Integer, String> batcher = batcher(10, Duration.ofHours(1), 1);

        CompletableFuture<String> waiting = batcher.add(1);
        batcher.close();

        assertThatThrownBy(() -> waiting.get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(FcmBatcher.ClosedException.class);
        assertThat(batcher.add(2)).isCompletedExceptionally();
        assertThat(batches).isEmpty();
    }

    @Test
    void rejectsBadSettingsNamingThem() {
        assertThatThrownBy(() -> batcher(0, Duration.ZERO, 1)).hasMessage("maxBatchSize must be >= 1, was 0");
        assertThatThrownBy(() -> batcher(1, Duration.ofMillis(-1), 1)).hasMessage("batchLinger must be >= 0, was PT-0.001S");
        assertThatThrownBy(() -> batcher(1, Duration.ZERO, 0)).hasMessage("maxBatchesInFlight must be >= 1, was 0");
    }
}
