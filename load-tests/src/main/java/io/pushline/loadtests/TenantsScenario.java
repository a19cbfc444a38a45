package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.report.ProgressBar;
import io.pushline.localstack.LocalStack;
import io.pushline.mock.PushLedger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Two apps on one bulk lane: app A's author has a large audience, app B's a small one. Each post names its app
 * ({@code TimelinePosted.appId}); the pipeline shares the lane between them. Measured from each post's {@code ce_time}
 * to the mock providers' acceptance of each of its pushes.
 */
final class TenantsScenario {
    static final URI SOURCE = URI.create("pushline://bench/tenants");
    static final String AUTHOR_A = "author-a";
    static final String AUTHOR_B = "author-b";
    static final String APP_A = "app-a";
    static final String APP_B = "app-b";

    private TenantsScenario() {
    }

    /** A published post: the push ids it must lead to and its {@code ce_time}. */
    record Posted(String eventId, Set<String> expected, Instant postedAt) {}

    /** What the mocks accepted of one post: its latencies (µs) and the last acceptance. */
    record Outcome(long expected, long delivered, long duplicates, Instant postedAt, Instant lastAcceptedAt, Histogram latencyMicros) {
        double pushesPerSec() {
            double seconds = Duration.between(postedAt, lastAcceptedAt).toNanos() / 1e9;
            return seconds <= 0 ? 0 : delivered / seconds;
        }

        long lost() {
            return expected - delivered;
        }
    }

    /** Forgets what the mocks accepted so far. */
    static void clear(LocalStack stack) {
        stack.apns().ledger().clear();
        stack.fcm().ledger().clear();
        stack.mocks().webPush.ledger().clear();
    }

    /** Publishes a post by {@code author} of app {@code app}, one push per token expected. */
    static Posted post(LocalStack stack, String author, String app, List<String> tokens) throws Exception {
        String eventId = UUID.randomUUID().toString();
        Set<String> expected = new HashSet<>(tokens.size() * 2);
        for (String token : tokens) {
            expected.add(PushIds.pushId(SOURCE.toString(), eventId, token));
        }
        CloudEventCodec codec = new CloudEventCodec();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            Instant postedAt = Instant.now();
            producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, SOURCE, postedAt,
                    new TimelinePosted("post-" + eventId, author, author + " posted", "Something new from " + app, app)))).get(30, TimeUnit.SECONDS);
            return new Posted(eventId, expected, postedAt);
        }
    }

    /**
     * Waits, with a progress bar, until the mocks have accepted {@code total} pushes since they were last cleared, or
     * until {@code deadline}; returns whether they did.
     */
    static boolean awaitAccepted(LocalStack stack, long total, String label, Instant deadline) throws InterruptedException {
        ProgressBar bar = new ProgressBar(System.out, label, total);
        long accepted;
        while ((accepted = stack.acceptedCount()) < total) {
            bar.update(accepted);
            if (Instant.now().isAfter(deadline)) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(100);   // progress-bar refresh interval while waiting, bounded by the deadline
        }
        bar.finish(Math.min(stack.acceptedCount(), total));
        return stack.acceptedCount() >= total;
    }

    /** One post with nothing else running: published, awaited, committed, measured. */
    static Outcome alone(LocalStack stack, String author, String app, List<String> tokens, String label, Instant deadline)
            throws Exception {
        clear(stack);
        Posted post = post(stack, author, app, tokens);
        awaitAccepted(stack, tokens.size(), label, deadline);
        stack.awaitWorkersCaughtUp(Duration.ofMinutes(2));
        return measure(stack, post);
    }

    /** What the mocks accepted of {@code post}. */
    static Outcome measure(LocalStack stack, Posted post) {
        Histogram latency = new Histogram(3_600_000_000L, 3);
        Instant last = post.postedAt();
        for (PushLedger ledger : List.of(stack.apns().ledger(), stack.fcm().ledger(), stack.mocks().webPush.ledger())) {
            for (PushLedger.Accepted a : ledger.accepted()) {
                if (post.expected().contains(a.pushId())) {
                    latency.recordValue(Math.min(latency.getHighestTrackableValue(),
                            Math.max(0, Duration.between(post.postedAt(), a.acceptedAt()).toNanos() / 1000)));
                    if (a.acceptedAt().isAfter(last)) {
                        last = a.acceptedAt();
                    }
                }
            }
        }
        Map<String, Integer> counts = stack.acceptedByPushId();
        long delivered = 0;
        long duplicates = 0;
        for (String id : post.expected()) {
            Integer n = counts.get(id);
            if (n != null) {
                delivered++;
                duplicates += n - 1;
            }
        }
        return new Outcome(post.expected().size(), delivered, duplicates, post.postedAt(), last, latency);
    }
}
