package io.pushline.coordinators;

import io.pushline.contracts.PushIds;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.ProfileBanned;
import io.pushline.coordinators.IntakePolicy.Act;
import io.pushline.coordinators.IntakePolicy.Ban;
import io.pushline.coordinators.IntakePolicy.Cancel;
import io.pushline.coordinators.IntakePolicy.Ignore;
import io.pushline.coordinators.IntakePolicy.Plan;
import io.pushline.coordinators.IntakePolicy.Remember;
import io.pushline.coordinators.IntakePolicy.Route;
import io.pushline.coordinators.IntakePolicy.Skip;
import io.pushline.coordinators.IntakePolicy.Start;
import io.pushline.coordinators.JournalEntry.Kind;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The like and follow intake on its own: no Kafka, no store, no clock. What the partition remembers is two maps, the
 * coordinators are folded from hand-written journals, and every outcome (start, cancel, each kind of skip, ignore) is
 * checked as the exact plan the host would carry out.
 */
class IntakePolicyTest {
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final URI SOURCE = URI.create("urn:pushline:service:likes");
    private static final Step NOTHING = ctx -> {
    };
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** The like and follow flows' step states as {@link Flows} declares them; the steps themselves never run here. */
    private static final Flow LIKE_FLOW = Flow.named(Flows.LIKE).step("SAVING", NOTHING, TIMEOUT)
            .step("UPDATING_TIMELINE", NOTHING, TIMEOUT).step("APPENDING_ACTIVITY", NOTHING, TIMEOUT)
            .step("NOTIFYING", NOTHING, TIMEOUT).step("PUSHING", NOTHING, TIMEOUT)
            .cancellableIn("SAVING", "UPDATING_TIMELINE", "APPENDING_ACTIVITY", "NOTIFYING", "PUSHING").build();
    private static final Flow FOLLOW_FLOW = Flow.named(Flows.FOLLOW).step("APPENDING_ACTIVITY", NOTHING, TIMEOUT)
            .step("NOTIFYING", NOTHING, TIMEOUT).step("PUSHING", NOTHING, TIMEOUT)
            .cancellableIn("APPENDING_ACTIVITY", "NOTIFYING", "PUSHING").build();

    private final IntakePolicy intake = new IntakePolicy();
    private final FakeMemory memory = new FakeMemory();

    /** The partition's memory as two maps; records which journals were read. */
    private static final class FakeMemory implements IntakePolicy.Memory {
        final Map<String, Facts.Decision> decisions = new HashMap<>();
        final Map<String, Coordinator> coordinators = new HashMap<>();
        final List<String> journalsRead = new ArrayList<>();
        final Set<String> banned = new HashSet<>();

        FakeMemory bans(String... profiles) {
            banned.addAll(List.of(profiles));
            return this;
        }

        FakeMemory decided(String kind, String actor, String object, Facts.Decision d) {
            decisions.put(kind + '|' + actor + '|' + object, d);
            return this;
        }

        FakeMemory has(Coordinator c) {
            coordinators.put(c.id(), c);
            return this;
        }

        @Override
        public Facts.Decision decision(String kind, String actor, String object) {
            return decisions.get(kind + '|' + actor + '|' + object);
        }

        @Override
        public Coordinator coordinator(String id) {
            journalsRead.add(id);
            return coordinators.get(id);
        }

        @Override
        public boolean banned(String profileId) {
            return banned.contains(profileId);
        }
    }

    // ---- routing

    @Test
    void likesAreDecidedWhereTheyArriveFollowsAreReKeyedBansBroadcastAndEverythingElseIsIgnored() {
        assertThat(IntakePolicy.route(EventType.LIKE_CREATED)).isEqualTo(Route.DECIDE);
        assertThat(IntakePolicy.route(EventType.LIKE_REMOVED)).isEqualTo(Route.DECIDE);
        assertThat(IntakePolicy.route(EventType.FOLLOW_CREATED)).isEqualTo(Route.REKEY_BY_FOLLOWEE);
        assertThat(IntakePolicy.route(EventType.FOLLOW_REMOVED)).isEqualTo(Route.REKEY_BY_FOLLOWEE);
        assertThat(IntakePolicy.route(EventType.PROFILE_BANNED)).isEqualTo(Route.BROADCAST);
        List<EventType> others = Arrays.stream(EventType.values())
                .filter(t -> !List.of(EventType.LIKE_CREATED, EventType.LIKE_REMOVED, EventType.FOLLOW_CREATED,
                        EventType.FOLLOW_REMOVED, EventType.PROFILE_BANNED).contains(t))
                .toList();
        assertThat(others).isNotEmpty();
        assertThat(others).isNotEmpty().allSatisfy(t -> assertThat(IntakePolicy.route(t)).as(t.name()).isEqualTo(Route.IGNORE));
    }

    @Test
    void aFollowAndAnUnfollowAreKeyedByTheFollowee() {
        assertThat(IntakePolicy.followee(new FollowCreated("fan", "star"))).isEqualTo("star");
        assertThat(IntakePolicy.followee(new FollowRemoved("fan", "star"))).isEqualTo("star");
        assertThat(IntakePolicy.followee(new LikeCreated("fan", "p1", "star"))).isNull();
    }

    @Test
    void dataOfAnotherKindThanTheInputTakesIsIgnored() {
        assertThat(intake.onEvent(event("e1", T0, new FollowCreated("fan", "star")), memory)).isInstanceOf(Ignore.class);
        assertThat(intake.onIntake(event("e2", T0, new LikeCreated("fan", "p1", "star")), memory)).isInstanceOf(Ignore.class);
        assertThat(memory.journalsRead).isEmpty();
    }

    // ---- like

    @Test
    void aFirstLikeStartsTheLikeFlowForThePostsOwnerAndIsRemembered() {
        Plan plan = intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory);

        assertThat(plan).isEqualTo(new Act(null,
                new Remember("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1"))),
                new Start(likeId("evt-1"), Flows.LIKE, "u1", Map.of(Flows.EVENT_ID, "evt-1",
                        Flows.EVENT_TIME, Long.toString(T0.toEpochMilli()), Flows.EVENT_SOURCE, SOURCE.toString(),
                        Flows.ACTOR, "u2", Flows.POST, "p1", Flows.OWNER, "u1"))));
        assertThat(memory.journalsRead).as("a like never needs a journal").isEmpty();
    }

    @Test
    void theSameLikeAgainIsADuplicateWhetherItStandsOrWasTakenBack() {
        memory.decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "duplicate", null));

        memory.decided("like", "u2", "p1", new Facts.Decision(false, T0.toEpochMilli(), "evt-1", null));
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "duplicate", null));
    }

    @Test
    void aSecondLikeWhileTheFirstStandsStartsNothing() {
        memory.decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));
        assertThat(intake.onEvent(event("evt-2", T0.plusSeconds(5), new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "already", null));
    }

    @Test
    void aLikeOlderThanTheUnlikeAlreadyAppliedIsStaleAndANewerOneStartsAgain() {
        memory.decided("like", "u2", "p1", new Facts.Decision(false, T0.plusSeconds(10).toEpochMilli(), "evt-u", "unlike:" + PushIds.eventKey(SOURCE.toString(), "evt-u")));
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "stale", null));

        Plan again = intake.onEvent(event("evt-3", T0.plusSeconds(20), new LikeCreated("u2", "p1", "u1")), memory);
        assertThat(again).isInstanceOf(Act.class);
        assertThat(((Act) again).start().id()).isEqualTo(likeId("evt-3"));
        assertThat(((Act) again).remember().decision()).isEqualTo(
                new Facts.Decision(true, T0.plusSeconds(20).toEpochMilli(), "evt-3", likeId("evt-3")));
    }

    @Test
    void aLikeAtTheSameTimeAsTheUnlikeBeforeItIsNotStale() {
        memory.decided("like", "u2", "p1", new Facts.Decision(false, T0.toEpochMilli(), "evt-u", null));
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory)).isInstanceOf(Act.class);
    }

    // ---- unlike

    @Test
    void anUnlikeOfARunningLikeCancelsItAndUndoesWhatItDid() {
        Coordinator running = like(likeId("evt-1"), 4, "1772366400000"); // in PUSHING: saved, counted, recorded, notified
        memory.has(running).decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));
        Instant at = T0.plusSeconds(30);

        Plan plan = intake.onEvent(event("evt-u", at, new LikeRemoved("u2", "p1", "u1")), memory);

        assertThat(plan).isEqualTo(new Act(new Cancel(running, "like removed by evt-u"),
                new Remember("like", "u2", "p1", new Facts.Decision(false, at.toEpochMilli(), "evt-u", "unlike:" + PushIds.eventKey(SOURCE.toString(), "evt-u"))),
                new Start("unlike:" + PushIds.eventKey(SOURCE.toString(), "evt-u"), Flows.UNLIKE, "u1", Map.of(Flows.EVENT_ID, "evt-u",
                        Flows.EVENT_TIME, Long.toString(at.toEpochMilli()), Flows.EVENT_SOURCE, SOURCE.toString(),
                        Flows.ACTOR, "u2", Flows.POST, "p1", Flows.OWNER, "u1",
                        Flows.UNDO, "SAVING,UPDATING_TIMELINE,APPENDING_ACTIVITY,NOTIFYING", Flows.WINDOW_START, "1772366400000"))));
        assertThat(memory.journalsRead).containsExactly(likeId("evt-1"));
    }

    @Test
    void anUnlikeOfALikeStoppedEarlyUndoesOnlyWhatItDid() {
        memory.has(like(likeId("evt-1"), 1, null))
                .decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));

        Act plan = (Act) intake.onEvent(event("evt-u", T0.plusSeconds(1), new LikeRemoved("u2", "p1", "u1")), memory);

        assertThat(plan.cancel()).isNotNull();
        assertThat(plan.start().input()).containsEntry(Flows.UNDO, "SAVING").containsEntry(Flows.WINDOW_START, "");
    }

    @Test
    void anUnlikeOfAFinishedLikeCancelsNothingAndUndoesEveryStep() {
        memory.has(like(likeId("evt-1"), 5, "1772366400000"))
                .decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));

        Act plan = (Act) intake.onEvent(event("evt-u", T0.plusSeconds(60), new LikeRemoved("u2", "p1", "u1")), memory);

        assertThat(plan.cancel()).isNull();
        assertThat(plan.start().flow()).isEqualTo(Flows.UNLIKE);
        assertThat(plan.start().input())
                .containsEntry(Flows.UNDO, "SAVING,UPDATING_TIMELINE,APPENDING_ACTIVITY,NOTIFYING,PUSHING")
                .containsEntry(Flows.WINDOW_START, "1772366400000");
    }

    @Test
    void anUnlikeOfALikeWhoseJournalIsGoneUndoesAllButThePushAndRetractsNothing() {
        memory.decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));

        Act plan = (Act) intake.onEvent(event("evt-u", T0.plus(Duration.ofHours(1)), new LikeRemoved("u2", "p1", "u1")), memory);

        assertThat(plan.cancel()).isNull();
        assertThat(plan.start().input())
                .containsEntry(Flows.UNDO, "SAVING,UPDATING_TIMELINE,APPENDING_ACTIVITY,NOTIFYING")
                .containsEntry(Flows.WINDOW_START, "");
        assertThat(memory.journalsRead).containsExactly(likeId("evt-1"));
    }

    @Test
    void anUnlikeWithNothingToUndoIsRememberedSoTheLateLikeIsNotApplied() {
        Plan plan = intake.onEvent(event("evt-u", T0, new LikeRemoved("u2", "p1", "u1")), memory);

        assertThat(plan).isEqualTo(new Skip(Flows.UNLIKE, "nothing-to-undo",
                new Remember("like", "u2", "p1", new Facts.Decision(false, T0.toEpochMilli(), "evt-u", null))));
        assertThat(memory.journalsRead).isEmpty();
    }

    @Test
    void anUnlikeAfterAnOlderRemovalReplacesItAndOneNotNewerLeavesIt() {
        memory.decided("like", "u2", "p1", new Facts.Decision(false, T0.toEpochMilli(), "evt-u1", null));

        assertThat(intake.onEvent(event("evt-u2", T0.plusMillis(1), new LikeRemoved("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.UNLIKE, "nothing-to-undo", new Remember("like", "u2", "p1",
                        new Facts.Decision(false, T0.plusMillis(1).toEpochMilli(), "evt-u2", null))));
        assertThat(intake.onEvent(event("evt-u3", T0, new LikeRemoved("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.UNLIKE, "nothing-to-undo", null));
        assertThat(intake.onEvent(event("evt-u4", T0.minusSeconds(1), new LikeRemoved("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.UNLIKE, "nothing-to-undo", null));
    }

    @Test
    void theSameUnlikeAgainIsADuplicate() {
        memory.decided("like", "u2", "p1", new Facts.Decision(false, T0.toEpochMilli(), "evt-u", "unlike:" + PushIds.eventKey(SOURCE.toString(), "evt-u")));
        assertThat(intake.onEvent(event("evt-u", T0, new LikeRemoved("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.UNLIKE, "duplicate", null));
    }

    @Test
    void anUnlikeOlderThanTheLikeItWouldRemoveIsStale() {
        memory.has(like(likeId("evt-1"), 2, null))
                .decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));

        assertThat(intake.onEvent(event("evt-u", T0.minusMillis(1), new LikeRemoved("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.UNLIKE, "stale", null));
        assertThat(memory.journalsRead).isEmpty();
    }

    // ---- follow

    @Test
    void aFirstFollowStartsTheFollowFlowForTheFollowee() {
        Plan plan = intake.onIntake(event("evt-f", T0, new FollowCreated("fan", "star")), memory);

        assertThat(plan).isEqualTo(new Act(null,
                new Remember("follow", "fan", "star", new Facts.Decision(true, T0.toEpochMilli(), "evt-f", followId("evt-f"))),
                new Start(followId("evt-f"), Flows.FOLLOW, "star", Map.of(Flows.EVENT_ID, "evt-f",
                        Flows.EVENT_TIME, Long.toString(T0.toEpochMilli()), Flows.EVENT_SOURCE, SOURCE.toString(),
                        Flows.ACTOR, "fan", Flows.FOLLOWEE, "star"))));
    }

    @Test
    void aFollowIsSkippedAsDuplicateAlreadyOrStale() {
        memory.decided("follow", "fan", "star", new Facts.Decision(true, T0.toEpochMilli(), "evt-f", followId("evt-f")));
        assertThat(intake.onIntake(event("evt-f", T0, new FollowCreated("fan", "star")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "duplicate", null));
        assertThat(intake.onIntake(event("evt-f2", T0.plusSeconds(1), new FollowCreated("fan", "star")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "already", null));

        memory.decided("follow", "fan", "star", new Facts.Decision(false, T0.plusSeconds(5).toEpochMilli(), "evt-uf", null));
        assertThat(intake.onIntake(event("evt-f3", T0.plusSeconds(4), new FollowCreated("fan", "star")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "stale", null));
        assertThat(intake.onIntake(event("evt-f4", T0.plusSeconds(6), new FollowCreated("fan", "star")), memory))
                .isInstanceOf(Act.class);
    }

    // ---- unfollow

    @Test
    void anUnfollowOfARunningFollowCancelsItAndStartsNothing() {
        Coordinator running = follow(followId("evt-f"), 1);
        memory.has(running).decided("follow", "fan", "star", new Facts.Decision(true, T0.toEpochMilli(), "evt-f", followId("evt-f")));
        Instant at = T0.plusSeconds(2);

        assertThat(intake.onIntake(event("evt-uf", at, new FollowRemoved("fan", "star")), memory))
                .isEqualTo(new Act(new Cancel(running, "unfollowed by evt-uf"),
                        new Remember("follow", "fan", "star", new Facts.Decision(false, at.toEpochMilli(), "evt-uf", null)), null));
    }

    @Test
    void anUnfollowOfAFinishedOrForgottenFollowIsOnlyRemembered() {
        memory.has(follow(followId("evt-f"), 3))
                .decided("follow", "fan", "star", new Facts.Decision(true, T0.toEpochMilli(), "evt-f", followId("evt-f")))
                .decided("follow", "fan2", "star", new Facts.Decision(true, T0.toEpochMilli(), "evt-g", followId("evt-g")));
        Remember removed = new Remember("follow", "fan", "star", new Facts.Decision(false, T0.plusSeconds(9).toEpochMilli(), "evt-uf", null));

        assertThat(intake.onIntake(event("evt-uf", T0.plusSeconds(9), new FollowRemoved("fan", "star")), memory))
                .isEqualTo(new Act(null, removed, null));
        assertThat(intake.onIntake(event("evt-ug", T0.plusSeconds(9), new FollowRemoved("fan2", "star")), memory))
                .as("its journal was cleaned up").isInstanceOf(Act.class)
                .satisfies(p -> assertThat(((Act) p).cancel()).isNull());
        assertThat(memory.journalsRead).containsExactly(followId("evt-f"), followId("evt-g"));
    }

    @Test
    void anUnfollowWithoutAnActiveFollowReadsNoJournal() {
        Remember removed = new Remember("follow", "fan", "star", new Facts.Decision(false, T0.toEpochMilli(), "evt-uf", null));
        assertThat(intake.onIntake(event("evt-uf", T0, new FollowRemoved("fan", "star")), memory))
                .isEqualTo(new Act(null, removed, null));

        memory.decided("follow", "fan", "star", new Facts.Decision(false, T0.minusSeconds(1).toEpochMilli(), "evt-x", null));
        assertThat(intake.onIntake(event("evt-uf", T0, new FollowRemoved("fan", "star")), memory))
                .isEqualTo(new Act(null, removed, null));
        assertThat(memory.journalsRead).isEmpty();
    }

    @Test
    void anUnfollowOlderThanTheLatestDecisionIsStale() {
        memory.decided("follow", "fan", "star", new Facts.Decision(true, T0.plusSeconds(1).toEpochMilli(), "evt-f", followId("evt-f")));
        assertThat(intake.onIntake(event("evt-uf", T0, new FollowRemoved("fan", "star")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "stale", null));
        assertThat(memory.journalsRead).isEmpty();
    }

    // ---- bans

    @Test
    void aBroadcastBanComesBackAsABan() {
        assertThat(intake.onIntake(event("evt-ban", T0, new ProfileBanned("u2", "spam")), memory)).isEqualTo(new Ban("u2", "evt-ban"));
        assertThat(intake.onEvent(event("evt-ban", T0, new ProfileBanned("u2", "spam")), memory)).isInstanceOf(Ignore.class);
    }

    @Test
    void aLikeOrFollowByOrForABannedProfileStartsNothingAndIsNotRemembered() {
        memory.bans("u2", "star");
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "banned-actor", null));
        assertThat(intake.onEvent(event("evt-2", T0, new LikeCreated("u3", "p9", "star")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "banned-recipient", null));
        assertThat(intake.onIntake(event("evt-3", T0, new FollowCreated("u2", "u1")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "banned-actor", null));
        assertThat(intake.onIntake(event("evt-4", T0, new FollowCreated("fan", "star")), memory))
                .isEqualTo(new Skip(Flows.FOLLOW, "banned-recipient", null));
        // Checked before anything is read: a banned actor's like is not even a duplicate.
        memory.decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));
        assertThat(intake.onEvent(event("evt-1", T0, new LikeCreated("u2", "p1", "u1")), memory))
                .isEqualTo(new Skip(Flows.LIKE, "banned-actor", null));
        assertThat(memory.journalsRead).isEmpty();
    }

    @Test
    void anUnlikeByABannedProfileStillTakesItsLikeBack() {
        memory.bans("u2").decided("like", "u2", "p1", new Facts.Decision(true, T0.toEpochMilli(), "evt-1", likeId("evt-1")));
        Plan plan = intake.onEvent(event("evt-u", T0.plusSeconds(1), new LikeRemoved("u2", "p1", "u1")), memory);
        assertThat(plan).isInstanceOf(Act.class);
        assertThat(((Act) plan).start().flow()).isEqualTo(Flows.UNLIKE);
    }

    // ---- helpers

    private static Envelope<EventData> event(String id, Instant time, EventData data) {
        return Envelope.of(id, SOURCE, time, data);
    }

    /** A like coordinator after {@code stepsDone} successful steps (5: done); NOTIFYING notes {@code windowStart}. */
    private static Coordinator like(String id, int stepsDone, String windowStart) {
        return fold(LIKE_FLOW, id, "u1", stepsDone, windowStart);
    }

    private static Coordinator follow(String id, int stepsDone) {
        return fold(FOLLOW_FLOW, id, "star", stepsDone, null);
    }

    private static Coordinator fold(Flow flow, String id, String recipient, int stepsDone, String windowStart) {
        Coordinator c = Coordinator.blank(id, flow, recipient, Map.of());
        c = c.apply(flow, new JournalEntry(1, Kind.STARTED, null, flow.firstState(), T0, null, null, Map.of()));
        for (int i = 0; i < stepsDone; i++) {
            String from = c.state();
            Map<String, String> notes = "NOTIFYING".equals(from) && windowStart != null
                    ? Map.of(Flows.WINDOW_START, windowStart) : Map.of();
            c = c.apply(flow, new JournalEntry(c.journal().size() + 1, Kind.SUCCEEDED, from, flow.next(from), T0, null, null, notes));
        }
        return c;
    }

    /** The id of the like coordinator an event of the test's likes source starts: kind, event id and source tag. */
    private static String likeId(String eventId) {
        return "like:" + PushIds.eventKey(SOURCE.toString(), eventId);
    }

    /** The id of the follow coordinator an event of the test's follows source starts. */
    private static String followId(String eventId) {
        return "follow:" + PushIds.eventKey(SOURCE.toString(), eventId);
    }

}
