package io.pushline.workers;

import io.pushline.testkit.KafkaBroker;
import io.pushline.testkit.KafkaIntegrationTest;
import io.pushline.testkit.MutableClock;
import io.pushline.testkit.TestTopics;
import io.pushline.testkit.Waits;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A check following a real compacted topic (its own, so no other test's topics are touched): bounded by time, full
 * without forgetting, and failing closed while its follower retries or once it stopped. Time moves on a hand-set
 * clock, started at the real now so that the records' own timestamps line up with it.
 */
@KafkaIntegrationTest
class CompactedKeySetIntegrationTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.now());
    private KafkaBroker broker;
    private KafkaProducer<String, byte[]> producer;
    private String topic;

    @BeforeEach
    void setUp(KafkaBroker broker) throws Exception {
        this.broker = broker;
        topic = TestTopics.unique("pushline-test-keyset");
        broker.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get();
        producer = new KafkaProducer<>(broker.clientConfig(), new StringSerializer(), new ByteArraySerializer());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        broker.admin().deleteTopics(List.of(topic)).all().get();
    }

    private CompactedKeySet start(CompactedKeySet.Mode mode, int maxEntries, Duration transientBound,
                                  Function<Map<String, Object>, Consumer<String, byte[]>> consumers) {
        CompactedKeySet set = new CompactedKeySet(new CompactedKeySet.Settings(broker.clientConfig(), consumers, maxEntries, clock,
                transientBound), topic, mode, Duration.ofHours(1), "test", "test keys");
        closeables.add(set);
        set.start();
        return set;
    }

    /** A tombstone of {@code key}, timestamped {@code ago} before the clock's start, on partition 0 (so in this order). */
    private void tombstone(String key, Duration ago) throws Exception {
        producer.send(new ProducerRecord<>(topic, 0, clock.instant().minus(ago).toEpochMilli(), key, (byte[]) null)).get();
    }

    @Test
    void tombstonesOlderThanTheLookbackAreDroppedFromMemoryAndNotBefore() throws Exception {
        Instant start = clock.instant();
        tombstone("recent", Duration.ofMinutes(10));
        tombstone("too-old", Duration.ofHours(2));   // read (it comes after "recent"), but past the 1 h lookback
        tombstone("newest", Duration.ofMinutes(1));

        List<PushWorkerFaultsIntegrationTest.FaultyConsumer> made = new ArrayList<>();
        CompactedKeySet set = start(CompactedKeySet.Mode.TOMBSTONE_TIMES, 100, Duration.ofMinutes(1), settings -> {
            PushWorkerFaultsIntegrationTest.FaultyConsumer c = new PushWorkerFaultsIntegrationTest.FaultyConsumer(settings);
            made.add(c);
            return c;
        });
        Waits.until(() -> set.cannotAnswer() == null, Duration.ofSeconds(30), () -> "the set to load: " + set.cannotAnswer());
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.contains("too-old")).isFalse();
        assertThat(set.time("recent")).isEqualTo(start.minus(Duration.ofMinutes(10)).toEpochMilli());

        clock.advance(Duration.ofMinutes(49));   // "recent" is 59 minutes old: still within the lookback
        int polls = made.get(0).polls.get();
        Waits.until(() -> made.get(0).polls.get() >= polls + 3, Duration.ofSeconds(10), "a few polls (each one expires)");
        assertThat(set.size()).isEqualTo(2);

        clock.advance(Duration.ofMinutes(2));    // 61 minutes: past it
        Waits.until(() -> set.size() == 1, Duration.ofSeconds(10), () -> "\"recent\" to expire; held " + set.size());
        assertThat(set.contains("newest")).isTrue();
        assertThat(set.expired()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(10));
        Waits.until(() -> set.size() == 0, Duration.ofSeconds(10), () -> "\"newest\" to expire; held " + set.size());
        assertThat(set.expired()).isEqualTo(2);
        assertThat(set.cannotAnswer()).isNull();
    }

    @Test
    void aFullSetStopsReadingAndCannotAnswerUntilOlderKeysExpireWithoutForgettingAny() throws Exception {
        tombstone("a", Duration.ofMinutes(30));
        tombstone("b", Duration.ofMinutes(20));
        tombstone("c", Duration.ofMinutes(10));

        CompactedKeySet set = start(CompactedKeySet.Mode.TOMBSTONES, 2, Duration.ofMinutes(1), CompactedKeySet.Settings.KAFKA);
        Waits.until(() -> set.cannotAnswer() != null && set.cannotAnswer().contains("full"), Duration.ofSeconds(30),
                () -> "the set to fill up; it says " + set.cannotAnswer());
        assertThat(set.cannotAnswer()).isEqualTo("the test keys check is full (2 keys, keySetMaxEntries)");
        assertThat(set.contains("a")).isTrue();
        assertThat(set.contains("b")).isTrue();
        assertThat(set.contains("c")).isFalse();

        clock.advance(Duration.ofMinutes(35));   // "a" is 65 minutes old: it expires, and "c" fits
        Waits.until(() -> set.cannotAnswer() == null, Duration.ofSeconds(10), () -> "room again; it says " + set.cannotAnswer());
        assertThat(set.contains("a")).isFalse();
        assertThat(set.contains("b")).isTrue();
        assertThat(set.contains("c")).isTrue();
    }

    @Test
    void aFollowerThatFailsRetriesCannotAnswerMeanwhileAndAnswersAgainWithWhatWasWritten() throws Exception {
        List<PushWorkerFaultsIntegrationTest.FaultyConsumer> made = new ArrayList<>();
        CompactedKeySet set = start(CompactedKeySet.Mode.TOMBSTONES, 100, Duration.ofMinutes(1), settings -> {
            PushWorkerFaultsIntegrationTest.FaultyConsumer c = new PushWorkerFaultsIntegrationTest.FaultyConsumer(settings);
            made.add(c);
            return c;
        });
        Waits.until(() -> set.cannotAnswer() == null, Duration.ofSeconds(30), () -> "the set to load: " + set.cannotAnswer());

        made.get(0).pollTimeouts.set(Integer.MAX_VALUE);
        Waits.until(() -> set.cannotAnswer() != null, Duration.ofSeconds(10), "the set to stop answering");
        assertThat(set.cannotAnswer()).startsWith("the test keys check is retrying a failure to read " + topic + " since ")
                .endsWith("(TimeoutException: injected: Timeout of 60000ms expired before the fetch could be sent)");
        tombstone("u|moved", Duration.ZERO);

        made.get(0).pollTimeouts.set(0);
        Waits.until(() -> set.cannotAnswer() == null && set.contains("u|moved"), Duration.ofSeconds(30),
                () -> "the set to answer again, with the tombstone; it says " + set.cannotAnswer());
        assertThat(set.failure()).isNull();
        assertThat(made).hasSize(1);   // the same consumer: it went on from where it was
    }

    @Test
    void aFollowerFailingLongerThanItsBoundStopsForGoodAndSaysWhy() {
        List<PushWorkerFaultsIntegrationTest.FaultyConsumer> made = new ArrayList<>();
        CompactedKeySet set = start(CompactedKeySet.Mode.TOMBSTONES, 100, Duration.ofSeconds(1), settings -> {
            PushWorkerFaultsIntegrationTest.FaultyConsumer c = new PushWorkerFaultsIntegrationTest.FaultyConsumer(settings);
            made.add(c);
            return c;
        });
        Waits.until(() -> set.cannotAnswer() == null, Duration.ofSeconds(30), () -> "the set to load: " + set.cannotAnswer());

        made.get(0).pollTimeouts.set(Integer.MAX_VALUE);

        Waits.until(() -> set.failure() != null, Duration.ofSeconds(30), "the follower to give up");
        assertThat(set.failure()).startsWith("the test keys check stopped following " + topic + ": transient failures for ")
                .contains("(more than PT1S)");
        assertThat(set.cannotAnswer()).isEqualTo(set.failure());
    }
}
