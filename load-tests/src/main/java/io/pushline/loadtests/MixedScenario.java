package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Lane;
import io.pushline.contracts.Platform;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.report.ProgressBar;
import io.pushline.loadtests.report.Recording;
import io.pushline.mock.Behaviour;
import io.pushline.mock.PushLedger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Likes on the high lane, alone and during a bulk fanout. Likes flow through coordinators, so this publishes what a
 * like produces: one high-lane {@link PushTask} per like, keyed by the recipient, with {@code ce_time} the moment it is
 * sent, to a fresh token (the mocks accept any), half APNs, half FCM. A like's latency runs from its {@code ce_time} to
 * the moment a mock accepted its push.
 */
final class MixedScenario {
    private static final URI SOURCE = URI.create("pushline://bench/mixed");

    /**
     * One phase of likes.
     *
     * @param sentAt {@code ce_time} of every like sent, by push id
     * @param sendFailures likes the producer failed to write (they are also lost)
     * @param seconds how long the phase published
     */
    record Phase(Map<String, Instant> sentAt, long sendFailures, double seconds) {
        double ratePerSec() {
            return seconds <= 0 ? 0 : sentAt.size() / seconds;
        }
    }

    /**
     * What became of a phase's likes.
     *
     * @param latencyMicros {@code ce_time} to acceptance of every accepted like
     * @param delivered likes accepted at least once
     * @param lost likes never accepted
     */
    record Outcome(Histogram latencyMicros, long delivered, long lost, long duplicates) {}

    /**
     * The two phases and the fanout.
     *
     * @param alone likes with no fanout running (the baseline)
     * @param during likes while the fanout was delivering: from its first accepted push to its last
     * @param fanout the fanout's own figures
     * @param fanoutLatencyMicros {@code ce_time} of the post to acceptance, per fanout push
     */
    record Result(Phase alone, Outcome aloneOutcome, Phase during, Outcome duringOutcome, FanoutScenario.Result fanout,
                  Histogram fanoutLatencyMicros) {
        /** Like p99 during the fanout ÷ like p99 without it; the goal is at most 2. */
        double p99Ratio() {
            long without = aloneOutcome.latencyMicros().getValueAtPercentile(99.0);
            return without == 0 ? Double.NaN : duringOutcome.latencyMicros().getValueAtPercentile(99.0) / (double) without;
        }
    }

    private MixedScenario() {
    }

    /**
     * What one tick of a like stream sends: the record, and the push id the mocks will see for it (the key of the
     * phase's {@code ce_time} map).
     */
    record Message(String pushId, ProducerRecord<String, byte[]> record) {}

    /** The {@code n}th message of a phase (from 0), with {@code ce_time} {@code now}. Called on the scheduler's thread. */
    @FunctionalInterface
    interface Messages {
        Message next(long n, Instant now);
    }

    /**
     * The like stream: one producer, and a count of the mocks' answers to the current phase's likes (a behaviour that
     * has no opinion, so the mocks still accept everything). Knowing how many of the accepted pushes are likes tells
     * when the fanout is complete while likes are still flowing. Not thread-safe: one phase at a time; close it.
     */
    static final class Likes implements AutoCloseable {
        private final CloudEventCodec codec = new CloudEventCodec();
        private final KafkaProducer<String, byte[]> producer;
        private volatile Map<String, Instant> sentAt = new ConcurrentHashMap<>();
        private final AtomicLong answered = new AtomicLong();

        Likes(LocalStack stack) {
            producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
            Behaviour counting = (token, pushId) -> {
                if (sentAt.containsKey(pushId)) {
                    answered.incrementAndGet();
                }
                return null;
            };
            stack.apns().behaviour(counting.orElse(Behaviour.acceptAll()));
            stack.fcm().behaviour(counting.orElse(Behaviour.acceptAll()));
        }

        /** The mocks' answers to likes of the phase being published (or last published). */
        long answered() {
            return answered.get();
        }

        /**
         * Publishes likes at {@code ratePerSec} until {@code count} were sent, {@code stop} says so, or {@code deadline}
         * passes, whichever is first; a scheduler paces them (a late tick is caught up, as a real burst would be).
         *
         * @param label the progress bar's label, or null for none (when another bar is showing)
         */
        Phase publish(String label, int ratePerSec, long count, BooleanSupplier stop, Instant deadline) throws InterruptedException {
            return publish(label, this::highLaneTask, ratePerSec, count, stop, deadline);
        }

        /** The {@code n}th like's push task, published straight to the high lane. */
        private Message highLaneTask(long n, Instant now) {
            PushTask task = like(n);
            return new Message(task.pushId(), codec.toRecord(Topics.PUSH_HIGH, Envelope.of(task.pushId(), SOURCE, now, task)));
        }

        /** As {@link #publish(String, int, long, BooleanSupplier, Instant)}, sending what {@code messages} makes. */
        Phase publish(String label, Messages messages, int ratePerSec, long count, BooleanSupplier stop, Instant deadline)
                throws InterruptedException {
            Map<String, Instant> phase = new ConcurrentHashMap<>();
            sentAt = phase;
            answered.set(0);
            AtomicLong failures = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            ProgressBar bar = label == null ? null : new ProgressBar(System.out, label, count);
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pushline-bench-likes");
                t.setDaemon(true);
                return t;
            });
            long start = System.nanoTime();
            AtomicLong n = new AtomicLong();
            try {
                scheduler.scheduleAtFixedRate(() -> {
                    long i = n.get();
                    if (i >= count || stop.getAsBoolean() || Instant.now().isAfter(deadline)) {
                        done.countDown();
                        return;
                    }
                    n.incrementAndGet();
                    Instant now = Instant.now();
                    Message message = messages.next(i, now);
                    phase.put(message.pushId(), now);
                    producer.send(message.record(), (metadata, error) -> {
                        if (error != null) {
                            failures.incrementAndGet();
                        }
                    });
                    if (bar != null && i % 100 == 0) {
                        bar.update(i);
                    }
                }, 0, 1_000_000_000L / ratePerSec, TimeUnit.NANOSECONDS);
                done.await(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()) + 1000, TimeUnit.MILLISECONDS);
            } finally {
                scheduler.shutdown();
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
                scheduler.shutdownNow();
                producer.flush();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (bar != null) {
                bar.finish(phase.size());
            }
            return new Phase(Map.copyOf(phase), failures.get(), seconds);
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
        }
    }

    /**
     * Warm-up: likes at {@code ratePerSec} for {@code warmupSeconds}, not measured (the high lane's first seconds are
     * JIT compilation and connection set-up, which a baseline must not include).
     * Phase 1: likes at {@code ratePerSec} for {@code aloneSeconds}, nothing else running. Phase 2: the post to the
     * audience, and likes at the same rate from the fanout's first accepted push until its last. {@code recording} gets
     * samples over both phases and the latency of every like of phase 2 (the headline).
     */
    static Result run(LocalStack stack, FanoutScenario.Audience audience, int ratePerSec, int warmupSeconds, int aloneSeconds,
                      Recording recording, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        // Completed pushes over both phases; the ledgers are cleared between them, so keep it from going back.
        AtomicLong offset = new AtomicLong();
        AtomicLong completed = new AtomicLong();
        try (Likes likes = new Likes(stack);
             Sampler ignored = new Sampler(recording, () -> completed.accumulateAndGet(offset.get() + stack.acceptedCount(), Math::max), stack)) {
            stack.apns().ledger().clear();
            stack.fcm().ledger().clear();
            if (warmupSeconds > 0) {
                Phase warmup = likes.publish("likes warm-up", ratePerSec, (long) ratePerSec * warmupSeconds, () -> false, deadline);
                awaitAccepted(stack, warmup.sentAt().size(), deadline);
                long warmedUp = stack.acceptedCount();
                stack.apns().ledger().clear();
                stack.fcm().ledger().clear();
                offset.addAndGet(warmedUp);
            }
            System.out.printf("  phase 1: likes at %,d/s for %d s, no fanout running%n", ratePerSec, aloneSeconds);
            Phase alone = likes.publish("likes alone", ratePerSec, (long) ratePerSec * aloneSeconds, () -> false, deadline);
            awaitAccepted(stack, alone.sentAt().size(), deadline);
            Outcome aloneOutcome = outcome(stack, alone);

            System.out.printf("  phase 2: one post to %,d devices, and likes at %,d/s while it is delivered%n",
                    audience.tokens().size(), ratePerSec);
            long phase1 = stack.acceptedCount();
            FanoutScenario.Post post = FanoutScenario.post(stack, audience.tokens());
            offset.addAndGet(phase1);
            int expected = post.expected().size();
            // Likes start with the fanout's first accepted push, so that every one of them competes with it.
            awaitAccepted(stack, 1, deadline);
            CompletableFuture<Phase> during = CompletableFuture.supplyAsync(() -> {
                try {
                    return likes.publish(null, ratePerSec, (long) ratePerSec * timeout.toSeconds(),
                            () -> stack.acceptedCount() - likes.answered() >= expected, deadline);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while publishing likes", e);
                }
            });
            boolean complete = FanoutScenario.awaitDelivered(stack, post, likes::answered, deadline);
            Phase duringPhase = during.get(Math.max(0, Duration.between(Instant.now(), deadline).toSeconds()) + 30, TimeUnit.SECONDS);
            awaitAccepted(stack, expected + duringPhase.sentAt().size(), deadline);
            if (complete) {
                stack.awaitWorkersCaughtUp(Duration.ofMinutes(2));   // everything committed: a late duplicate would show now
            }
            Recording fanoutLatency = new Recording();
            FanoutScenario.Result fanout = FanoutScenario.measure(stack, post, audience, fanoutLatency, duringPhase.sentAt()::containsKey);
            Outcome duringOutcome = outcome(stack, duringPhase);
            for (var v : duringOutcome.latencyMicros().recordedValues()) {
                for (long k = 0; k < v.getCountAtValueIteratedTo(); k++) {
                    recording.recordLatencyMicros(v.getValueIteratedTo());
                }
            }
            return new Result(alone, aloneOutcome, duringPhase, duringOutcome, fanout, fanoutLatency.latencyMicros());
        } finally {
            stack.apns().behaviour(null);
            stack.fcm().behaviour(null);
        }
    }

    /** Waits, bounded by {@code deadline}, until the mocks have accepted {@code count} pushes since their ledgers were cleared. */
    static void awaitAccepted(LocalStack stack, long count, Instant deadline) throws InterruptedException {
        while (stack.acceptedCount() < count && Instant.now().isBefore(deadline)) {
            TimeUnit.MILLISECONDS.sleep(20);   // poll interval of a bounded wait for a condition
        }
    }

    /** The latency of every like of {@code phase} the mocks accepted, and what was lost. */
    static Outcome outcome(LocalStack stack, Phase phase) {
        // Each ledger is read when its turn comes, as it always was.
        Iterable<PushLedger.Accepted> apns = () -> stack.apns().ledger().accepted().iterator();
        Iterable<PushLedger.Accepted> fcm = () -> stack.fcm().ledger().accepted().iterator();
        return outcome(phase.sentAt(), List.of(apns, fcm));
    }

    /**
     * The latency of every push of {@code sentAt} (its {@code ce_time} by push id) among {@code ledgers} (what each mock
     * accepted, in order): the first acceptance of a push id counts, a later one is a duplicate, and a push id
     * {@code sentAt} does not know is ignored.
     */
    static Outcome outcome(Map<String, Instant> sentAt, List<? extends Iterable<PushLedger.Accepted>> ledgers) {
        Histogram micros = new Histogram(3);
        java.util.Set<String> delivered = new java.util.HashSet<>();
        long duplicates = 0;
        for (Iterable<PushLedger.Accepted> ledger : ledgers) {
            for (PushLedger.Accepted a : ledger) {
                Instant sent = sentAt.get(a.pushId());
                if (sent != null && delivered.add(a.pushId())) {
                    micros.recordValue(Math.max(0, Duration.between(sent, a.acceptedAt()).toNanos() / 1000));
                } else if (sent != null) {
                    duplicates++;
                }
            }
        }
        return new Outcome(micros, delivered.size(), sentAt.size() - delivered.size(), duplicates);
    }

    /** The push task a like of user {@code n % 1000}'s post produces for its author's device. */
    private static PushTask like(long n) {
        String eventId = UUID.randomUUID().toString();
        boolean apns = n % 2 == 0;
        String token = apns ? (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "")
                : UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
        String author = String.format("liked-%04d", n % 1000);
        return new PushTask(PushIds.pushId("urn:pushline:test", eventId, token), eventId, author, token, apns ? Platform.APNS : Platform.FCM,
                apns ? "io.pushline.bench" : "io.pushline.bench.android", "liker-" + n + " liked your post", "",
                Map.of("postId", "post-" + author, "likerId", "liker-" + n), "like-post-" + author, 3600, Priority.HIGH, Lane.HIGH);
    }
}
