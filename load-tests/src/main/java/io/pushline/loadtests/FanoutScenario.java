package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.loadtests.report.ProgressBar;
import io.pushline.loadtests.report.Recording;
import io.pushline.mock.PushLedger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * One author, an audience of {@code devices} devices (followers with one or two devices each: APNs, FCM and, for a
 * chosen share, web push subscriptions at the test push service), one
 * {@code TimelinePosted}: measured from the event's {@code ce_time} to the moment the mock providers accepted the last
 * push. Seeding is batched and not measured.
 */
final class FanoutScenario {
    static final String AUTHOR = "author-0";
    private static final URI SOURCE = URI.create("pushline://bench/fanout");

    record Result(long expected, long delivered, long lost, long duplicates, long unexpected, Instant postedAt,
                  Instant lastAcceptedAt, long seedMillis, long materialiseMillis, double cpuMicrosPerPush,
                  double brokerCpuMicrosPerPush, Map<String, Double> cpuMicrosByThreadGroup) {
        double pushesPerSec() {
            double seconds = Duration.between(postedAt, lastAcceptedAt).toNanos() / 1e9;
            return seconds <= 0 ? 0 : delivered / seconds;
        }
    }

    private FanoutScenario() {
    }

    /**
     * Seeds the audience and returns the tokens, in seeding order: {@code webPercent} % of the devices (spread evenly)
     * are web push subscriptions, registered as browsers give them (the token derived from the endpoint), the rest
     * alternate APNs and FCM.
     */
    static List<String> seed(LocalStack stack, int devices, int webPercent, Duration timeout) {
        return seed(stack, devices, webPercent, AUTHOR, "follower-");
    }

    /** As above, for followers of {@code author} named {@code followerPrefix} and a number. */
    static List<String> seed(LocalStack stack, int devices, int webPercent, String author, String followerPrefix) {
        CloudEventCodec codec = new CloudEventCodec();
        Map<String, Object> config = stack.producerConfig();
        config.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        List<String> tokens = new java.util.ArrayList<>(devices);
        ProgressBar bar = new ProgressBar(System.out, "seeding devices", devices);
        Instant registeredAt = Instant.now();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            int follower = 0;
            int d = 0;
            while (d < devices) {
                String user = followerPrefix + String.format("%08d", follower++);
                producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, registeredAt,
                        new FollowCreated(user, author))));
                int own = (follower % 2 == 0) ? 2 : 1;    // 1.5 devices per follower on average
                for (int k = 0; k < own && d < devices; k++, d++) {
                    DeviceRegistered device;
                    if ((long) d * webPercent % 100 < webPercent) {
                        device = new DeviceRegistered(user, null, Platform.WEBPUSH, "io.pushline.bench.web", registeredAt,
                                stack.mocks().subscribeWebDevice());
                    } else {
                        boolean apns = d % 2 == 0;
                        String token = apns ? (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "")
                                : UUID.randomUUID().toString().replace("-", "") + ":APA91b" + UUID.randomUUID().toString().replace("-", "");
                        device = new DeviceRegistered(user, token, apns ? Platform.APNS : Platform.FCM,
                                apns ? "io.pushline.bench" : "io.pushline.bench.android", registeredAt);
                    }
                    tokens.add(device.token());
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, registeredAt, device)));
                }
                if (d % 10_000 < 2) {
                    bar.update(d);
                }
            }
            producer.flush();
        }
        bar.finish(devices);
        return tokens;
    }

    /** The seeded audience: its tokens, in seeding order, and what seeding and materialising took. */
    record Audience(List<String> tokens, long seedMillis, long materialiseMillis) {}

    /** A published post: the push ids it must lead to, one per token, and its {@code ce_time}. */
    record Post(String eventId, Set<String> expected, Instant postedAt, long cpuNanosAtPost, long brokerNanosAtPost,
                java.util.concurrent.atomic.AtomicLong cpuNanosAtDelivered, java.util.concurrent.atomic.AtomicLong brokerNanosAtDelivered,
                ThreadCpu threadCpu, java.util.concurrent.atomic.AtomicReference<Map<String, Long>> threadCpuAtDelivered) {
        /** CPU (this JVM and the local broker) per push from the post until the wait for delivery ended. */
        double cpuMicrosPerPush(long pushes) {
            long end = cpuNanosAtDelivered.get();
            return pushes <= 0 || end == 0 ? 0 : (end - cpuNanosAtPost) / 1000.0 / pushes;
        }

        /** The broker's part of {@link #cpuMicrosPerPush}. */
        double brokerCpuMicrosPerPush(long pushes) {
            long end = brokerNanosAtDelivered.get();
            return pushes <= 0 || end == 0 ? 0 : (end - brokerNanosAtPost) / 1000.0 / pushes;
        }
    }

    /** Seeds {@code devices} APNs and FCM devices and waits until the topology has materialised them. */
    static Audience prepare(LocalStack stack, int devices, Duration timeout) {
        return prepare(stack, devices, 0, timeout);
    }

    /** As above, {@code webPercent} % of them web push subscriptions. */
    static Audience prepare(LocalStack stack, int devices, int webPercent, Duration timeout) {
        Instant seedStart = Instant.now();
        List<String> tokens = seed(stack, devices, webPercent, timeout);
        long seedMillis = Duration.between(seedStart, Instant.now()).toMillis();
        System.out.println("  waiting for the audience to be materialised ...");
        Instant materialiseStart = Instant.now();
        stack.awaitStateMaterialised(timeout);
        long materialiseMillis = Duration.between(materialiseStart, Instant.now()).toMillis();
        System.out.printf("  seeded in %,d ms, materialised in %,d ms%n", seedMillis, materialiseMillis);
        return new Audience(tokens, seedMillis, materialiseMillis);
    }

    /** Publishes the post and waits for every push; {@code recording} gets one latency per accepted push. */
    static Result run(LocalStack stack, Audience audience, Recording recording, Duration timeout) throws Exception {
        Post post = post(stack, audience.tokens());
        if (awaitDelivered(stack, post, () -> 0, Instant.now().plus(timeout))) {
            stack.awaitWorkersCaughtUp(Duration.ofMinutes(2));   // everything committed: a late duplicate would show now
        }
        return measure(stack, post, audience, recording, id -> false);
    }

    /** Forgets what the mocks accepted so far and publishes the post. */
    static Post post(LocalStack stack, List<String> tokens) throws Exception {
        stack.apns().ledger().clear();
        stack.fcm().ledger().clear();
        stack.mocks().webPush.ledger().clear();
        String eventId = UUID.randomUUID().toString();
        Set<String> expected = new HashSet<>(tokens.size() * 2);
        for (String token : tokens) {
            expected.add(PushIds.pushId(SOURCE.toString(), eventId, token));
        }
        CloudEventCodec codec = new CloudEventCodec();
        Instant postedAt;
        long cpuAtPost = CpuClock.withBrokerNanos(stack);
        long brokerAtPost = CpuClock.brokerNanos(stack);
        ThreadCpu threadCpu = ThreadCpu.start();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            postedAt = Instant.now();
            producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, SOURCE, postedAt,
                    new TimelinePosted("post-0", AUTHOR, AUTHOR + " posted", "Something new on " + AUTHOR + "'s timeline")))).get(30, TimeUnit.SECONDS);
        }
        return new Post(eventId, expected, postedAt, cpuAtPost, brokerAtPost, new java.util.concurrent.atomic.AtomicLong(),
                new java.util.concurrent.atomic.AtomicLong(), threadCpu, new java.util.concurrent.atomic.AtomicReference<>(Map.of()));
    }

    /**
     * Waits, with a progress bar, until the mocks have accepted as many pushes as the post expects plus
     * {@code others} (pushes of other flows accepted since the post, e.g. likes), or until {@code deadline}.
     *
     * @return whether every expected push was accepted in time (what is missing is reported as lost)
     */
    static boolean awaitDelivered(LocalStack stack, Post post, LongSupplier others, Instant deadline) throws InterruptedException {
        int expected = post.expected().size();
        ProgressBar bar = new ProgressBar(System.out, "delivering pushes", expected);
        long accepted;
        while ((accepted = stack.acceptedCount()) < expected + others.getAsLong()) {
            bar.update(Math.max(0, accepted - others.getAsLong()));
            if (Instant.now().isAfter(deadline)) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(100);   // progress-bar refresh interval while waiting, bounded by the deadline
        }
        long done = Math.max(0, stack.acceptedCount() - others.getAsLong());
        post.cpuNanosAtDelivered().set(CpuClock.withBrokerNanos(stack));
        post.brokerNanosAtDelivered().set(CpuClock.brokerNanos(stack));
        post.threadCpuAtDelivered().set(post.threadCpu().nanosByGroup());
        bar.finish(Math.min(done, expected));
        return done >= expected;
    }

    /**
     * Counts what the mocks accepted for the post: delivered, lost, duplicates (of any push id) and unexpected (push
     * ids neither the post's nor {@code others}'). {@code recording} gets the latency of each of the post's pushes.
     */
    static Result measure(LocalStack stack, Post post, Audience audience, Recording recording, Predicate<String> others) {
        Set<String> expected = post.expected();
        Instant last = post.postedAt();
        for (PushLedger ledger : List.of(stack.apns().ledger(), stack.fcm().ledger(), stack.mocks().webPush.ledger())) {
            for (PushLedger.Accepted a : ledger.accepted()) {
                if (expected.contains(a.pushId())) {
                    recording.recordLatencyMicros(Math.max(0, Duration.between(post.postedAt(), a.acceptedAt()).toNanos() / 1000));
                    if (a.acceptedAt().isAfter(last)) {
                        last = a.acceptedAt();
                    }
                }
            }
        }
        Map<String, Integer> counts = stack.acceptedByPushId();
        long delivered = expected.stream().filter(counts::containsKey).count();
        long duplicates = counts.values().stream().mapToLong(n -> n - 1L).sum();
        long unexpected = counts.keySet().stream().filter(id -> !expected.contains(id) && !others.test(id)).count();
        return new Result(expected.size(), delivered, expected.size() - delivered, duplicates, unexpected, post.postedAt(), last,
                audience.seedMillis(), audience.materialiseMillis(), post.cpuMicrosPerPush(delivered),
                post.brokerCpuMicrosPerPush(delivered), ThreadCpu.perUnit(post.threadCpuAtDelivered().get(), delivered));
    }
}
