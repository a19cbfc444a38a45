package io.pushline.loadtests;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.Replication;
import io.pushline.contracts.Topics;
import io.pushline.coordinators.CoordinatorTopology;
import io.pushline.coordinators.FinishedLikes;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localstack.LocalStack;
import io.pushline.localstack.MockProviders;
import io.pushline.mock.PushLedger;
import io.pushline.pipeline.Pipeline;
import io.pushline.pipeline.ProcessRole;
import io.pushline.topology.TopologyConfig;
import io.pushline.workers.WorkerMetrics;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * One deployment of {@code pushline bench history}: its own broker (a child process) and data directory, the mock
 * providers, and the whole pipeline in this JVM, which is started three times:
 * <ol>
 *   <li>once on the empty deployment, so that every topic, changelog and group exists, then stopped;</li>
 *   <li>after the seeding (the history, written straight to the topics, see {@link Sizes}), to take it in as the
 *       deployment did over the months: the expansion and the coordinators consume the devices and follows, the
 *       coordinators restore the finished likes from their changelog; it is stopped cleanly once it has caught up and
 *       sent a like;</li>
 *   <li>the measured restart: a like is published, the pipeline started, and the time from the start to that like's
 *       push at a mock is {@code restartToFirstPushMs}; then {@code likes} more at a steady rate, each of which must be
 *       delivered once. Heap after collections is sampled throughout, and read once more after a full collection at
 *       the end; the receipts the workers hold come from their gauge.</li>
 * </ol>
 * The empty deployment (no history, the same like owners) runs first in the same run, as the baseline.
 */
final class HistoryScenario {
    static final URI SOURCE = URI.create("pushline://bench/history");
    /** The push receipts' retention with the defaults ({@link Topics#PUSH_RECEIPTS_RETENTION}): what the workers hold. */
    static final Duration RECEIPTS_RETENTION = Topics.PUSH_RECEIPTS_RETENTION;
    private static final Duration LIKE_INTERVAL = Duration.ofMillis(20);

    private HistoryScenario() {
    }

    /**
     * The history to build; all zeros is the empty deployment.
     *
     * @param receipts push receipts, their timestamps evenly spread over {@code historyDays} up to now
     * @param devices users with one device each (the like owners are the first of them)
     * @param follows follow edges between those users
     * @param finishedLikes likes whose coordinators finished: their standing decision and their posts' counts
     * @param historyDays how far back the history goes
     */
    record Sizes(long receipts, int devices, long follows, long finishedLikes, int historyDays) {
        static Sizes empty(int historyDays) {
            return new Sizes(0, 0, 0, 0, historyDays);
        }

        boolean isEmpty() {
            return receipts == 0 && devices == 0 && follows == 0 && finishedLikes == 0;
        }
    }

    /**
     * What one deployment measured.
     *
     * @param seedingMs writing the history to the topics
     * @param takeInMs the second start: until the pipeline had consumed and restored the history and sent a like
     * @param restartToFirstPushMs the measured restart: from the pipeline's start to the first like's push at a mock
     * @param peakHeapMb the highest heap in use after a collection during the measured restart and its likes
     * @param receiptsHeld the receipts the workers' index held (its gauge, the highest reading)
     * @param receiptsOnTopic records on the receipts topic when the restart began (end minus start offsets)
     * @param receiptsWithinRetention of the seeded receipts, those younger than the retention at the restart
     * @param likes likes sent after the first, and their outcome
     * @param likeLatencyMicros from each like's send to its push's first acceptance
     */
    record Result(long seedingMs, long takeInMs, long restartToFirstPushMs, double peakHeapMb, long receiptsHeld,
                  long receiptsOnTopic, long receiptsWithinRetention, int likes, long lost, long duplicates,
                  double likesDeliveredPerSec, Histogram likeLatencyMicros) {
    }

    static Result run(String name, Path dir, Sizes sizes, int owners, int likes, int partitions, int inFlight, Duration timeout,
                      PrintStream out) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        CloudEventCodec codec = new CloudEventCodec();
        List<LikesScenario.Owner> likeOwners = LikesScenario.owners(owners);
        out.printf("%n%s deployment:%n", name);
        out.print("  starting Kafka broker (KRaft, child process) ... ");
        try (LocalBroker broker = LocalBroker.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).heap("1g")
                .shutdownHook(true).build().start();
             Admin admin = Admin.create(broker.clientConfig());
             MockProviders mocks = MockProviders.start(new SimpleMeterRegistry())) {
            out.printf("up at %s (pid %d)%n", broker.bootstrapServers(), broker.pid());
            Pipeline.Settings settings = new Pipeline.Settings(broker.bootstrapServers(), Map.of(), partitions, Replication.Choice.AUTO,
                    dir.resolve("streams"), LocalStack.TOPOLOGY_GROUP, inFlight, TopologyConfig.DEFAULT_PAGE_SIZE,
                    TopologyConfig.DEFAULT_PAGE_INTERVAL);

            out.print("  first start (creates the topics and groups) ... ");
            try (Pipeline first = Pipeline.startLanes(settings, ProcessRole.pipelineRoles(), mocks.byLane(), new SimpleMeterRegistry())) {
                awaitReady(first, deadline);
            }
            out.println("stopped");

            long seedingStart = System.nanoTime();
            Instant now = Instant.now();
            long withinRetention = seed(broker.clientConfig(), codec, sizes, likeOwners, partitions, now, out);
            long seedingMs = elapsedMs(seedingStart);

            out.print("  second start: taking in the history ... ");
            long takeInStart = System.nanoTime();
            try (Pipeline second = Pipeline.startLanes(settings, ProcessRole.pipelineRoles(), mocks.byLane(), new SimpleMeterRegistry())) {
                awaitReady(second, deadline);
                LocalStack.awaitCaughtUp(admin, LocalStack.TOPOLOGY_GROUP, List.of(Topics.STATE_DEVICES, Topics.STATE_FOLLOWS),
                        remaining(deadline));
                LocalStack.awaitCaughtUp(admin, CoordinatorTopology.DEFAULT_APPLICATION_ID, List.of(Topics.STATE_DEVICES), remaining(deadline));
                String pushId = publish(broker.clientConfig(), List.of(LikesScenario.like(codec, likeOwners.get(0), 0, Instant.now())));
                awaitUntil(() -> mocks.acceptedByPushId().containsKey(pushId), deadline, "the take-in like's push");
            }
            long takeInMs = elapsedMs(takeInStart);
            out.printf("done in %,d ms%n", takeInMs);

            long receiptsOnTopic = records(admin, Topics.PUSH_RECEIPTS);
            System.gc();   // the harness's and the earlier starts' garbage: the samples below are the restart's own
            HeapSampler heap = new HeapSampler();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            AtomicLong receiptsHeld = new AtomicLong();
            heap.also(() -> receiptsHeld.accumulateAndGet(gauge(registry, WorkerMetrics.RECEIPTS_INDEXED), Math::max));
            out.print("  measured restart ... ");
            long firstN = 1_000_000L;
            MixedScenario.Message first = LikesScenario.like(codec, likeOwners.get(0), firstN, Instant.now());
            Instant restartBegan = Instant.now();
            publish(broker.clientConfig(), List.of(first));
            Result result;
            try (heap; Pipeline restarted = Pipeline.startLanes(settings, ProcessRole.pipelineRoles(), mocks.byLane(), registry)) {
                awaitUntil(() -> mocks.acceptedByPushId().containsKey(first.pushId()), deadline, "the first push after the restart");
                Instant firstAccepted = firstAcceptance(mocks, first.pushId());
                long restartToFirstPushMs = Duration.between(restartBegan, firstAccepted).toMillis();
                out.printf("first push %,d ms after the start; %d likes ... ", restartToFirstPushMs, likes);

                Map<String, Instant> sentAt = new HashMap<>();
                List<MixedScenario.Message> batch = new ArrayList<>();
                for (int i = 0; i < likes; i++) {
                    batch.add(LikesScenario.like(codec, likeOwners.get(i % likeOwners.size()), firstN + 1 + i, Instant.now()));
                }
                Instant likesBegan = Instant.now();
                try (KafkaProducer<String, byte[]> producer = producer(broker.clientConfig())) {
                    for (MixedScenario.Message m : batch) {
                        sentAt.put(m.pushId(), Instant.now());
                        producer.send(m.record());
                        producer.flush();
                        sleepUntil(Instant.now().plus(LIKE_INTERVAL));
                    }
                }
                Instant drainLimit = Instant.now().plus(LikesScenario.DRAIN).isBefore(deadline) ? Instant.now().plus(LikesScenario.DRAIN) : deadline;
                try {
                    LocalStack.awaitCondition(() -> mocks.acceptedByPushId().keySet().containsAll(sentAt.keySet()),
                            Duration.between(Instant.now(), drainLimit), () -> "the likes' pushes");
                } catch (IllegalStateException drained) {
                    // what is missing now is counted as lost below
                }
                Map<String, Integer> counts = mocks.acceptedByPushId();
                long lost = sentAt.keySet().stream().filter(id -> !counts.containsKey(id)).count();
                long duplicates = sentAt.keySet().stream().mapToLong(id -> Math.max(0, counts.getOrDefault(id, 0) - 1)).sum()
                        + Math.max(0, counts.getOrDefault(first.pushId(), 0) - 1);
                Histogram latency = new Histogram(3);
                Instant last = likesBegan;
                for (Map.Entry<String, Instant> accepted : firstAcceptances(mocks, sentAt.keySet()).entrySet()) {
                    latency.recordValue(Math.max(0, Duration.between(sentAt.get(accepted.getKey()), accepted.getValue()).toNanos() / 1000));
                    last = accepted.getValue().isAfter(last) ? accepted.getValue() : last;
                }
                double perSec = latency.getTotalCount() / Math.max(0.001, Duration.between(likesBegan, last).toMillis() / 1000.0);
                heap.sampleNow();
                out.printf("lost %d, duplicates %d%n", lost, duplicates);
                result = new Result(seedingMs, takeInMs, restartToFirstPushMs, heap.peakAfterGcMb(), receiptsHeld.get(), receiptsOnTopic,
                        withinRetention, likes, lost, duplicates, perSec, latency);
            }
            return result;
        } finally {
            deleteQuietly(dir);
        }
    }

    // ---- seeding -----------------------------------------------------------------------------------------------

    /**
     * Writes the history straight to the topics, as the pipeline would have over {@code historyDays}; returns how many
     * of the receipts are younger than the receipts' retention.
     */
    private static long seed(Map<String, Object> clientConfig, CloudEventCodec codec, Sizes sizes, List<LikesScenario.Owner> owners,
                             int partitions, Instant now, PrintStream out) throws Exception {
        AtomicLong failures = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long withinRetention = 0;
        try (KafkaProducer<String, byte[]> producer = bulkProducer(clientConfig)) {
            org.apache.kafka.clients.producer.Callback callback = (metadata, error) -> {
                if (error != null && failures.incrementAndGet() == 1) {
                    firstFailure.set(error);
                }
            };
            Instant registeredAt = now.minus(Duration.ofDays(sizes.historyDays()));
            // The like owners' devices: the only state the empty deployment has.
            for (LikesScenario.Owner owner : owners) {
                send(producer, Topics.STATE_DEVICES, owner.userId(), Keys.compound(owner.userId(), owner.token()), registeredAt,
                        codec.toRecord(Topics.STATE_DEVICES, Envelope.of(UUID.randomUUID().toString(), SOURCE, registeredAt,
                                new DeviceRegistered(owner.userId(), owner.token(), owner.platform(), owner.appId(), registeredAt))),
                        partitions, callback);
            }
            if (!sizes.isEmpty()) {
                int users = Math.max(owners.size(), sizes.devices());
                long t = System.nanoTime();
                out.printf("  seeding %,d devices ... ", sizes.devices());
                for (int i = owners.size(); i < sizes.devices(); i++) {
                    String user = user(i);
                    boolean apns = i % 2 == 0;
                    String token = syntheticToken(i, apns);
                    Instant at = registeredAt.plusMillis((long) i * Duration.ofDays(sizes.historyDays()).toMillis() / Math.max(1, sizes.devices()));
                    send(producer, Topics.STATE_DEVICES, user, Keys.compound(user, token), at,
                            codec.toRecord(Topics.STATE_DEVICES, Envelope.of(UUID.randomUUID().toString(), SOURCE, at,
                                    new DeviceRegistered(user, token, apns ? Platform.APNS : Platform.FCM,
                                            apns ? "io.pushline.bench" : "io.pushline.bench.android", at))), partitions, callback);
                }
                out.printf("%,d ms; %,d follows ... ", elapsedMs(t), sizes.follows());
                t = System.nanoTime();
                SplittableRandom random = new SplittableRandom(42);
                for (long i = 0; i < sizes.follows(); i++) {
                    String follower = user(random.nextInt(users));
                    String followee = user(random.nextInt(users));
                    Instant at = registeredAt.plusMillis(i * Duration.ofDays(sizes.historyDays()).toMillis() / Math.max(1, sizes.follows()));
                    send(producer, Topics.STATE_FOLLOWS, follower, Keys.compound(follower, followee), at,
                            codec.toRecord(Topics.STATE_FOLLOWS, Envelope.of(UUID.randomUUID().toString(), SOURCE, at,
                                    new FollowCreated(follower, followee))), partitions, callback);
                }
                out.printf("%,d ms%n  seeding %,d finished likes ... ", elapsedMs(t), sizes.finishedLikes());
                t = System.nanoTime();
                String changelog = FinishedLikes.factsChangelog(CoordinatorTopology.DEFAULT_APPLICATION_ID);
                for (long i = 0; i < sizes.finishedLikes(); i++) {
                    long post = i / 10;   // ten likes per post
                    String owner = user((int) (post % users));
                    String postId = "post-" + owner + "-" + post;
                    String actor = user((int) ((i * 7919) % users));
                    Instant at = registeredAt.plusMillis(i * Duration.ofDays(sizes.historyDays()).toMillis() / Math.max(1, sizes.finishedLikes()));
                    String eventId = UUID.randomUUID().toString();
                    Map.Entry<String, byte[]> decision = FinishedLikes.decision(actor, postId, at, eventId, "like:" + eventId);
                    producer.send(new ProducerRecord<>(changelog, Keys.partitionFor(owner, partitions), at.toEpochMilli(), decision.getKey(),
                            decision.getValue()), callback);
                    if (i % 10 == 9 || i == sizes.finishedLikes() - 1) {
                        Map.Entry<String, byte[]> count = FinishedLikes.count(postId, i % 10 + 1);
                        producer.send(new ProducerRecord<>(changelog, Keys.partitionFor(owner, partitions), at.toEpochMilli(), count.getKey(),
                                count.getValue()), callback);
                    }
                }
                out.printf("%,d ms; %,d receipts over %d days ... ", elapsedMs(t), sizes.receipts(), sizes.historyDays());
                t = System.nanoTime();
                withinRetention = seedReceipts(producer, codec, sizes, users, partitions, now, callback);
                producer.flush();
                out.printf("%,d ms%n", elapsedMs(t));
            }
            producer.flush();
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " seeding writes failed; the first: " + firstFailure.get(), firstFailure.get());
        }
        return withinRetention;
    }

    /**
     * The receipts, in time order (so that each partition's time index is too), each keyed {@code userId|pushId} as the
     * workers key them, with the status header. The workers' index reads only key, header and timestamp; the value is one
     * real encoded receipt, shared (the broker compresses it away, which keeps 20 million of them to a few hundred MB).
     */
    private static long seedReceipts(KafkaProducer<String, byte[]> producer, CloudEventCodec codec, Sizes sizes, int users, int partitions,
                                     Instant now, org.apache.kafka.clients.producer.Callback callback) {
        PushReceipt sample = new PushReceipt(UUID.randomUUID().toString(), UUID.randomUUID().toString(), syntheticToken(0, true),
                Platform.APNS, ReceiptStatus.DELIVERED, "apns-id", null, now);
        ProducerRecord<String, byte[]> encoded = codec.toRecord(Topics.PUSH_RECEIPTS, Envelope.of(UUID.randomUUID().toString(), SOURCE, now, sample));
        byte[] value = encoded.value();
        long span = Duration.ofDays(sizes.historyDays()).toMillis();
        long begin = now.toEpochMilli() - span;
        long cutoff = now.toEpochMilli() - RECEIPTS_RETENTION.toMillis();
        SplittableRandom random = new SplittableRandom(7);
        long within = 0;
        for (long i = 0; i < sizes.receipts(); i++) {
            long at = begin + (i * span) / sizes.receipts();
            String user = user(random.nextInt(users));
            String pushId = new UUID(random.nextLong(), random.nextLong()).toString();
            RecordHeaders headers = new RecordHeaders();
            encoded.headers().forEach(headers::add);
            headers.add(io.pushline.workers.PushWorker.RECEIPT_STATUS_HEADER, "DELIVERED".getBytes(StandardCharsets.US_ASCII));
            producer.send(new ProducerRecord<>(Topics.PUSH_RECEIPTS, Keys.partitionFor(user, partitions), at, Keys.compound(user, pushId),
                    value, headers), callback);
            if (at >= cutoff) {
                within++;
            }
        }
        return within;
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String partitionKey, String key, Instant at,
                             ProducerRecord<String, byte[]> encoded, int partitions,
                             org.apache.kafka.clients.producer.Callback callback) {
        producer.send(new ProducerRecord<>(topic, Keys.partitionFor(partitionKey, partitions), at.toEpochMilli(), key, encoded.value(),
                encoded.headers()), callback);
    }

    static String user(int i) {
        return String.format("user-%07d", i);
    }

    /** A token of the platform's shape, unique per {@code i} (the mocks accept any). */
    static String syntheticToken(int i, boolean apns) {
        String hex = String.format("%064x", (long) i * 2654435761L);
        return apns ? hex : hex.substring(0, 22) + ":APA91b" + hex.substring(22);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static KafkaProducer<String, byte[]> bulkProducer(Map<String, Object> clientConfig) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    private static KafkaProducer<String, byte[]> producer(Map<String, Object> clientConfig) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** Publishes the messages' records; returns the last one's push id. */
    private static String publish(Map<String, Object> clientConfig, List<MixedScenario.Message> messages) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(clientConfig)) {
            for (MixedScenario.Message m : messages) {
                producer.send(m.record()).get(30, TimeUnit.SECONDS);
            }
        }
        return messages.get(messages.size() - 1).pushId();
    }

    private static void awaitReady(Pipeline pipeline, Instant deadline) {
        awaitUntil(() -> pipeline.notReady() == null, deadline, "the pipeline to be ready (" + pipeline.notReady() + ")");
    }

    private static void awaitUntil(BooleanSupplier condition, Instant deadline, String what) {
        LocalStack.awaitCondition(condition, remaining(deadline), () -> what);
    }

    private static Duration remaining(Instant deadline) {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    private static Instant firstAcceptance(MockProviders mocks, String pushId) {
        return firstAcceptances(mocks, List.of(pushId)).get(pushId);
    }

    private static Map<String, Instant> firstAcceptances(MockProviders mocks, java.util.Collection<String> pushIds) {
        java.util.Set<String> wanted = new java.util.HashSet<>(pushIds);
        Map<String, Instant> first = new HashMap<>();
        for (PushLedger ledger : List.of(mocks.apns.ledger(), mocks.fcm.ledger())) {
            for (PushLedger.Accepted a : ledger.accepted()) {
                if (wanted.contains(a.pushId())) {
                    first.merge(a.pushId(), a.acceptedAt(), (x, y) -> x.isBefore(y) ? x : y);
                }
            }
        }
        return first;
    }

    /** Records on {@code topic}: the sum over its partitions of end minus start offset. */
    private static long records(Admin admin, String topic) throws Exception {
        int count = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < count; p++) {
            earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long start = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
        long end = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
        return end - start;
    }

    private static long gauge(SimpleMeterRegistry registry, String name) {
        Gauge gauge = registry.find(name).gauge();
        double value = gauge == null ? Double.NaN : gauge.value();
        return Double.isFinite(value) ? (long) value : 0;
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Paces the likes (a wall-clock wait between sends, not a wait for a condition). */
    private static void sleepUntil(Instant until) throws InterruptedException {
        long nanos = Duration.between(Instant.now(), until).toNanos();
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            System.err.println("pushline bench history: could not delete " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Heap in use after the last collection, every 200 ms, with the highest kept; also runs one more probe per tick.
     * {@link #sampleNow()} forces a full collection first: the live data at that moment, whatever the collector did.
     */
    private static final class HeapSampler implements AutoCloseable {
        private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pushline-bench-heap");
            t.setDaemon(true);
            return t;
        });
        private final List<Runnable> probes = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile double peak;

        HeapSampler() {
            scheduler.scheduleAtFixedRate(this::tick, 0, 200, TimeUnit.MILLISECONDS);
        }

        void also(Runnable probe) {
            probes.add(probe);
        }

        private void tick() {
            try {
                peak = Math.max(peak, Sampler.heapAfterGcMb());
                probes.forEach(Runnable::run);
            } catch (RuntimeException e) {
                // a missed sample
            }
        }

        void sampleNow() {
            System.gc();
            tick();
            peak = Math.max(peak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0);
        }

        double peakAfterGcMb() {
            return peak;
        }

        @Override
        public void close() {
            scheduler.shutdownNow();
        }
    }
}
