package io.pushline.loadtests;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.pushline.localstack.LocalStack;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorMetrics;
import io.pushline.loadtests.report.Recording;
import io.pushline.mock.PushLedger;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Likes through the coordinators, at a fixed rate, end to end: a {@code LikeCreated} on the events topic, keyed by the
 * post's owner, becomes (SAVING, UPDATING_TIMELINE, APPENDING_ACTIVITY, NOTIFYING, PUSHING) one high-lane push task
 * per device of the owner, which a worker sends to a mock provider. Each owner has exactly one device, so each like
 * leads to exactly one push, whose id is {@link PushIds#pushId} of the like's {@code ce_id} and the owner's token: the
 * scenario knows it when it sends the like. A like's latency runs from its {@code ce_time} (the moment it is sent) to
 * the moment a mock accepted that push.
 *
 * <p>The baseline, measured first in the same run, is what {@link MixedScenario.Likes} publishes: the same rate of the
 * equivalent high-lane push tasks, straight to {@code pushline.push.high}, so the coordinators are not in the way. A
 * read_committed consumer of the high lane watches both phases, so that a like's time splits into: until the
 * coordinators wrote its push task (the task's {@code ce_time}, on their clock), until the task was visible to a
 * read_committed consumer (their transaction committed), and until the mock accepted it (worker and provider).
 *
 * <p>This class holds the run, its phases and the figures made of them; beside it, {@link LikesReadiness} registers the
 * owners' devices and waits until the coordinators know them, {@link HighLaneWatch} is the read_committed consumer of
 * the high lane, and {@link CoordinatorLagWatch} samples the coordinators' lag.
 */
final class LikesScenario {
    static final URI SOURCE = URI.create("pushline://bench/likes");
    /** The goal for a like's p99, in ms. */
    static final double GOAL_P99_MS = 50;
    /** After the last like of a phase was sent, how long its pushes may still take; what is missing then is lost. */
    static final Duration DRAIN = Duration.ofSeconds(60);

    private LikesScenario() {
    }

    /** A post owner and their one device. */
    record Owner(String userId, String token, Platform platform) {
        String appId() {
            return platform == Platform.APNS ? "io.pushline.bench" : "io.pushline.bench.android";
        }
    }

    /**
     * What became of one measured phase.
     *
     * @param phase what was sent, by push id
     * @param outcome latency of each accepted push, lost and duplicates
     * @param stages where the latency went
     * @param cpuMicrosPerPush CPU of this JVM and the local broker from the first send until the last push was
     *     answered (or the drain gave up), per delivered push
     * @param brokerCpuMicrosPerPush the broker's part of it
     * @param coordinatorLag the coordinators' lag on the events topic while the phase published and drained
     * @param span from the first send to the last delivery
     * @param cpuMicrosByThreadGroup this JVM's part of {@code cpuMicrosPerPush} by thread group ({@link ThreadCpu})
     */
    record Measured(MixedScenario.Phase phase, MixedScenario.Outcome outcome, Stages stages, double cpuMicrosPerPush,
                    double brokerCpuMicrosPerPush, CoordinatorLag coordinatorLag, Span span, Map<String, Double> cpuMicrosByThreadGroup) {
        /**
         * Pushes delivered per second from the first send to the last first acceptance: the offered rate if the
         * pipeline kept up, less if a backlog built up and drained after the last send.
         */
        double deliveredPerSec() {
            return span.seconds() <= 0 ? 0 : outcome.delivered() / span.seconds();
        }
    }

    /** From a phase's first send to the first acceptance of its last delivered push. */
    record Span(Instant firstSent, Instant lastAccepted) {
        double seconds() {
            return firstSent == null || lastAccepted == null ? 0 : Duration.between(firstSent, lastAccepted).toNanos() / 1e9;
        }
    }

    /** The {@link Span} of the pushes of {@code sentAt} among {@code ledgers}; nulls when nothing was sent or delivered. */
    static Span span(Map<String, Instant> sentAt, List<? extends Iterable<PushLedger.Accepted>> ledgers) {
        Instant first = sentAt.values().stream().min(Instant::compareTo).orElse(null);
        Map<String, Instant> firstAcceptance = new java.util.HashMap<>();
        for (Iterable<PushLedger.Accepted> ledger : ledgers) {
            for (PushLedger.Accepted a : ledger) {
                if (sentAt.containsKey(a.pushId())) {
                    firstAcceptance.merge(a.pushId(), a.acceptedAt(), (x, y) -> x.isBefore(y) ? x : y);
                }
            }
        }
        Instant last = firstAcceptance.values().stream().max(Instant::compareTo).orElse(null);
        return new Span(first, last);
    }

    /**
     * Where a phase's latency went, per delivered push that the high-lane watch saw (microseconds): from the send to
     * the push task's {@code ce_time} (for a like, when the coordinators wrote it, on their millisecond clock; for a
     * direct push task, the send itself), from there until a read_committed consumer of the high lane received it,
     * and from there until the mock accepted it. Negative spans (clock granularity) count as 0.
     */
    record Stages(Histogram toTask, Histogram toVisible, Histogram toAccepted, long observed) {}

    /**
     * The coordinators' consumer lag on the events topic (records not yet consumed and committed), sampled twice a
     * second: a like waiting there has not reached its first step.
     */
    record CoordinatorLag(long max, double mean, long samples) {}

    /**
     * How the owners became known to the coordinators.
     *
     * @param registerMillis publishing the {@code DeviceRegistered} events
     * @param readyMillis from then until every owner had a push accepted for a like
     * @param rounds rounds of readiness likes (one like per owner still without a push, each round)
     * @param likes readiness likes sent
     */
    record Readiness(long registerMillis, long readyMillis, int rounds, long likes) {}

    /**
     * A run.
     *
     * @param direct the baseline: push tasks straight to the high lane
     * @param likes likes through the coordinators
     * @param coordinatorTransitions journaled transitions during the measured likes (all flows and kinds)
     * @param coordinatorSkipped events the coordinators skipped during the measured likes (duplicate, stale, ...)
     * @param coordinatorsParked coordinators parked at the end
     */
    record Result(Readiness readiness, Measured direct, Measured likes, long coordinatorTransitions, long coordinatorSkipped,
                  long coordinatorsParked) {
        /** Like p99 ÷ direct high-lane p99; NaN when either measured nothing. */
        double p99Ratio() {
            return ratio(likes.outcome().latencyMicros(), direct.outcome().latencyMicros());
        }

        /** Whether the likes' p99 is within {@link #GOAL_P99_MS}. */
        boolean goalMet() {
            return LikesScenario.goalMet(likes.outcome().latencyMicros());
        }

        long lost() {
            return direct.outcome().lost() + likes.outcome().lost();
        }

        long duplicates() {
            return direct.outcome().duplicates() + likes.outcome().duplicates();
        }
    }

    /** p99 of {@code micros} ÷ p99 of {@code baselineMicros}; NaN when either is empty or the baseline's p99 is 0. */
    static double ratio(Histogram micros, Histogram baselineMicros) {
        if (micros.getTotalCount() == 0 || baselineMicros.getTotalCount() == 0) {
            return Double.NaN;
        }
        long baseline = baselineMicros.getValueAtPercentile(99.0);
        return baseline == 0 ? Double.NaN : micros.getValueAtPercentile(99.0) / (double) baseline;
    }

    /** Whether something was measured and its p99 is at most {@link #GOAL_P99_MS}. */
    static boolean goalMet(Histogram micros) {
        return micros.getTotalCount() > 0 && micros.getValueAtPercentile(99.0) <= GOAL_P99_MS * 1000;
    }

    /** {@code count} owners, {@code owner-000000} on, each with one fresh token: APNs for even ones, FCM for odd ones. */
    static List<Owner> owners(int count) {
        List<Owner> owners = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean apns = i % 2 == 0;
            owners.add(new Owner(String.format("owner-%06d", i), token(apns), apns ? Platform.APNS : Platform.FCM));
        }
        return owners;
    }

    /** A fresh token shaped like the platform's (the mocks accept any). */
    static String token(boolean apns) {
        return apns ? (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "")
                : UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * Like number {@code n}: actor {@code actor-n} likes the owner's post {@code post-OWNER-n}, with a fresh event id
     * and {@code ce_time} {@code now}, so that the coordinators take it for a new like. Its message carries the id of
     * the push it must lead to on the owner's device.
     */
    static MixedScenario.Message like(CloudEventCodec codec, Owner owner, long n, Instant now) {
        String eventId = UUID.randomUUID().toString();
        LikeCreated like = new LikeCreated("actor-" + n, "post-" + owner.userId() + "-" + n, owner.userId());
        return new MixedScenario.Message(PushIds.pushId(SOURCE.toString(), eventId, owner.token()),
                codec.toRecord(Topics.EVENTS, Envelope.of(eventId, SOURCE, now, like)));
    }

    /**
     * The {@code ce_time} of a push task as the watch saw it, and when it saw it.
     *
     * @param taskTime the push task's {@code ce_time}
     * @param visibleAt when a read_committed consumer of the high lane received it
     */
    record Seen(Instant taskTime, Instant visibleAt) {}

    /** The {@link Stages} of the pushes of {@code sentAt} that the mocks accepted (first acceptance) and the watch saw. */
    static Stages stages(Map<String, Instant> sentAt, Map<String, Seen> seen, List<? extends Iterable<PushLedger.Accepted>> ledgers) {
        Histogram toTask = new Histogram(3);
        Histogram toVisible = new Histogram(3);
        Histogram toAccepted = new Histogram(3);
        Set<String> counted = new HashSet<>();
        for (Iterable<PushLedger.Accepted> ledger : ledgers) {
            for (PushLedger.Accepted a : ledger) {
                Instant sent = sentAt.get(a.pushId());
                Seen s = seen.get(a.pushId());
                if (sent != null && s != null && counted.add(a.pushId())) {
                    toTask.recordValue(micros(sent, s.taskTime()));
                    toVisible.recordValue(micros(s.taskTime(), s.visibleAt()));
                    toAccepted.recordValue(micros(s.visibleAt(), a.acceptedAt()));
                }
            }
        }
        return new Stages(toTask, toVisible, toAccepted, counted.size());
    }

    private static long micros(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toNanos() / 1000);
    }

    /**
     * Registers the owners' devices, waits until the coordinators know them, then measures: push tasks straight to the
     * high lane ({@code warmupSeconds} unmeasured, then {@code seconds}: the baseline), then likes through the
     * coordinators (the same). {@code recording} gets samples over all of it and the latency of every measured like.
     */
    static Result run(LocalStack stack, int ratePerSec, int seconds, int ownerCount, int warmupSeconds, Recording recording,
                      Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        CloudEventCodec codec = new CloudEventCodec();
        AtomicLong sequence = new AtomicLong();
        List<Owner> owners = owners(ownerCount);
        // Completed pushes over all phases; the ledgers are cleared between them, so keep it from going back.
        AtomicLong offset = new AtomicLong();
        AtomicLong completed = new AtomicLong();
        try (MixedScenario.Likes stream = new MixedScenario.Likes(stack);
             HighLaneWatch watch = new HighLaneWatch(stack);
             Sampler ignored = new Sampler(recording, () -> completed.accumulateAndGet(offset.get() + stack.acceptedCount(), Math::max), stack)) {
            Readiness readiness = LikesReadiness.prepare(stack, stream, codec, owners, sequence, ratePerSec, deadline);

            MixedScenario.Messages likes = (i, now) -> {
                long n = sequence.getAndIncrement();
                return like(codec, owners.get((int) (n % owners.size())), n, now);
            };
            if (warmupSeconds > 0) {
                clear(stack, offset);
                MixedScenario.Phase warmup = stream.publish("direct warm-up", ratePerSec, (long) ratePerSec * warmupSeconds,
                        () -> false, deadline);
                awaitAnswered(stream, warmup.sentAt().size(), earliest(deadline, Instant.now().plus(DRAIN)));
            }
            System.out.printf("  baseline: push tasks straight to the high lane at %,d/s for %d s%n", ratePerSec, seconds);
            Measured direct = measure(stack, stream, null, "direct high lane", ratePerSec, seconds, watch, offset, deadline);

            if (warmupSeconds > 0) {
                clear(stack, offset);
                MixedScenario.Phase warmup = stream.publish("likes warm-up", likes, ratePerSec, (long) ratePerSec * warmupSeconds,
                        () -> false, deadline);
                awaitAnswered(stream, warmup.sentAt().size(), earliest(deadline, Instant.now().plus(DRAIN)));
            }
            System.out.printf("  likes through the coordinators at %,d/s for %d s, to %,d owners%n", ratePerSec, seconds, ownerCount);
            long transitionsBefore = count(stack, CoordinatorMetrics.TRANSITIONS);
            long skippedBefore = count(stack, CoordinatorMetrics.SKIPPED);
            Measured measured = measure(stack, stream, likes, "likes", ratePerSec, seconds, watch, offset, deadline);
            long transitions = count(stack, CoordinatorMetrics.TRANSITIONS) - transitionsBefore;
            long skipped = count(stack, CoordinatorMetrics.SKIPPED) - skippedBefore;
            for (var v : measured.outcome().latencyMicros().recordedValues()) {
                for (long k = 0; k < v.getCountAtValueIteratedTo(); k++) {
                    recording.recordLatencyMicros(v.getValueIteratedTo());
                }
            }
            Gauge parked = stack.registry().find(CoordinatorMetrics.PARKED).gauge();
            long parkedNow = parked == null || !Double.isFinite(parked.value()) ? 0 : (long) parked.value();
            return new Result(readiness, direct, measured, transitions, skipped, parkedNow);
        } finally {
            stack.apns().behaviour(null);
            stack.fcm().behaviour(null);
        }
    }


    /** One measured phase: publish, wait (bounded) for its pushes, then count. */
    private static Measured measure(LocalStack stack, MixedScenario.Likes stream, MixedScenario.Messages messages, String label,
                                    int ratePerSec, int seconds, HighLaneWatch watch, AtomicLong offset, Instant deadline)
            throws Exception {
        clear(stack, offset);
        CoordinatorLagWatch lag = new CoordinatorLagWatch(stack);
        long cpuStart = CpuClock.withBrokerNanos(stack);
        long brokerStart = CpuClock.brokerNanos(stack);
        ThreadCpu threadCpu = ThreadCpu.start();
        long count = (long) ratePerSec * seconds;
        MixedScenario.Phase phase = messages == null
                ? stream.publish(label, ratePerSec, count, () -> false, deadline)
                : stream.publish(label, messages, ratePerSec, count, () -> false, deadline);
        boolean drained = awaitAnswered(stream, phase.sentAt().size(), earliest(deadline, Instant.now().plus(DRAIN)));
        long cpu = CpuClock.withBrokerNanos(stack) - cpuStart;
        long broker = CpuClock.brokerNanos(stack) - brokerStart;
        Map<String, Long> byGroup = threadCpu.nanosByGroup();
        CoordinatorLag coordinatorLag = lag.stop();
        if (!drained) {
            System.out.printf("  %s: %,d of %,d pushes answered after waiting %d s; the rest count as lost%n", label,
                    stream.answered(), phase.sentAt().size(), DRAIN.toSeconds());
        }
        try {
            stack.awaitWorkersCaughtUp(Duration.ofSeconds(30));   // everything committed: a late duplicate would show now
        } catch (IllegalStateException e) {
            System.out.println("  the workers did not catch up within 30 s: " + e.getMessage());
        }
        List<Iterable<PushLedger.Accepted>> ledgers = List.of(stack.apns().ledger().accepted(), stack.fcm().ledger().accepted());
        MixedScenario.Outcome outcome = MixedScenario.outcome(phase.sentAt(), ledgers);
        Stages stages = stages(phase.sentAt(), watch.seen(), ledgers);
        long delivered = outcome.delivered();
        return new Measured(phase, outcome, stages, delivered == 0 ? 0 : cpu / 1000.0 / delivered,
                delivered == 0 ? 0 : broker / 1000.0 / delivered, coordinatorLag, span(phase.sentAt(), ledgers), ThreadCpu.perUnit(byGroup, delivered));
    }

    /** Waits, bounded by {@code until}, until the mocks have answered {@code count} pushes of the stream's phase. */
    static boolean awaitAnswered(MixedScenario.Likes stream, long count, Instant until) throws InterruptedException {
        while (stream.answered() < count) {
            if (!Instant.now().isBefore(until)) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);   // poll interval of a bounded wait for a condition
        }
        return true;
    }

    private static void clear(LocalStack stack, AtomicLong offset) {
        offset.addAndGet(stack.acceptedCount());
        stack.apns().ledger().clear();
        stack.fcm().ledger().clear();
    }

    private static long count(LocalStack stack, String counter) {
        double sum = 0;
        for (Counter c : stack.registry().find(counter).counters()) {
            sum += c.count();
        }
        return (long) sum;
    }

    static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
