package io.pushline.coordinators;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes the journal fixtures of {@code src/test/resources/journals/v<N>/}: journals made by the real engine and the real
 * flows for a few scenarios, each encoded by {@link JournalCodec} ({@code <name>.json}), with the state it folds to
 * ({@code <name>.expected.json}).
 *
 * <p>The fixtures are checked in and never regenerated: they are what this version wrote, and {@link JournalReplayTest}
 * makes every later version read them. Run this only to add the fixtures of a new journal format version, into a new
 * directory:
 *
 * <pre>{@code
 * ./mvnw -q -o test-compile -pl coordinators
 * ./mvnw -q -o -pl coordinators dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp coordinators/target/test-classes:coordinators/target/classes:$(cat /tmp/cp.txt) \
 *     io.pushline.coordinators.JournalFixtureGenerator coordinators/src/test/resources/journals/v2
 * }</pre>
 */
final class JournalFixtureGenerator {
    static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    static final String SOURCE = "urn:pushline:service:likes";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JournalFixtureGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: JournalFixtureGenerator <directory>");
        }
        Path dir = Path.of(args[0]);
        if (Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw new IllegalStateException(dir + " is not empty: fixtures of a released version are never regenerated");
        }
        Files.createDirectories(dir);
        JournalCodec codec = TestFlows.create().codec();
        for (Map.Entry<String, Coordinator> e : scenarios().entrySet()) {
            Files.write(dir.resolve(e.getKey() + ".json"), codec.encode(e.getValue()));
            Files.write(dir.resolve(e.getKey() + ".expected.json"), JSON.writeValueAsBytes(expected(e.getValue())));
            System.out.println(e.getKey() + ": " + e.getValue());
        }
    }

    /** What a fixture is checked against. */
    static ObjectNode expected(Coordinator c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.id());
        n.put("flow", c.flow());
        n.put("recipient", c.recipient());
        n.put("state", c.state());
        n.put("entries", c.journal().size());
        c.completed().forEach(n.putArray("completed")::add);
        if (c.completed().isEmpty()) {
            n.putArray("completed");
        }
        ObjectNode notes = n.putObject("notes");
        new TreeMap<>(c.notes()).forEach(notes::put);
        n.put("parkedFrom", c.parkedFrom());
        n.put("parkedReason", c.parkedReason());
        n.put("failures", c.failures().size());
        n.put("stepSince", c.stepSince() == null ? null : c.stepSince().toString());
        n.put("nextAttemptAt", c.nextAttemptAt() == null ? null : c.nextAttemptAt().toString());
        return n;
    }

    /** The scenarios, by fixture name, in a fixed order. */
    static Map<String, Coordinator> scenarios() {
        Map<String, Coordinator> out = new LinkedHashMap<>();
        out.put("like-completed", likeCompleted());
        out.put("like-parked-retried-done", likeParkedRetriedDone());
        out.put("like-parked-timed-out", likeParkedTimedOut());
        out.put("like-discarded", likeDiscarded());
        out.put("unlike-with-undo", unlikeWithUndo());
        out.put("follow-completed", followCompleted());
        out.put("follow-cancelled", followCancelled());
        out.put("like-banned-while-parked", likeBannedWhileParked());
        out.put("like-parked-expired", likeParkedExpired());
        return out;
    }

    static Map<String, String> likeInput(String eventId, Instant eventTime, String actor, String post, String owner) {
        Map<String, String> in = new LinkedHashMap<>();
        in.put(Flows.EVENT_ID, eventId);
        in.put(Flows.EVENT_TIME, Long.toString(eventTime.toEpochMilli()));
        in.put(Flows.EVENT_SOURCE, SOURCE);
        in.put(Flows.ACTOR, actor);
        in.put(Flows.POST, post);
        in.put(Flows.OWNER, owner);
        return in;
    }

    static Map<String, String> followInput(String eventId, Instant eventTime, String follower, String followee) {
        Map<String, String> in = new LinkedHashMap<>();
        in.put(Flows.EVENT_ID, eventId);
        in.put(Flows.EVENT_TIME, Long.toString(eventTime.toEpochMilli()));
        in.put(Flows.EVENT_SOURCE, "urn:pushline:service:follows");
        in.put(Flows.ACTOR, follower);
        in.put(Flows.FOLLOWEE, followee);
        return in;
    }

    /** A decorator that makes {@code flow}'s {@code state} throw {@code failure} while {@code on} is set. */
    static CoordinatorConfig.StepDecorator failing(String flow, String state, AtomicBoolean on, Exception failure) {
        return (f, s, step) -> f.equals(flow) && s.equals(state) ? ctx -> {
            if (on.get()) {
                throw failure;
            }
            step.run(ctx);
        } : step;
    }

    private static Coordinator likeCompleted() {
        TestFlows t = TestFlows.create().device("u1", "token-u1-apns-0001").device("u1", "token-u1-fcm-00002");
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        return engine.start("like:evt-like-1", Flows.LIKE, "u1", likeInput("evt-like-1", T0.minusMillis(250), "u2", "p1", "u1"), T0)
                .coordinator();
    }

    private static Coordinator likeParkedRetriedDone() {
        AtomicBoolean on = new AtomicBoolean(true);
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.LIKE, "NOTIFYING", on, new RuntimeException("notification store unavailable"))))
                .device("u1", "token-u1-apns-0001");
        CoordinatorEngine engine = t.engine(new SupervisorPolicy(3, Duration.ofMinutes(10), Duration.ofMillis(200), Duration.ofSeconds(30)));
        Coordinator c = engine.start("like:evt-like-2", Flows.LIKE, "u1", likeInput("evt-like-2", T0.minusSeconds(1), "u3", "p2", "u1"), T0)
                .coordinator();
        c = engine.advance(c, c.nextAttemptAt()).coordinator();
        c = engine.advance(c, c.nextAttemptAt()).coordinator();
        if (!c.isParked()) {
            throw new IllegalStateException("expected parked: " + c);
        }
        on.set(false);
        return engine.retry(c, "operator: store is back", T0.plus(Duration.ofMinutes(5))).coordinator();
    }

    private static Coordinator likeParkedTimedOut() {
        AtomicBoolean on = new AtomicBoolean(true);
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.LIKE, "PUSHING", on, new IllegalStateException("provider lane closed"))));
        CoordinatorEngine engine = t.engine(new SupervisorPolicy(100, Duration.ofMinutes(10), Duration.ofMinutes(4), Duration.ofMinutes(30)));
        Coordinator c = engine.start("like:evt-like-3", Flows.LIKE, "u1", likeInput("evt-like-3", T0, "u4", "p3", "u1"), T0).coordinator();
        c = engine.advance(c, c.nextAttemptAt()).coordinator();
        return engine.advance(c, T0.plus(Duration.ofMinutes(10))).coordinator();
    }

    private static Coordinator likeDiscarded() {
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.LIKE, "UPDATING_TIMELINE", new AtomicBoolean(true), new PermanentStepFailure("post p4 has no timeline"))));
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        Coordinator c = engine.start("like:evt-like-4", Flows.LIKE, "u1", likeInput("evt-like-4", T0, "u5", "p4", "u1"), T0).coordinator();
        return engine.discard(c, "operator: post deleted", T0.plus(Duration.ofHours(1))).coordinator();
    }

    private static Coordinator unlikeWithUndo() {
        TestFlows t = TestFlows.create().device("u1", "token-u1-apns-0001");
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        Coordinator like = engine.start("like:evt-like-5", Flows.LIKE, "u1", likeInput("evt-like-5", T0, "u6", "p5", "u1"), T0)
                .coordinator();
        Map<String, String> in = likeInput("evt-unlike-5", T0.plusSeconds(30), "u6", "p5", "u1");
        in.put(Flows.UNDO, Flows.undoList(like));
        in.put(Flows.WINDOW_START, like.notes().get(Flows.WINDOW_START));
        return engine.start("unlike:evt-unlike-5", Flows.UNLIKE, "u1", in, T0.plusSeconds(31)).coordinator();
    }

    private static Coordinator followCompleted() {
        TestFlows t = TestFlows.create().device("u7", "token-u7-apns-0001");
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        return engine.start("follow:evt-follow-1", Flows.FOLLOW, "u7", followInput("evt-follow-1", T0, "u8", "u7"), T0).coordinator();
    }

    private static Coordinator followCancelled() {
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.FOLLOW, "NOTIFYING", new AtomicBoolean(true), new RuntimeException("inbox timeout"))));
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        Coordinator c = engine.start("follow:evt-follow-2", Flows.FOLLOW, "u7", followInput("evt-follow-2", T0, "u9", "u7"), T0)
                .coordinator();
        return engine.cancel(c, "unfollowed by evt-unfollow-2", T0.plusMillis(150)).coordinator();
    }

    /** Parked, then cancelled when its actor was banned (the ban's cancel, from PARKED). */
    private static Coordinator likeBannedWhileParked() {
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.LIKE, "NOTIFYING", new AtomicBoolean(true), new PermanentStepFailure("inbox rejects p6"))));
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        Coordinator c = engine.start("like:evt-like-6", Flows.LIKE, "u1", likeInput("evt-like-6", T0, "u10", "p6", "u1"), T0).coordinator();
        return engine.cancel(c, "banned: profile u10 (actor), by evt-ban-1", T0.plusSeconds(40)).coordinator();
    }

    /** Parked, then discarded by the parked retention (7 days later). */
    private static Coordinator likeParkedExpired() {
        TestFlows t = TestFlows.create(CoordinatorConfig.defaults()
                .withSteps(failing(Flows.LIKE, "PUSHING", new AtomicBoolean(true), new PermanentStepFailure("no provider for app"))))
                .device("u1", "token-u1-apns-0001");
        CoordinatorEngine engine = t.engine(SupervisorPolicy.DEFAULT);
        Coordinator c = engine.start("like:evt-like-7", Flows.LIKE, "u1", likeInput("evt-like-7", T0, "u11", "p7", "u1"), T0).coordinator();
        return engine.discard(c, "retention: parked longer than PT168H", T0.plus(Duration.ofDays(7))).coordinator();
    }
}
