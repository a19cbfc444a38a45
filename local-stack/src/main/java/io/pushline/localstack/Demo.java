package io.pushline.localstack;

import io.micrometer.core.instrument.Counter;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.TimelinePosted;
import io.pushline.contracts.Topics;
import io.pushline.contracts.UserPreferencesUpdated;
import io.pushline.topology.FrequencyCap;
import io.pushline.topology.TopologyMetrics;
import io.pushline.pipeline.Pipeline;
import io.pushline.workers.WorkerMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The demo's scenario on a running {@link LocalStack}: a seeded social graph (follows, unfollows, then devices), a few
 * malformed events, timeline posts of popular authors and likes of their posts; then it waits until every expected
 * push arrived at the mock providers and the workers committed everything, and sums up what happened. The verdict is
 * {@link Outcome#allDeliveredOnce()}: nothing lost, nothing duplicated, nothing unexpected.
 *
 * <p>One run per call, from one thread; progress lines go to the given stream.
 */
public final class Demo {
    /** The {@code source} of the events the demo publishes. */
    public static final String SOURCE = "pushline://demo";

    /**
     * What to publish.
     *
     * @param users   users to seed (at least 2)
     * @param devices devices to seed (at least one per user)
     * @param posts   timeline posts, one per popular author
     * @param likes   likes of the authors' posts
     * @param seed    random seed of the social graph
     */
    public record Plan(int users, int devices, int posts, int likes, long seed) {
    }

    /**
     * What happened.
     *
     * @param summary the figures, in the order the demo prints them (published, users, ..., elapsedMs)
     * @param allDeliveredOnce whether every expected push arrived exactly once and nothing else arrived
     */
    public record Outcome(Map<String, Object> summary, boolean allDeliveredOnce) {
    }

    private Demo() {
    }

    /**
     * Runs the scenario on {@code stack}.
     *
     * @param deadline how long delivery (and each wait for state) may take
     * @param started  when the demo started, for {@code elapsedMs}
     * @throws IllegalStateException if a wait times out (the message says what was missing)
     */
    public static Outcome run(LocalStack stack, Plan plan, Duration deadline, Instant started, PrintStream out) throws InterruptedException {
        Objects.requireNonNull(plan, "plan");
        SocialGraph graph = SocialGraph.generate(plan.users(), plan.devices(), plan.posts(), plan.seed());
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
            // A web device subscribes at the test push service and registers the subscription as the browser's
            // PushSubscription.toJSON() gives it, without a token: the pipeline derives one from the endpoint.
            List<SocialGraph.Device> devices = new ArrayList<>(graph.devices.size());
            for (SocialGraph.Device d : graph.devices) {
                DeviceRegistered registration = d.platform() == Platform.WEBPUSH
                        ? new DeviceRegistered(d.userId(), null, d.platform(), d.appId(), Instant.now(), stack.mocks().subscribeWebDevice())
                        : new DeviceRegistered(d.userId(), d.token(), d.platform(), d.appId(), Instant.now());
                devices.add(d.withToken(registration.token()));
                producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(), registration)));
                published++;
            }
            // Some users have delivery preferences: one in 50 is in quiet hours now (a window around the current time
            // in Tokyo), another one in 50 muted timeline pushes. Their timeline pushes are held or not sent.
            Set<String> quietUsers = new HashSet<>();
            Set<String> mutedUsers = new HashSet<>();
            for (int i = 0; i < graph.users.size(); i++) {
                String user = graph.users.get(i);
                if (graph.authors.contains(user)) {
                    continue;   // the authors' like pushes are expected at once: quiet hours would hold them too
                }
                if (i % 50 == 7) {
                    quietUsers.add(user);
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(),
                            quietNow(user))));
                    published++;
                } else if (i % 50 == 21) {
                    mutedUsers.add(user);
                    producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(UUID.randomUUID().toString(), source, Instant.now(),
                            new UserPreferencesUpdated(user, "Europe/Berlin", List.of(), List.of("timeline"), Instant.now()))));
                    published++;
                }
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
            devices.forEach(d -> devicesByUser.computeIfAbsent(d.userId(), k -> new ArrayList<>()).add(d));
            // Two apps (tenants) share the bulk lane: the authors' posts alternate between them.
            Map<String, Long> expandedByApp = new java.util.TreeMap<>();
            Map<String, List<String>> postsByUser = new HashMap<>();
            int authorIndex = 0;
            for (String author : graph.authors) {
                String app = DEMO_APPS.get(authorIndex++ % DEMO_APPS.size());
                String eventId = UUID.randomUUID().toString();
                for (String follower : graph.followersOf(author)) {
                    postsByUser.computeIfAbsent(follower, k -> new ArrayList<>()).add(eventId);
                    int followerDevices = devicesByUser.getOrDefault(follower, List.of()).size();
                    if (followerDevices > 0) {
                        expandedByApp.merge(app, (long) followerDevices, Long::sum);
                    }
                }
                producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, source, Instant.now(),
                        new TimelinePosted("post-" + author, author, author + " posted", "Something new on " + author + "'s timeline", app))));
                published++;
            }
            // The prediction adds the timeline pushes that go at once to expected; the like pushes below join the same set.
            Policy policy = Policy.predict(postsByUser, devicesByUser, quietUsers, mutedUsers, expected);
            // Likes of the authors' posts run through the like coordinator: each pushes to the author's devices on
            // the high lane (self-likes notify nobody).
            int likePushes = 0;
            for (SocialGraph.Like like : graph.likes(plan.likes(), plan.seed())) {
                String eventId = UUID.randomUUID().toString();
                if (!like.actorId().equals(like.authorId())) {
                    for (SocialGraph.Device d : devicesByUser.getOrDefault(like.authorId(), List.of())) {
                        expected.add(PushIds.pushId(SOURCE, eventId, d.token()));
                        likePushes++;
                    }
                }
                producer.send(codec.toRecord(Topics.EVENTS, Envelope.of(eventId, source, Instant.now(),
                        new LikeCreated(like.actorId(), "post-" + like.authorId(), like.authorId()))));
                published++;
            }
            producer.flush();
            out.printf("  published %d timeline posts and %d likes: %,d pushes expected (%,d of them for likes, %,d digests);"
                    + " %,d held in their users' quiet hours, %,d not sent (muted), %,d over the cap (%s) merged into digests%n",
                    graph.authors.size(), plan.likes(), policy.expectedCount(), likePushes, policy.digests().size(), policy.held(),
                    policy.muted(), policy.merged(), TIMELINE_CAP.describe());

            Instant deliveryStart = Instant.now();
            Progress progress = new Progress(out, policy.expectedCount());
            LocalStack.awaitCondition(() -> {
                progress.show(stack.acceptedCount());
                return policy.arrivedBeforeDigests(stack.acceptedByPushId());
            }, deadline, () -> "only " + stack.acceptedCount() + " of " + policy.expectedCount() + " pushes arrived");
            // A digest goes when its user's cap has a slot again: when the first counted post leaves the window.
            out.printf("  waiting for the %,d digest pushes (due when a slot of the cap frees, up to %d s after the posts)%n",
                    policy.digests().size(), TIMELINE_CAP.window().toSeconds());
            LocalStack.awaitCondition(() -> {
                progress.show(stack.acceptedCount());
                return policy.digestsArrived(stack.acceptedByPushId());
            }, deadline, () -> "only " + policy.digestsDelivered(stack.acceptedByPushId()) + " of " + policy.digests().size()
                    + " digests arrived");
            // Wait until the workers have committed everything, so any redelivery would already have shown.
            stack.awaitWorkersCaughtUp(Duration.ofMinutes(1));
            int badCount = badPublished;
            Duration readTimeout = Duration.ofSeconds(30);
            LocalStack.awaitCondition(() -> stack.countRecords(Topics.DEAD_LETTERS, readTimeout) >= badCount, readTimeout,
                    () -> "only " + stack.countRecords(Topics.DEAD_LETTERS, readTimeout) + " of " + badCount + " malformed events were dead-lettered");
            long deadLettered = stack.countRecords(Topics.DEAD_LETTERS, readTimeout);
            // The expansion decided on every held, muted and merged push (none is lost: held ones go when the quiet hours end,
            // merged ones went in their digests).
            LocalStack.awaitCondition(() -> policy.decided(stack), readTimeout, () -> policy.decisions(stack));
            progress.done(stack.acceptedCount());
            long deliveryMillis = Duration.between(deliveryStart, Instant.now()).toMillis();

            Map<String, Integer> accepted = stack.acceptedByPushId();
            long delivered = policy.delivered(accepted);
            long duplicates = accepted.values().stream().mapToLong(n -> n - 1L).sum();
            long unexpected = policy.unexpected(accepted);
            long lost = policy.expectedCount() - delivered;
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("published", published);
            summary.put("users", graph.users.size());
            summary.put("devices", graph.devices.size());
            summary.put("follows", graph.follows.size() - graph.unfollows.size());
            summary.put("timelinePosts", graph.authors.size());
            summary.put("likes", plan.likes());
            summary.put("pushesExpected", policy.expectedCount());
            summary.put("pushesDelivered", delivered);
            Map<String, Long> pushesByApp = appCounts(stack);
            summary.put("pushesByApp", pushesByApp);
            summary.put("pushesHeld", policyCount(stack, "held"));
            summary.put("pushesMuted", policyCount(stack, "muted"));
            summary.put("pushesCapped", policyCount(stack, "capped"));
            summary.put("pushesMerged", policyCount(stack, "merged"));
            summary.put("digestsSent", policyCount(stack, "digest"));
            summary.put("apnsAccepted", stack.apns().ledger().acceptedCount());
            summary.put("fcmAccepted", stack.fcm().ledger().acceptedCount());
            summary.put("webpushAccepted", stack.mocks().webPush.ledger().acceptedCount());
            summary.put("duplicates", duplicates);
            summary.put("unexpected", unexpected);
            summary.put("lost", lost);
            summary.put("deadLettered", deadLettered);
            summary.put("retries", Math.round(stack.registry().find(WorkerMetrics.RETRIES).counters().stream()
                    .mapToDouble(Counter::count).sum()));
            summary.put("malformedPublished", badPublished);
            summary.put("deliveryMs", deliveryMillis);
            summary.put("pushesPerSecond", deliveryMillis == 0 ? 0 : Math.round(delivered * 1000.0 / deliveryMillis));
            summary.put("elapsedMs", Duration.between(started, Instant.now()).toMillis());
            boolean policyAsExpected = policy.decidedExactly(stack);
            if (!policyAsExpected) {
                out.printf("  policy decisions: expected %s%n", policy.decisions(stack));
            }
            // Each app's timeline pushes were expanded as its own: what the graph predicts per app, no more, no fewer.
            boolean appsAsExpected = pushesByApp.equals(expandedByApp);
            if (!appsAsExpected) {
                out.printf("  timeline pushes by app: expected %s, expanded %s%n", expandedByApp, pushesByApp);
            }
            return new Outcome(summary, lost == 0 && duplicates == 0 && unexpected == 0 && policyAsExpected && appsAsExpected);
        }
    }

    /** Preferences with quiet hours around now: a window from two hours before to two hours after, in Tokyo. */
    static UserPreferencesUpdated quietNow(String user) {
        java.time.ZoneId tokyo = java.time.ZoneId.of("Asia/Tokyo");
        java.time.LocalTime local = java.time.LocalTime.now(tokyo).withSecond(0).withNano(0);
        java.time.format.DateTimeFormatter hhmm = java.time.format.DateTimeFormatter.ofPattern("HH:mm");
        return new UserPreferencesUpdated(user, tokyo.getId(), List.of(new UserPreferencesUpdated.QuietWindow(
                List.of(java.time.DayOfWeek.values()), local.minusHours(2).format(hhmm), local.plusHours(2).format(hhmm))),
                List.of(), Instant.now());
    }

    /**
     * The demo's frequency cap: 2 timeline notifications per user per minute, posts over it merged into a digest. Users
     * who follow all three authors get two posts at once and a digest of the third a minute later.
     */
    public static final FrequencyCap TIMELINE_CAP = FrequencyCap.parse("2/1m:digest");

    /**
     * What delivery policy does with the demo's timeline pushes, predicted from the graph and the preferences: a muted
     * user gets none; a quiet user's are held, and a digest of theirs too (held when it comes due); a user over the cap
     * gets {@code max} posts per device at once, which ones depending on the order the expansion meets them, and one
     * digest per device of the rest, whose id comes from the first post merged (so one of the user's posts' ids).
     *
     * @param capped  per device of a user over the cap: the push ids of their posts (exactly {@code max} must arrive)
     * @param digests per device of a user over the cap: the ids its digest may have (exactly one must arrive)
     */
    record Policy(Set<String> expected, Map<String, Set<String>> capped, Map<String, Set<String>> digests, long held, long muted,
                  long merged, long digestsSent) {

        static Policy predict(Map<String, List<String>> postsByUser, Map<String, List<SocialGraph.Device>> devicesByUser,
                              Set<String> quietUsers, Set<String> mutedUsers, Set<String> expected) {
            int max = TIMELINE_CAP.max();
            Map<String, Set<String>> capped = new HashMap<>();
            Map<String, Set<String>> digests = new HashMap<>();
            long held = 0;
            long muted = 0;
            long merged = 0;
            long digestsSent = 0;
            String topology = io.pushline.topology.TopologyConfig.DEFAULT_SOURCE.toString();
            for (Map.Entry<String, List<String>> user : postsByUser.entrySet()) {
                List<String> posts = user.getValue();
                int over = Math.max(0, posts.size() - max);
                for (SocialGraph.Device d : devicesByUser.getOrDefault(user.getKey(), List.of())) {
                    if (mutedUsers.contains(user.getKey())) {
                        muted += posts.size();
                        continue;
                    }
                    merged += over;
                    digestsSent += over > 0 ? 1 : 0;
                    if (quietUsers.contains(user.getKey())) {
                        held += posts.size() - over + (over > 0 ? 1 : 0);
                    } else if (over == 0) {
                        posts.forEach(e -> expected.add(PushIds.pushId(SOURCE, e, d.token())));
                    } else {
                        Set<String> ids = new HashSet<>();
                        Set<String> digestIds = new HashSet<>();
                        for (String e : posts) {
                            ids.add(PushIds.pushId(SOURCE, e, d.token()));
                            digestIds.add(PushIds.pushId(topology, "digest:" + e, d.token()));
                        }
                        capped.put(d.token(), ids);
                        digests.put(d.token(), digestIds);
                    }
                }
            }
            return new Policy(expected, capped, digests, held, muted, merged, digestsSent);
        }

        /** Pushes expected: the exact ones, {@code max} per device over the cap and its digest. */
        long expectedCount() {
            return expected.size() + (long) capped.size() * (TIMELINE_CAP.max() + 1);
        }

        /** Whether every push that goes at once has arrived (the exact ones and {@code max} per device over the cap). */
        boolean arrivedBeforeDigests(Map<String, Integer> accepted) {
            return accepted.keySet().containsAll(expected)
                    && capped.values().stream().allMatch(ids -> arrived(ids, accepted) >= TIMELINE_CAP.max());
        }

        boolean digestsArrived(Map<String, Integer> accepted) {
            return digestsDelivered(accepted) == digests.size();
        }

        long digestsDelivered(Map<String, Integer> accepted) {
            return digests.values().stream().filter(ids -> arrived(ids, accepted) >= 1).count();
        }

        /** Expected pushes that arrived: at most {@code max} of a capped device's posts and one digest count. */
        long delivered(Map<String, Integer> accepted) {
            return expected.stream().filter(accepted::containsKey).count()
                    + capped.values().stream().mapToLong(ids -> Math.min(TIMELINE_CAP.max(), arrived(ids, accepted))).sum()
                    + digestsDelivered(accepted);
        }

        /** Pushes that arrived and should not have: unknown ids, more than {@code max} posts or two digests on a device. */
        long unexpected(Map<String, Integer> accepted) {
            Set<String> known = new HashSet<>(expected);
            capped.values().forEach(known::addAll);
            digests.values().forEach(known::addAll);
            return accepted.keySet().stream().filter(id -> !known.contains(id)).count()
                    + capped.values().stream().mapToLong(ids -> Math.max(0, arrived(ids, accepted) - TIMELINE_CAP.max())).sum()
                    + digests.values().stream().mapToLong(ids -> Math.max(0, arrived(ids, accepted) - 1)).sum();
        }

        private static long arrived(Set<String> ids, Map<String, Integer> accepted) {
            return ids.stream().filter(accepted::containsKey).count();
        }

        boolean decided(LocalStack stack) {
            return policyCount(stack, "held") >= held && policyCount(stack, "muted") >= muted
                    && policyCount(stack, "merged") >= merged && policyCount(stack, "digest") >= digestsSent;
        }

        boolean decidedExactly(LocalStack stack) {
            return policyCount(stack, "held") == held && policyCount(stack, "muted") == muted
                    && policyCount(stack, "merged") == merged && policyCount(stack, "digest") == digestsSent
                    && policyCount(stack, "capped") == 0;
        }

        String decisions(LocalStack stack) {
            return policyCount(stack, "held") + " of " + held + " held, " + policyCount(stack, "muted") + " of " + muted
                    + " muted, " + policyCount(stack, "merged") + " of " + merged + " merged, " + policyCount(stack, "digest")
                    + " of " + digestsSent + " digests, " + policyCount(stack, "capped") + " capped";
        }
    }

    /** The apps (tenants) of the demo's timeline posts, which alternate between them. */
    static final List<String> DEMO_APPS = List.of("demo.news", "demo.social");

    /** Timeline push tasks expanded per app (see {@link TopologyMetrics#APP_PUSHES}). */
    private static Map<String, Long> appCounts(LocalStack stack) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        stack.registry().find(TopologyMetrics.APP_PUSHES).counters().forEach(c ->
                counts.merge(c.getId().getTag(TopologyMetrics.TAG_APP), Math.round(c.count()), Long::sum));
        return counts;
    }

    private static long policyCount(LocalStack stack, String decision) {
        Counter counter = stack.registry().find(TopologyMetrics.POLICY).tag("decision", decision).counter();
        return counter == null ? 0 : Math.round(counter.count());
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
