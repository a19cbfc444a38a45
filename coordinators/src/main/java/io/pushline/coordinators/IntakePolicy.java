package io.pushline.coordinators;

import io.pushline.contracts.Envelope;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.ProfileBanned;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The like and follow intake: which event starts which coordinator, which one it cancels, and which it skips (the same
 * event again, a second like of a post while the first stands, an event older than a decision already applied).
 *
 * <p>Pure: no Kafka, no clock (the times it compares are the events' own {@code ce_time}). It reads what the partition
 * remembers through {@link Memory} and answers a {@link Plan}; {@link CoordinatorProcessor} carries the plan out, in
 * the input's transaction. Stateless, so one instance may serve any number of tasks.
 *
 * <p>Per actor and object (a post they liked, a user they followed) one {@link Facts.Decision} is remembered: the
 * latest event applied. A like or follow starts its flow unless that decision is this very event, an active like or
 * follow, or a removal newer than the event. An unlike cancels the like's coordinator if it still runs and starts an
 * unlike flow undoing what the like did; an unlike that finds nothing to undo is remembered, so that the like it
 * removes, arriving late, is not applied. An unfollow cancels a follow that still runs; there is nothing to undo.
 *
 * <p>Bans: a like or follow whose actor or recipient is banned starts nothing (skipped as {@code banned-actor} or
 * {@code banned-recipient}, and not remembered). An unlike or unfollow still runs: neither pushes, and an unlike takes
 * back what its like did before the ban (its saved like, its count). A {@code ProfileBanned} is broadcast to every
 * partition ({@link Route#BROADCAST}) and comes back from the intake topic as a {@link Ban}.
 */
final class IntakePolicy {
    /** The kinds of decision in {@link Facts} (the first part of their keys). */
    static final String LIKE = "like";
    static final String FOLLOW = "follow";

    /** What to do with an event of a type read from the events topic. */
    enum Route {
        /** Decide here: the event is keyed by its recipient already (a like, by the post's owner). */
        DECIDE,
        /** Keyed by the follower: re-key by the followee, whose partition decides ({@link #onIntake}). */
        REKEY_BY_FOLLOWEE,
        /**
         * A ban, keyed by the banned profile: re-publish it to every partition of the intake topic, since the
         * coordinators it stops (about the profile as actor or recipient) run on every partition.
         */
        BROADCAST,
        /** No flow takes it. */
        IGNORE
    }

    /** What the policy reads of the partition: the latest decisions, and coordinators by id. */
    interface Memory {
        /** The latest decision of {@code kind} about {@code actor} and {@code object}; null if none is remembered. */
        Facts.Decision decision(String kind, String actor, String object);

        /** The coordinator of {@code id}; null if there is none (any more: its journal was cleaned up). */
        Coordinator coordinator(String id);

        /** Whether {@code profileId} is banned, as far as this partition has heard. */
        boolean banned(String profileId);
    }

    /** What to do about one event. */
    sealed interface Plan permits Skip, Act, Ignore, Ban {
    }

    /**
     * Start nothing; count the skip as {@code reason} of {@code flow}.
     *
     * @param remember the decision to remember all the same; null for none
     */
    record Skip(String flow, String reason, Remember remember) implements Plan {
        Skip {
            Objects.requireNonNull(flow, "flow");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Cancel, remember, start, in this order.
     *
     * @param cancel   the coordinator the event stops; null for none
     * @param remember the decision the event makes; never null
     * @param start    the coordinator the event starts; null for none
     */
    record Act(Cancel cancel, Remember remember, Start start) implements Plan {
        Act {
            Objects.requireNonNull(remember, "remember");
        }
    }

    /** Ban {@code profileId}: remember it, and cancel the coordinators running about it. */
    record Ban(String profileId, String eventId) implements Plan {
        Ban {
            Objects.requireNonNull(profileId, "profileId");
            Objects.requireNonNull(eventId, "eventId");
        }
    }

    /** Not an event the flows take (its type says so, but its data is another's). */
    record Ignore() implements Plan {
    }

    /** A decision to remember, under {@code kind|actor|object}. */
    record Remember(String kind, String actor, String object, Facts.Decision decision) {
    }

    /** A coordinator to cancel, with the reason to journal. */
    record Cancel(Coordinator coordinator, String reason) {
    }

    /** A coordinator to start. */
    record Start(String id, String flow, String recipient, Map<String, String> input) {
        Start {
            input = Map.copyOf(input);
        }
    }

    private static final Ignore IGNORE = new Ignore();

    /** Where an event of {@code type}, read from the events topic, goes. */
    static Route route(EventType type) {
        return switch (type) {
            case LIKE_CREATED, LIKE_REMOVED -> Route.DECIDE;
            case FOLLOW_CREATED, FOLLOW_REMOVED -> Route.REKEY_BY_FOLLOWEE;
            case PROFILE_BANNED -> Route.BROADCAST;
            default -> Route.IGNORE;
        };
    }

    /** The followee of a follow or unfollow: its flow runs where the followee's devices are. Null for other data. */
    static String followee(EventData data) {
        if (data instanceof FollowCreated f) {
            return f.followeeId();
        }
        if (data instanceof FollowRemoved r) {
            return r.followeeId();
        }
        return null;
    }

    /** An event routed {@link Route#DECIDE} from the events topic: a like or an unlike. */
    Plan onEvent(Envelope<?> e, Memory memory) {
        if (e.data() instanceof LikeCreated like) {
            return like(e, like, memory);
        }
        if (e.data() instanceof LikeRemoved unlike) {
            return unlike(e, unlike, memory);
        }
        return IGNORE;
    }

    /** An event from the intake topic: a follow or an unfollow (re-keyed by the followee), or a broadcast ban. */
    Plan onIntake(Envelope<?> e, Memory memory) {
        if (e.data() instanceof ProfileBanned ban) {
            return new Ban(ban.profileId(), e.id());
        }
        if (e.data() instanceof FollowCreated follow) {
            return follow(e, follow, memory);
        }
        if (e.data() instanceof FollowRemoved unfollow) {
            return unfollow(e, unfollow, memory);
        }
        return IGNORE;
    }

    private Plan like(Envelope<?> e, LikeCreated like, Memory memory) {
        Skip banned = banned(Flows.LIKE, like.actorId(), like.postOwnerId(), memory);
        if (banned != null) {
            return banned;
        }
        Skip refused = refusal(Flows.LIKE, memory.decision(LIKE, like.actorId(), like.postId()), e);
        if (refused != null) {
            return refused;
        }
        String id = "like:" + PushIds.eventKey(e.source().toString(), e.id());
        Map<String, String> input = eventInput(e);
        input.put(Flows.ACTOR, like.actorId());
        input.put(Flows.POST, like.postId());
        input.put(Flows.OWNER, like.postOwnerId());
        return new Act(null, new Remember(LIKE, like.actorId(), like.postId(), new Facts.Decision(true, millis(e), e.id(), id)),
                new Start(id, Flows.LIKE, like.postOwnerId(), input));
    }

    private Plan unlike(Envelope<?> e, LikeRemoved unlike, Memory memory) {
        long at = millis(e);
        Facts.Decision d = memory.decision(LIKE, unlike.actorId(), unlike.postId());
        if (d == null || !d.active()) {
            if (d != null && d.eventId().equals(e.id())) {
                return new Skip(Flows.UNLIKE, "duplicate", null);
            }
            // Nothing to undo (yet): remember the removal, so that the like it removes, arriving late, is not applied.
            Remember removal = d == null || at > d.at()
                    ? new Remember(LIKE, unlike.actorId(), unlike.postId(), new Facts.Decision(false, at, e.id(), null))
                    : null;
            return new Skip(Flows.UNLIKE, "nothing-to-undo", removal);
        }
        if (d.at() > at) {
            return new Skip(Flows.UNLIKE, "stale", null); // the like it would remove came later
        }
        Coordinator like = memory.coordinator(d.coordinatorId());
        Cancel cancel = like != null && !like.isTerminal() ? new Cancel(like, "like removed by " + e.id()) : null;
        String id = "unlike:" + PushIds.eventKey(e.source().toString(), e.id());
        Map<String, String> input = eventInput(e);
        input.put(Flows.ACTOR, unlike.actorId());
        input.put(Flows.POST, unlike.postId());
        input.put(Flows.OWNER, unlike.postOwnerId());
        // What the like did, as it stood before this cancel (all but the push, if its journal is gone).
        input.put(Flows.UNDO, Flows.undoList(like));
        String windowStart = like == null ? null : like.notes().get(Flows.WINDOW_START);
        input.put(Flows.WINDOW_START, windowStart == null ? "" : windowStart);
        // The like digest it was folded into, if any (only then: inputs without a digest stay as they were).
        String digestId = like == null ? null : like.notes().get(Flows.DIGEST_ID);
        if (digestId != null) {
            input.put(Flows.DIGEST_ID, digestId);
        }
        // The like's pushes held for quiet hours, if any, to take back: as its journal says, or, once its journal is gone
        // (its pushes may be held for up to the push TTL), the hold its coordinator would have made.
        String holdId = like != null ? like.notes().get(Flows.HOLD_ID)
                : d.coordinatorId() == null ? null : DeliveryPolicy.holdId(d.coordinatorId());
        if (holdId != null) {
            input.put(Flows.HOLD_ID, holdId);
        }
        return new Act(cancel, new Remember(LIKE, unlike.actorId(), unlike.postId(), new Facts.Decision(false, at, e.id(), id)),
                new Start(id, Flows.UNLIKE, unlike.postOwnerId(), input));
    }

    private Plan follow(Envelope<?> e, FollowCreated follow, Memory memory) {
        Skip banned = banned(Flows.FOLLOW, follow.followerId(), follow.followeeId(), memory);
        if (banned != null) {
            return banned;
        }
        Skip refused = refusal(Flows.FOLLOW, memory.decision(FOLLOW, follow.followerId(), follow.followeeId()), e);
        if (refused != null) {
            return refused;
        }
        String id = "follow:" + PushIds.eventKey(e.source().toString(), e.id());
        Map<String, String> input = eventInput(e);
        input.put(Flows.ACTOR, follow.followerId());
        input.put(Flows.FOLLOWEE, follow.followeeId());
        return new Act(null,
                new Remember(FOLLOW, follow.followerId(), follow.followeeId(), new Facts.Decision(true, millis(e), e.id(), id)),
                new Start(id, Flows.FOLLOW, follow.followeeId(), input));
    }

    private Plan unfollow(Envelope<?> e, FollowRemoved unfollow, Memory memory) {
        long at = millis(e);
        Facts.Decision d = memory.decision(FOLLOW, unfollow.followerId(), unfollow.followeeId());
        if (d != null && d.at() > at) {
            return new Skip(Flows.FOLLOW, "stale", null);
        }
        Cancel cancel = null;
        if (d != null && d.active()) {
            Coordinator follow = memory.coordinator(d.coordinatorId());
            if (follow != null && !follow.isTerminal()) {
                cancel = new Cancel(follow, "unfollowed by " + e.id());
            }
        }
        return new Act(cancel,
                new Remember(FOLLOW, unfollow.followerId(), unfollow.followeeId(), new Facts.Decision(false, at, e.id(), null)),
                null);
    }

    /** A skip if the actor or the recipient is banned (the ban is permanent: nothing is remembered), else null. */
    private static Skip banned(String flow, String actor, String recipient, Memory memory) {
        if (memory.banned(actor)) {
            return new Skip(flow, "banned-actor", null);
        }
        if (memory.banned(recipient)) {
            return new Skip(flow, "banned-recipient", null);
        }
        return null;
    }

    /**
     * Why an event may not start its flow, or null if it may: not the same event again, not a second like of the same
     * post (or follow of the same user) while the first stands, and not an event older than a removal already applied.
     */
    private static Skip refusal(String flow, Facts.Decision d, Envelope<?> e) {
        if (d == null) {
            return null;
        }
        if (d.eventId().equals(e.id())) {
            return new Skip(flow, "duplicate", null);
        }
        if (d.active()) {
            return new Skip(flow, "already", null);
        }
        if (d.at() > millis(e)) {
            return new Skip(flow, "stale", null);
        }
        return null;
    }

    /** What every flow is started with: the event's id, time and source. */
    private static Map<String, String> eventInput(Envelope<?> e) {
        Map<String, String> input = new HashMap<>();
        input.put(Flows.EVENT_ID, e.id());
        input.put(Flows.EVENT_TIME, Long.toString(millis(e)));
        input.put(Flows.EVENT_SOURCE, e.source().toString());
        return input;
    }

    private static long millis(Envelope<?> e) {
        return e.time().toEpochMilli();
    }
}
