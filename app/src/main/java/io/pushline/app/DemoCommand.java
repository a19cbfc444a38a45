package io.pushline.app;

import io.pushline.localstack.LocalStack;
import io.pushline.observability.ConsumerLag;
import io.pushline.observability.OpsServer;
import io.pushline.pipeline.Pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

/** {@code pushline demo}: a real broker, every role, the mock providers, a seeded social graph, and a verdict. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Starts a real single-node Kafka broker (KRaft, child process), every Pushline role and the mock push",
                "providers; seeds a social graph, publishes events, and checks that every expected push arrived once.",
                "Exits 0 only when nothing was lost and nothing was duplicated."})
final class DemoCommand implements Callable<Integer> {
    static final String SOURCE = "pushline://demo";

    @Spec
    CommandSpec spec;

    /** The demo reads consumer lag more often than {@code pushline run} (10 s), so the dashboard's lag moves visibly. */
    private static final Duration LAG_INTERVAL = Duration.ofSeconds(2);

    @Option(names = "--users", paramLabel = "N", description = "Users to seed (default: ${DEFAULT-VALUE}).", defaultValue = "10000")
    int users;

    @Option(names = "--devices", paramLabel = "N", description = "Devices to seed, at least one per user (default: ${DEFAULT-VALUE}).", defaultValue = "25000")
    int devices;

    @Option(names = "--posts", paramLabel = "N", description = "Timeline posts to fan out, one per popular author (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int posts;

    @Option(names = "--likes", paramLabel = "N", description = "Likes of the authors' posts, each run by a like coordinator (default: ${DEFAULT-VALUE}).", defaultValue = "200")
    int likes;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed of the social graph (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions of Pushline's topics (default: ${DEFAULT-VALUE}).", defaultValue = "6")
    int partitions;

    @Option(names = "--kafka-port", paramLabel = "PORT", description = "Port of the demo broker on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).", defaultValue = "19092")
    int kafkaPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the broker and state stores keep their data (default: ${DEFAULT-VALUE}).", defaultValue = ".pushline/demo")
    Path dataDir;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Give up when delivery takes longer, ISO-8601 or like 5m, 90s (default: ${DEFAULT-VALUE}).", defaultValue = "10m")
    String timeout;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as one JSON object to FILE.")
    Path summaryJson;

    @Option(names = "--http-address", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:9400",
            description = {"Where to serve the live dashboard, /metrics and /health/* while the demo runs",
                    "(default: ${DEFAULT-VALUE}; port 0 picks a free one; off serves nothing)."})
    String httpAddress;

    @Option(names = "--keep-running", description = "Keep the broker and every role running after the summary, until Ctrl-C.")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Duration deadline = validate();
        InetSocketAddress http;
        try {
            http = RunCommand.parseHttpAddress(httpAddress);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--http-address: " + e.getMessage());
        }
        PrintStream out = System.out;
        Instant started = Instant.now();
        Path runDir = dataDir.toAbsolutePath().resolve("run-" + started.toEpochMilli());
        LocalStack[] stackRef = new LocalStack[1];
        Thread hook = new Thread(() -> {
            synchronized (stackRef) {
                if (stackRef[0] != null) {
                    stackRef[0].close();
                }
            }
        }, "pushline-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.printf("Pushline demo: %,d users, %,d devices, %d timeline posts%n", users, devices, posts);
            LocalStack stack;
            synchronized (stackRef) {
                stack = LocalStack.start(new LocalStack.Options(null, kafkaPort, runDir, partitions, 512)
                        .withLagInterval(LAG_INTERVAL), out);
                stackRef[0] = stack;
            }
            if (http != null) {
                // Closed with the stack (it owns the registry the page reads); an address in use stops the demo here.
                OpsServer ops = stack.own(OpsServer.start(http, stack.registry(), () -> null));
                out.printf("  dashboard: http://%s:%d/%n", http.getHostString(), ops.port());
                out.printf("  metrics at http://%s:%d/metrics (Prometheus), health at /health/live and /health/ready%n",
                        http.getHostString(), ops.port());
            }
            SocialGraph graph = SocialGraph.generate(users, devices, posts, seed);
            Map<String, Object> clients = stack.clientConfig();
            CloudEventCodec codec = new CloudEventCodec();
            URI source = URI.create(SOURCE);
            long published = 0;
            int badPublished;
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(seedProducerConfig(stack.producerConfig()),
                    new StringSerializer(), new ByteArraySerializer())) {
                Instant seedStart = Instant.now();
                // The graph is imported before any device registers: the follow flow notifies each followee (activity,
                // notification inbox) but finds no device to push to, as with a real import. Devices come once the
                // coordinators have run every follow, so which pushes a follow makes does not depend on timing.
                for (SocialGraph.Edge e : graph.follows) {
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(),
                            new FollowCreated(e.followerId(), e.followeeId()))));
                    published++;
                }
                for (SocialGraph.Edge e : graph.unfollows) {
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(),
                            new FollowRemoved(e.followerId(), e.followeeId()))));
                    published++;
                }
                producer.flush();
                stack.awaitCoordinatorsCaughtUp(deadline);
                for (SocialGraph.Device d : graph.devices) {
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(),
                            new DeviceRegistered(d.userId(), d.token(), d.platform(), d.appId(), Instant.now()))));
                    published++;
                }
                List<ProducerRecord<String, byte[]>> bad = badRecords();
                bad.forEach(producer::send);
                badPublished = bad.size();
                published += badPublished;
                producer.flush();
                out.printf("  seeded %,d follows, %,d unfollows, %,d devices and %d malformed events in %d ms%n",
                        graph.follows.size(), graph.unfollows.size(), graph.devices.size(), badPublished,
                        Duration.between(seedStart, Instant.now()).toMillis());

                out.println("  waiting for device and follow state to be materialised (the malformed events are dead-lettered)");
                Instant materialiseStart = Instant.now();
                stack.awaitStateMaterialised(deadline);
                stack.awaitCoordinatorsCaughtUp(deadline);
                out.printf("  state materialised in %d ms%n", Duration.between(materialiseStart, Instant.now()).toMillis());

                Set<String> expected = new HashSet<>();
                Map<String, List<SocialGraph.Device>> devicesByUser = new HashMap<>();
                graph.devices.forEach(d -> devicesByUser.computeIfAbsent(d.userId(), k -> new ArrayList<>()).add(d));
                for (String author : graph.authors) {
                    String eventId = UUID.randomUUID().toString();
                    for (String follower : graph.followersOf(author)) {
                        for (SocialGraph.Device d : devicesByUser.getOrDefault(follower, List.of())) {
                            expected.add(PushIds.pushId(eventId, d.token()));
                        }
                    }
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, source, Instant.now(),
                            new TimelinePosted("post-" + author, author, author + " posted", "Something new on " + author + "'s timeline"))));
                    published++;
                }
                // Likes of the authors' posts run through the like coordinator: each pushes to the author's devices on
                // the high lane (self-likes notify nobody).
                int likePushes = 0;
                for (SocialGraph.Like like : graph.likes(likes, seed)) {
                    String eventId = UUID.randomUUID().toString();
                    if (!like.actorId().equals(like.authorId())) {
                        for (SocialGraph.Device d : devicesByUser.getOrDefault(like.authorId(), List.of())) {
                            expected.add(PushIds.pushId(eventId, d.token()));
                            likePushes++;
                        }
                    }
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, source, Instant.now(),
                            new LikeCreated(like.actorId(), "post-" + like.authorId(), like.authorId()))));
                    published++;
                }
                producer.flush();
                out.printf("  published %d timeline posts and %d likes: %,d pushes expected (%,d of them for likes)%n",
                        graph.authors.size(), likes, expected.size(), likePushes);

                Instant deliveryStart = Instant.now();
                Progress progress = new Progress(out, expected.size());
                LocalStack.awaitCondition(() -> {
                    progress.show(stack.acceptedCount());
                    return stack.acceptedByPushId().keySet().containsAll(expected);
                }, deadline, () -> "only " + stack.acceptedCount() + " of " + expected.size() + " pushes arrived");
                // Wait until the workers have committed everything, so any redelivery would already have shown.
                stack.awaitWorkersCaughtUp(Duration.ofMinutes(1));
                int badCount = badPublished;
                Duration readTimeout = Duration.ofSeconds(30);
                LocalStack.awaitCondition(() -> stack.countRecords(Topics.DEAD_LETTERS, readTimeout) >= badCount, readTimeout,
                        () -> "only " + stack.countRecords(Topics.DEAD_LETTERS, readTimeout) + " of " + badCount + " malformed events were dead-lettered");
                long deadLettered = stack.countRecords(Topics.DEAD_LETTERS, readTimeout);
                progress.done(stack.acceptedCount());
                long deliveryMillis = Duration.between(deliveryStart, Instant.now()).toMillis();

                Map<String, Integer> accepted = stack.acceptedByPushId();
                long delivered = expected.stream().filter(accepted::containsKey).count();
                long duplicates = accepted.values().stream().mapToLong(n -> n - 1L).sum();
                long unexpected = accepted.keySet().stream().filter(id -> !expected.contains(id)).count();
                long lost = expected.size() - delivered;
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("published", published);
                summary.put("users", graph.users.size());
                summary.put("devices", graph.devices.size());
                summary.put("follows", graph.follows.size() - graph.unfollows.size());
                summary.put("timelinePosts", graph.authors.size());
                summary.put("likes", likes);
                summary.put("pushesExpected", expected.size());
                summary.put("pushesDelivered", delivered);
                summary.put("apnsAccepted", stack.apns().ledger().acceptedCount());
                summary.put("fcmAccepted", stack.fcm().ledger().acceptedCount());
                summary.put("duplicates", duplicates);
                summary.put("unexpected", unexpected);
                summary.put("lost", lost);
                summary.put("deadLettered", deadLettered);
                summary.put("retries", Math.round(stack.registry().find(io.pushline.workers.WorkerMetrics.RETRIES).counters().stream()
                        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum()));
                summary.put("malformedPublished", badPublished);
                summary.put("deliveryMs", deliveryMillis);
                summary.put("pushesPerSecond", deliveryMillis == 0 ? 0 : Math.round(delivered * 1000.0 / deliveryMillis));
                summary.put("elapsedMs", Duration.between(started, Instant.now()).toMillis());
                printSummary(out, summary);
                if (summaryJson != null) {
                    Path parent = summaryJson.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(summaryJson.toFile(), summary);
                    out.println("  summary written to " + summaryJson);
                }
                boolean ok = lost == 0 && duplicates == 0 && unexpected == 0;
                out.println(ok ? "ALL-PUSHES-DELIVERED-ONCE" : "DELIVERY-FAILED");
                if (keepRunning) {
                    out.printf("  still running (broker at %s); Ctrl-C to stop%n", stack.bootstrapServers());
                    new java.util.concurrent.CountDownLatch(1).await();
                }
                return ok ? 0 : 1;
            }
        } finally {
            synchronized (stackRef) {
                if (stackRef[0] != null) {
                    stackRef[0].close();
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    private Duration validate() {
        if (users < 2) {
            throw new ParameterException(spec.commandLine(), "--users must be at least 2, was " + users);
        }
        if (devices < users) {
            throw new ParameterException(spec.commandLine(), "--devices must be at least --users (" + users + "), was " + devices);
        }
        if (likes < 0 || likes > 100_000) {
            throw new ParameterException(spec.commandLine(), "--likes must be between 0 and 100000, was " + likes);
        }
        if (posts < 1 || posts > users) {
            throw new ParameterException(spec.commandLine(), "--posts must be between 1 and --users (" + users + "), was " + posts);
        }
        if (partitions < 1 || partitions > 1000) {
            throw new ParameterException(spec.commandLine(), "--partitions must be between 1 and 1000, was " + partitions);
        }
        if (kafkaPort < 0 || kafkaPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--kafka-port must be between 0 and 65535, was " + kafkaPort);
        }
        try {
            return Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
    }

    /** Malformed events a careless publisher could send; each must end up dead-lettered, none may stop the router. */
    static List<ProducerRecord<String, byte[]>> badRecords() {
        List<ProducerRecord<String, byte[]>> bad = new ArrayList<>();
        bad.add(new ProducerRecord<>(Topics.EVENTS, null, "no-headers", "{\"hello\":1}".getBytes(StandardCharsets.UTF_8), new RecordHeaders()));
        bad.add(new ProducerRecord<>(Topics.EVENTS, null, "bad-json", "{not json".getBytes(StandardCharsets.UTF_8),
                ceHeaders("io.pushline.follow.created.v1")));
        bad.add(new ProducerRecord<>(Topics.EVENTS, null, "unknown-type", "{}".getBytes(StandardCharsets.UTF_8),
                ceHeaders("com.example.unknown.v1")));
        bad.add(new ProducerRecord<>(Topics.EVENTS, null, "missing-field", "{\"followerId\":\"user-1\"}".getBytes(StandardCharsets.UTF_8),
                ceHeaders("io.pushline.follow.created.v1")));
        bad.add(new ProducerRecord<>(Topics.EVENTS, null, "not-utf8", new byte[]{(byte) 0xC3, (byte) 0x28, (byte) 0xFF},
                ceHeaders("io.pushline.follow.created.v1")));
        return bad;
    }

    private static RecordHeaders ceHeaders(String type) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(new RecordHeader("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_source", SOURCE.getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_type", type.getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("ce_time", Instant.now().toString().getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader("content-type", "application/json".getBytes(StandardCharsets.UTF_8)));
        return headers;
    }

    private static Map<String, Object> seedProducerConfig(Map<String, Object> clients) {
        Map<String, Object> config = Pipeline.producerConfig(clients);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return config;
    }

    private static void printSummary(PrintStream out, Map<String, Object> summary) {
        out.println();
        out.println("  Summary");
        summary.forEach((k, v) -> out.printf("    %-20s %s%n", k, v instanceof Number n ? String.format("%,d", n.longValue()) : v));
    }

    /** One progress line, redrawn in place on a terminal and printed every few seconds otherwise. */
    private static final class Progress {
        private final PrintStream out;
        private final long total;
        private final boolean terminal = System.console() != null;
        private final Instant start = Instant.now();
        private Instant lastPrint = Instant.EPOCH;

        Progress(PrintStream out, long total) {
            this.out = out;
            this.total = total;
        }

        void show(long done) {
            Instant now = Instant.now();
            if (Duration.between(lastPrint, now).toMillis() < (terminal ? 250 : 3000)) {
                return;
            }
            lastPrint = now;
            long millis = Math.max(1, Duration.between(start, now).toMillis());
            long rate = done * 1000 / millis;
            String eta = rate == 0 ? "?" : ((Math.max(0, total - done)) / rate) + "s";
            String line = String.format("  delivering: %,d / %,d pushes (%d%%), %,d/s, ETA %s", done, total,
                    total == 0 ? 100 : done * 100 / total, rate, eta);
            if (terminal) {
                out.print("\r" + line + "   ");
            } else {
                out.println(line);
            }
        }

        void done(long done) {
            lastPrint = Instant.EPOCH;
            show(done);
            if (terminal) {
                out.println();
            }
        }
    }
}
