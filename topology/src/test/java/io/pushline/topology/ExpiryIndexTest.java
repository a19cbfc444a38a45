package io.pushline.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The time-ordered index behind the topology's retentions, on Kafka's in-memory stores (no broker, no changelog), and
 * the one-time sweep that indexes what an earlier version stored without it, through the processors that own it and
 * Kafka's MockProcessorContext (its captured wake-ups fired by hand, as a task's wall clock would).
 */
class ExpiryIndexTest {
    private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private final MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();

    @Test
    void entriesComeOutOldestFirstBoundedByThePageAndOnlyOnceDue() {
        ExpiryIndex index = new ExpiryIndex(store("index"));
        assertThat(index.oldest()).isEqualTo(Long.MAX_VALUE);
        index.add("ten", 10);
        index.add("nine", 9);          // 9 < 10 though "9" > "10" as text: the zero padding orders by time
        index.add("b-late", 1_000);
        index.add("a-late", 1_000);
        index.add("negative", -5);     // clamped at 0
        index.add("ten", 10);          // the same pair again: one entry
        assertThat(index.oldest()).isZero();

        List<String> due = new ArrayList<>();
        assertThat(index.expire(999, 2, (key, at) -> due.add(key + "@" + at))).isEqualTo(2);
        assertThat(index.expire(999, 2, (key, at) -> due.add(key + "@" + at))).isEqualTo(1);
        assertThat(index.expire(999, 2, (key, at) -> due.add(key + "@" + at))).isZero();
        assertThat(due).containsExactly("negative@0", "nine@9", "ten@10");
        assertThat(index.oldest()).isEqualTo(1_000);
        assertThat(index.expire(1_000, 10, (key, at) -> due.add(key + "@" + at))).isEqualTo(2);
        assertThat(due).endsWith("a-late@1000", "b-late@1000");
        assertThat(index.oldest()).isEqualTo(Long.MAX_VALUE);
        assertThat(index.expire(-1, 10, (key, at) -> due.add(key))).isZero();
    }

    @Test
    void theSweepPagesThroughItsStoreOnceAndItsMarkersAreNoTimeEntries() {
        KeyValueStore<String, byte[]> indexed = store("indexed");
        for (int i = 0; i < 25; i++) {
            indexed.put(String.format("k-%02d", i), new byte[0]);
        }
        ExpiryIndex index = new ExpiryIndex(store("index"));
        index.skipSweepIfEmpty(indexed);
        assertThat(index.swept()).as("a store with entries is swept").isFalse();

        List<String> visited = new ArrayList<>();
        assertThat(index.sweep(indexed, 10, (key, value) -> visited.add(key))).isFalse();
        assertThat(visited).hasSize(10).endsWith("k-09");
        assertThat(index.oldest()).as("the cursor is no time entry").isEqualTo(Long.MAX_VALUE);
        indexed.put("k-00a", new byte[0]);   // behind the cursor: its owner indexes it when it stores it
        assertThat(index.sweep(indexed, 10, (key, value) -> {
            visited.add(key);
            index.add(key, 7);
        })).isFalse();
        assertThat(index.sweep(indexed, 10, (key, value) -> visited.add(key))).isTrue();
        assertThat(visited).hasSize(25).doesNotHaveDuplicates().doesNotContain("k-00a");
        assertThat(index.swept()).isTrue();
        assertThat(index.sweep(indexed, 10, (key, value) -> visited.add(key))).as("once").isTrue();
        assertThat(visited).hasSize(25);
        assertThat(index.oldest()).isEqualTo(7);
        assertThat(index.expire(Long.MAX_VALUE, 100, (key, at) -> { })).as("ten time entries, no markers").isEqualTo(10);

        ExpiryIndex fresh = new ExpiryIndex(store("fresh-index"));
        fresh.skipSweepIfEmpty(store("empty"));
        assertThat(fresh.swept()).as("nothing to sweep in a new deployment").isTrue();
    }

    @Test
    void contentIndexedByAnEarlierVersionIsSweptInPagesAndForgottenOneRetentionAfterTheSweep() {
        TopologyConfig config = TopologyConfig.defaults().withPaging(100, Duration.ofMillis(50));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KeyValueStore<String, byte[]> content = store(ModerationProcessor.CONTENT_INDEX);
        store(ModerationProcessor.BAN_JOBS);
        store(ModerationProcessor.BANNED);
        KeyValueStore<String, byte[]> byTime = store(ModerationProcessor.CONTENT_EXPIRY);
        for (int i = 0; i < 250; i++) {
            content.put(String.format("p-%03d|post|x", i), new byte[0]);
        }
        context.setCurrentSystemTimeMs(T0);
        ModerationProcessor processor = new ModerationProcessor(new CloudEventCodec(), config, new TopologyMetrics(registry));
        processor.init(context);

        assertThat(fire(T0 + 50)).as("a sweep page is due at once").isEqualTo(Duration.ofMillis(50));
        assertThat(timeEntries(byTime)).hasSize(100);
        fire(T0 + 100);
        fire(T0 + 150);
        assertThat(timeEntries(byTime)).hasSize(250);
        assertThat(armed()).as("swept: the next wake-up is when the first swept page is due").singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(Duration.ofDays(90).minusMillis(100)));
        assertThat(count(content)).isEqualTo(250);

        long due = T0 + 50 + Duration.ofDays(90).toMillis();
        fire(due);
        assertThat(count(content)).as("what the first sweep page indexed").isEqualTo(150);
        fire(due + 50);
        fire(due + 100);
        assertThat(count(content)).isZero();
        assertThat(registry.get(TopologyMetrics.CONTENT_EXPIRED).counter().count()).isEqualTo(250.0);
        assertThat(armed()).as("nothing left: no wake-up armed").isEmpty();
        processor.close();
    }

    @Test
    void invalidatedTokensStoredByAnEarlierVersionAreSweptAndAnUnreadableEntryIsSkipped() throws Exception {
        TopologyConfig config = TopologyConfig.defaults().withPaging(2, Duration.ofMillis(50));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KeyValueStore<String, byte[]> tokens = store(DeviceRegistryProcessor.STORE);
        KeyValueStore<String, byte[]> byTime = store(DeviceRegistryProcessor.INVALIDATIONS);
        ObjectMapper json = new ObjectMapper().findAndRegisterModules();
        Instant then = Instant.ofEpochMilli(T0).minus(Duration.ofDays(400));
        tokens.put("token-active", json.writeValueAsBytes(new DeviceRegistryProcessor.TokenState("alice", then, null)));
        tokens.put("token-invalid", json.writeValueAsBytes(
                new DeviceRegistryProcessor.TokenState("bob", then, then.plusSeconds(60))));
        tokens.put("token-poison", "{\"userId\":".getBytes(StandardCharsets.UTF_8));
        tokens.put("token-unknown", json.writeValueAsBytes(new DeviceRegistryProcessor.TokenState(null, null, then)));
        context.setCurrentSystemTimeMs(T0);
        DeviceRegistryProcessor processor = new DeviceRegistryProcessor(new CloudEventCodec(), config, new TopologyMetrics(registry));
        processor.init(context);

        fire(T0 + 50);
        fire(T0 + 100);
        assertThat(timeEntries(byTime)).as("the invalidated ones, at the time of the sweep, keyed token|invalidatedAt")
                .containsExactlyInAnyOrder(
                        ExpiryIndex.timeKey(T0 + 50) + "|token-invalid|" + then.plusSeconds(60).toEpochMilli(),
                        ExpiryIndex.timeKey(T0 + 100) + "|token-unknown|" + then.toEpochMilli());
        assertThat(armed()).singleElement().satisfies(p ->
                assertThat(p.getInterval()).isEqualTo(TopologyConfig.DEFAULT_INVALIDATED_TOKEN_RETENTION.minusMillis(50)));

        long due = T0 + 100 + TopologyConfig.DEFAULT_INVALIDATED_TOKEN_RETENTION.toMillis();
        fire(due);
        assertThat(keys(tokens)).containsExactlyInAnyOrder("token-active", "token-poison");
        assertThat(registry.get(TopologyMetrics.INVALIDATIONS_EXPIRED).counter().count()).isEqualTo(2.0);
        assertThat(armed()).isEmpty();
        processor.close();
    }

    /** Fires the armed wake-up at {@code now}; returns the interval it was armed with. */
    private Duration fire(long now) {
        List<MockProcessorContext.CapturedPunctuator> armed = armed();
        assertThat(armed).as("one wake-up armed").hasSize(1);
        MockProcessorContext.CapturedPunctuator punctuator = armed.get(0);
        context.setCurrentSystemTimeMs(now);
        punctuator.getPunctuator().punctuate(now);
        return punctuator.getInterval();
    }

    private List<MockProcessorContext.CapturedPunctuator> armed() {
        return context.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
    }

    private KeyValueStore<String, byte[]> store(String name) {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    private static List<String> keys(KeyValueStore<String, byte[]> store) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(e -> out.add(e.key));
        }
        return out;
    }

    private static long count(KeyValueStore<String, byte[]> store) {
        return keys(store).size();
    }

    private static List<String> timeEntries(KeyValueStore<String, byte[]> store) {
        return keys(store).stream().filter(k -> !k.startsWith("~")).toList();
    }
}
