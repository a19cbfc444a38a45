package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.Topics;
import io.pushline.mock.PushLedger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The likes scenario's pure parts: owners, the likes it sends, and how it matches pushes to likes. */
class LikesScenarioTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void ownersHaveOneDistinctDeviceEachHalfOnEachPlatform() {
        List<LikesScenario.Owner> owners = LikesScenario.owners(20);

        assertThat(owners).hasSize(20);
        assertThat(owners.stream().map(LikesScenario.Owner::userId).distinct()).hasSize(20);
        assertThat(owners.stream().map(LikesScenario.Owner::token).distinct()).hasSize(20);
        assertThat(owners.stream().filter(o -> o.platform() == Platform.APNS)).hasSize(10);
        assertThat(owners.get(0).token()).matches("[0-9a-f]{64}");
        assertThat(owners.get(1).token()).contains(":APA91b");
        assertThat(owners.get(1).appId()).isEqualTo("io.pushline.bench.android");
    }

    @Test
    void aLikeIsANewLikeCreatedKeyedByTheOwnerAndNamesThePushItLeadsTo() {
        CloudEventCodec codec = new CloudEventCodec();
        LikesScenario.Owner owner = LikesScenario.owners(1).get(0);

        MixedScenario.Message first = LikesScenario.like(codec, owner, 7, T0);
        MixedScenario.Message second = LikesScenario.like(codec, owner, 8, T0);

        ProducerRecord<String, byte[]> record = first.record();
        assertThat(record.topic()).isEqualTo(Topics.EVENTS);
        assertThat(record.key()).isEqualTo(owner.userId());
        Envelope<?> envelope = ((Decoded.Ok) codec.decode(record.headers(), record.value())).envelope();
        assertThat(envelope.time()).isEqualTo(T0);
        assertThat(envelope.data()).isEqualTo(new LikeCreated("actor-7", "post-" + owner.userId() + "-7", owner.userId()));
        assertThat(first.pushId()).isEqualTo(PushIds.pushId(envelope.source().toString(), envelope.id(), owner.token()));
        // A fresh event id, actor and post each time: the coordinators never take one for another.
        Envelope<?> other = ((Decoded.Ok) codec.decode(second.record().headers(), second.record().value())).envelope();
        assertThat(other.id()).isNotEqualTo(envelope.id());
        assertThat(second.pushId()).isNotEqualTo(first.pushId());
    }

    @Test
    void latencyIsFromTheSendToTheFirstAcceptanceAndDuplicatesAndLossesAreCounted() {
        Map<String, Instant> sentAt = Map.of("a", T0, "b", T0.plusMillis(10), "c", T0.plusMillis(20));
        List<PushLedger.Accepted> apns = List.of(
                new PushLedger.Accepted("t1", "a", T0.plusMillis(5)),
                new PushLedger.Accepted("t9", "someone-else", T0.plusMillis(6)),
                new PushLedger.Accepted("t1", "a", T0.plusMillis(900)));
        List<PushLedger.Accepted> fcm = List.of(new PushLedger.Accepted("t2", "b", T0.plusMillis(40)));

        MixedScenario.Outcome outcome = MixedScenario.outcome(sentAt, List.of(apns, fcm));

        assertThat(outcome.delivered()).isEqualTo(2);
        assertThat(outcome.lost()).isEqualTo(1);          // c
        assertThat(outcome.duplicates()).isEqualTo(1);    // a again
        Histogram micros = outcome.latencyMicros();
        assertThat(micros.getTotalCount()).isEqualTo(2);
        assertThat(micros.getMinValue()).isBetween(4_995L, 5_005L);
        assertThat(micros.getMaxValue()).isBetween(29_970L, 30_030L);
    }

    @Test
    void stagesSplitEachDeliveredPushAtItsTaskTimeAndWhenItBecameVisible() {
        Map<String, Instant> sentAt = Map.of("a", T0, "b", T0, "c", T0);
        Map<String, LikesScenario.Seen> seen = Map.of(
                "a", new LikesScenario.Seen(T0.plusMillis(3), T0.plusMillis(15)),
                // a task time before the send (the coordinators' millisecond clock) counts as 0
                "b", new LikesScenario.Seen(T0.minusNanos(400_000), T0.plusMillis(2)));
        List<PushLedger.Accepted> ledger = List.of(
                new PushLedger.Accepted("t1", "a", T0.plusMillis(20)),
                new PushLedger.Accepted("t1", "a", T0.plusMillis(99)),    // a duplicate: the first acceptance counts
                new PushLedger.Accepted("t2", "b", T0.plusMillis(4)),
                new PushLedger.Accepted("t3", "c", T0.plusMillis(4)));   // never seen on the high lane: left out

        LikesScenario.Stages stages = LikesScenario.stages(sentAt, seen, List.of(ledger));

        assertThat(stages.observed()).isEqualTo(2);
        assertThat(stages.toTask().getMaxValue()).isBetween(2_995L, 3_005L);
        assertThat(stages.toTask().getMinValue()).isZero();
        assertThat(stages.toVisible().getMaxValue()).isBetween(11_990L, 12_010L);
        assertThat(stages.toAccepted().getMaxValue()).isBetween(4_995L, 5_005L);
        assertThat(stages.toAccepted().getMinValue()).isBetween(1_995L, 2_005L);
    }

    @Test
    void deliveryRunsFromTheFirstSendToTheLastFirstAcceptance() {
        Map<String, Instant> sentAt = Map.of("a", T0.plusMillis(100), "b", T0, "c", T0.plusMillis(200));
        List<PushLedger.Accepted> ledger = List.of(
                new PushLedger.Accepted("t1", "a", T0.plusMillis(1500)),
                new PushLedger.Accepted("t2", "b", T0.plusMillis(500)),
                new PushLedger.Accepted("t2", "b", T0.plusMillis(9000)),      // a duplicate does not stretch it
                new PushLedger.Accepted("t9", "other", T0.plusMillis(9000)));

        LikesScenario.Span span = LikesScenario.span(sentAt, List.of(ledger));

        assertThat(span.firstSent()).isEqualTo(T0);
        assertThat(span.lastAccepted()).isEqualTo(T0.plusMillis(1500));
        assertThat(span.seconds()).isEqualTo(1.5);
        assertThat(LikesScenario.span(Map.of(), List.of(ledger)).seconds()).isZero();
    }

    @Test
    void theGoalAndTheRatioAreOfTheP99() {
        Histogram likes = new Histogram(3);
        Histogram direct = new Histogram(3);
        for (int i = 0; i < 1000; i++) {
            likes.recordValue(i < 990 ? 20_000 : 80_000);    // p99 20 ms
            direct.recordValue(10_000);
        }

        assertThat(LikesScenario.ratio(likes, direct)).isBetween(1.99, 2.01);
        assertThat(LikesScenario.goalMet(likes)).isTrue();
        likes.recordValue(80_000);
        likes.recordValue(80_000);
        assertThat(LikesScenario.goalMet(likes)).isFalse();
        assertThat(LikesScenario.goalMet(new Histogram(3))).isFalse();
        assertThat(LikesScenario.ratio(likes, new Histogram(3))).isNaN();
    }

    @Test
    void ownersAreDistinctAcrossCalls() {
        Set<String> tokens = new HashSet<>();
        LikesScenario.owners(50).forEach(o -> tokens.add(o.token()));
        LikesScenario.owners(50).forEach(o -> tokens.add(o.token()));
        assertThat(tokens).hasSize(100);
    }
}
