package io.pushline.coordinators;

import io.pushline.contracts.ActivityRecorded;
import io.pushline.contracts.ActivityVerb;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.EventData;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Lane;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.NotificationKind;
import io.pushline.contracts.NotificationUpdated;
import io.pushline.contracts.Priority;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.TimelineEntryUpdated;
import io.pushline.contracts.Topics;
import org.apache.kafka.streams.KeyValue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The bounded flows, each a small declaration over {@link Facts}:
 *
 * <ul>
 *   <li>{@code like}: SAVING → UPDATING_TIMELINE → APPENDING_ACTIVITY → NOTIFYING → PUSHING → DONE; a
 *       {@code LikeRemoved} cancels it in any state (what is not yet pushed never is);</li>
 *   <li>{@code unlike}: undoes what a like did (UNSAVING → UNCOUNTING → RECORDING_ACTIVITY → RETRACTING → DONE),
 *       each step only if the like had done its counterpart;</li>
 *   <li>{@code follow}: APPENDING_ACTIVITY → NOTIFYING → PUSHING → DONE;</li>
 *   <li>{@code like-digest}: SENDING → DONE, the push of a like digest (below); cancelled by a ban of its recipient;</li>
 *   <li>{@code held}: RELEASING → DONE, the release of pushes held for quiet hours (below); cancelled by a ban of its
 *       recipient or actor.</li>
 * </ul>
 *
 * <p>The like digest (issue 19; on when {@link CoordinatorConfig#likeDigestWindow} is not zero). A like's PUSHING step
 * then pushes nothing: it folds the like into its recipient's open digest ({@link Facts.Digest}, opening one if there is
 * none, due at its start plus the window) and notes which ({@value #DIGEST_ID}, {@value #PUSHES} 0), so the like's
 * coordinator is done at once. At the due time the processor's schedule takes the digest out of the facts and starts a
 * {@code like-digest} coordinator with the digest as its input ({@link #digestInput}); its one step, SENDING, writes one
 * high-lane push per device of the recipient. Why not let the coordinator of the like that opened the digest wait in
 * PUSHING until the due time: that coordinator is the like's, not the recipient's. An unlike of that like, or a ban of
 * its actor, cancels it (in PUSHING, as before), and everyone else's likes would go unpushed; it would sit in PUSHING
 * for up to an hour, past that step's timeout and in the gauges of coordinators waiting for a retry; and the engine has
 * no way for a step to wait but to fail. With a flow of its own, the wait is the schedule store's (as the window
 * expiries'), nobody's step waits, and the push is journaled and supervised like any other: retried with backoff,
 * parked, retried by an operator, cancelled by a ban of the recipient. What was pushed is in its journal (input and
 * notes); what each like joined is in the like's.
 *
 * <p>Delivery policy (issue 19; {@link DeliveryPolicy}). A push step (a like's or a follow's PUSHING, a like digest's
 * SENDING) makes its push tasks, then asks the recipient's preferences: a recipient who muted the category
 * ({@value DeliveryPolicy#LIKE} for likes and like digests, {@value DeliveryPolicy#FOLLOW} for follows) gets none (a
 * {@code CANCELLED} receipt per push says {@code policy muted}); one inside quiet hours, for a category that does not
 * pass them ({@link CoordinatorConfig#quietHoursPassThrough}), has the tasks held: written to the held store with a
 * schedule entry at {@code min(end of the quiet hours, now + push TTL)}, and the step succeeds with {@value #PUSHES} 0.
 * Either way it notes {@value #POLICY} (and {@value #POLICY_REASON}, {@value #HOLD_ID}, {@value #HELD_UNTIL}), so the
 * journal says what policy did and why. At the due time the processor starts a {@code held} coordinator (one per hold
 * and due time) whose one step, RELEASING, looks again: expired (the TTL ran out: {@code EXPIRED} receipts), muted
 * since ({@code CANCELLED} receipts), still quiet (held again until the new end, noted), or released: the held tasks
 * written to the high lane as they were, with their push ids and times. Why a flow, as for the like digest: the coordinator
 * that held the pushes is done (its step cannot wait), and a release journaled and supervised like any push (retried,
 * parked, cancelled by a ban of the recipient or the actor meanwhile) says in its journal what became of the pushes.
 * An unlike of a like whose pushes are held takes them back (its RETRACTING step, note {@value #HOLD}).
 *
 * <p>Every record a step writes has an id derived from the coordinator and the step ({@link StepContext#deterministicId}),
 * and a push's id is {@link PushIds#pushId} of the event and the token, so a step redone after a crash is recognisably
 * the same record and the workers' receipts keep a push from being sent twice.
 */
final class Flows {
    static final String LIKE = "like";
    static final String UNLIKE = "unlike";
    static final String FOLLOW = "follow";
    static final String LIKE_DIGEST = "like-digest";
    /** Releases pushes held for quiet hours (see the class notes). */
    static final String HELD = "held";
    /** Input names. */
    static final String EVENT_ID = "eventId";
    static final String EVENT_TIME = "eventTime";
    static final String EVENT_SOURCE = "eventSource";
    static final String ACTOR = "actorId";
    static final String POST = "postId";
    static final String OWNER = "ownerId";
    static final String FOLLOWEE = "followeeId";
    static final String UNDO = "undo";
    /** Of an unlike (if its like was folded into a digest) and of a {@code like-digest}: the digest's id; also a note. */
    static final String DIGEST_ID = "digestId";
    /** Of a {@code like-digest}: the digest's start (epoch millis), its likes, the people who liked, and their ids and posts. */
    static final String DIGEST_START = "digestStart";
    static final String DIGEST_LIKES = "likeCount";
    static final String DIGEST_ACTOR_COUNT = "actorCount";
    static final String DIGEST_ACTORS = "actorIds";
    static final String DIGEST_POSTS = "postIds";
    /**
     * Of a {@code held} coordinator, and of an unlike of a like whose pushes were held: the hold; also a note of the
     * step that held them.
     */
    static final String HOLD_ID = "holdId";
    /** Of a {@code held} coordinator: the pushes' category and the coordinator that held them. */
    static final String CATEGORY = "category";
    static final String ORIGIN = "origin";
    /** Note names. */
    static final String NOTIFIED = "notified";
    static final String WINDOW_START = "windowStart";
    static final String NOTIFICATION_ID = "notificationId";
    static final String TEXT = "text";
    static final String PUSHES = "pushes";
    /**
     * What a step did with a digest: {@code opened} or {@code folded} (a like's PUSHING), {@code sent} (a
     * {@code like-digest}'s SENDING), {@code taken-out} or {@code sent-already} (an unlike's RETRACTING).
     */
    static final String DIGEST = "digest";
    /**
     * What delivery policy did in a push step: {@code muted} (nothing pushed), {@code held} (held for quiet hours),
     * {@code passed} (pushed in quiet hours: the category passes them); in a {@code held} coordinator's RELEASING:
     * {@code released}, {@code expired}, {@code muted} or {@code held} (again). Absent: pushed as usual.
     */
    static final String POLICY = "policy";
    /** Why, for an operator: whose mute or quiet hours, until when (in their time zone). */
    static final String POLICY_REASON = "policyReason";
    /** Until when held pushes are held (ISO instant): the end of the quiet hours, or their expiry if sooner. */
    static final String HELD_UNTIL = "heldUntil";
    /** How many push tasks were held. */
    static final String HELD_PUSHES = "heldPushes";
    /** Of an unlike's RETRACTING: {@code taken-back} when it deleted the pushes of its like held for quiet hours. */
    static final String HOLD = "hold";

    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration PUSH_TIMEOUT = Duration.ofMinutes(10);
    /** Actors a notification names. */
    private static final int LATEST_ACTORS = NotificationUpdated.MAX_LATEST_ACTORS;
    /**
     * Actors a window remembers, newest first: more than it names, so that when named actors take their like back the
     * next ones can be named instead.
     */
    private static final int REMEMBERED_ACTORS = 20;
    /** Likes (and posts) a digest remembers, newest first; it counts them all. */
    static final int REMEMBERED_LIKES = 20;
    /** How many actors a digest's push names. */
    private static final int DIGEST_NAMED = 2;

    private final Facts facts;
    private final DeliveryPolicy delivery;
    private final CoordinatorConfig config;
    private final Map<String, Flow> byName = new LinkedHashMap<>();

    /** Without delivery policy's stores: nobody has preferences, every push is sent (flows run outside a topology). */
    Flows(Facts facts, CoordinatorConfig config) {
        this(facts, DeliveryPolicy.none(), config);
    }

    Flows(Facts facts, DeliveryPolicy delivery, CoordinatorConfig config) {
        this.facts = facts;
        this.delivery = delivery;
        this.config = config;
        CoordinatorConfig.StepDecorator d = config.steps();
        register(Flow.named(LIKE)
                .step("SAVING", d.wrap(LIKE, "SAVING", this::saveLike), STEP_TIMEOUT)
                .step("UPDATING_TIMELINE", d.wrap(LIKE, "UPDATING_TIMELINE", this::countLike), STEP_TIMEOUT)
                .step("APPENDING_ACTIVITY", d.wrap(LIKE, "APPENDING_ACTIVITY", ctx -> activity(ctx, ActivityVerb.LIKED)), STEP_TIMEOUT)
                .step("NOTIFYING", d.wrap(LIKE, "NOTIFYING", ctx -> notify(ctx, NotificationKind.LIKE)), STEP_TIMEOUT)
                .step("PUSHING", d.wrap(LIKE, "PUSHING", ctx -> push(ctx, NotificationKind.LIKE)), PUSH_TIMEOUT)
                .cancellableIn("SAVING", "UPDATING_TIMELINE", "APPENDING_ACTIVITY", "NOTIFYING", "PUSHING")
                .build());
        register(Flow.named(UNLIKE)
                .step("UNSAVING", d.wrap(UNLIKE, "UNSAVING", this::unsaveLike), STEP_TIMEOUT)
                .step("UNCOUNTING", d.wrap(UNLIKE, "UNCOUNTING", this::uncountLike), STEP_TIMEOUT)
                .step("RECORDING_ACTIVITY", d.wrap(UNLIKE, "RECORDING_ACTIVITY", this::unlikeActivity), STEP_TIMEOUT)
                .step("RETRACTING", d.wrap(UNLIKE, "RETRACTING", this::retract), STEP_TIMEOUT)
                .build());
        register(Flow.named(FOLLOW)
                .step("APPENDING_ACTIVITY", d.wrap(FOLLOW, "APPENDING_ACTIVITY", ctx -> activity(ctx, ActivityVerb.FOLLOWED)), STEP_TIMEOUT)
                .step("NOTIFYING", d.wrap(FOLLOW, "NOTIFYING", ctx -> notify(ctx, NotificationKind.FOLLOW)), STEP_TIMEOUT)
                .step("PUSHING", d.wrap(FOLLOW, "PUSHING", ctx -> push(ctx, NotificationKind.FOLLOW)), PUSH_TIMEOUT)
                .cancellableIn("APPENDING_ACTIVITY", "NOTIFYING", "PUSHING")
                .build());
        // Started by the schedule at a digest's due time, never by an event (see the class notes).
        register(Flow.named(LIKE_DIGEST)
                .step("SENDING", d.wrap(LIKE_DIGEST, "SENDING", this::sendDigest), PUSH_TIMEOUT)
                .cancellableIn("SENDING")
                .build());
        // Started by the schedule when held pushes are due, never by an event (see the class notes).
        register(Flow.named(HELD)
                .step("RELEASING", d.wrap(HELD, "RELEASING", this::release), PUSH_TIMEOUT)
                .cancellableIn("RELEASING")
                .build());
    }

    private void register(Flow flow) {
        byName.put(flow.name(), flow);
    }

    Flow get(String name) {
        return byName.get(name);
    }

    /** Every flow declared, in declaration order. */
    java.util.Collection<Flow> declarations() {
        return java.util.Collections.unmodifiableCollection(byName.values());
    }

    /**
     * Whether coordinators of {@code flow} push (like, follow, like-digest, held), so a ban of their actor or recipient
     * stops them. An unlike pushes nothing and only takes back what its like did: it runs whoever is banned.
     */
    static boolean pushes(String flow) {
        return LIKE.equals(flow) || FOLLOW.equals(flow) || LIKE_DIGEST.equals(flow) || HELD.equals(flow);
    }

    /**
     * The actor of a coordinator of a flow that {@link #pushes}: who liked or followed; null for a like-digest (and for
     * a held coordinator releasing a like digest's pushes).
     */
    static String actor(CoordinatorView c) {
        return c.input().get(ACTOR);
    }

    /** The like's steps an unlike must undo: those it completed (all of them once it is done). */
    static String undoList(Coordinator like) {
        List<String> done = like == null ? List.of("SAVING", "UPDATING_TIMELINE", "APPENDING_ACTIVITY", "NOTIFYING")
                : like.completed();
        return String.join(",", done);
    }

    // ---- like

    private void saveLike(StepContext ctx) {
        LikeCreated like = new LikeCreated(ctx.input(ACTOR), ctx.input(POST), ctx.input(OWNER));
        // The saved like is the original event, with its own id and time.
        Envelope<LikeCreated> saved = Envelope.of(ctx.input(EVENT_ID), URI.create(ctx.input(EVENT_SOURCE)),
                Instant.ofEpochMilli(Long.parseLong(ctx.input(EVENT_TIME))), like);
        ctx.emit(new Output(Topics.STATE_LIKES, Keys.compound(like.actorId(), like.postId()), saved));
    }

    private void countLike(StepContext ctx) {
        String post = ctx.input(POST);
        long count = facts.likeCount(post) + 1;
        ctx.emit(timelineEntry(ctx, count));
        facts.likeCount(post, count);
    }

    private void activity(StepContext ctx, ActivityVerb verb) {
        boolean follow = verb == ActivityVerb.FOLLOWED;
        String recipient = ctx.coordinator().recipient();
        String object = follow ? ctx.input(FOLLOWEE) : ctx.input(POST);
        emit(ctx, Topics.ACTIVITY, recipient, "activity", new ActivityRecorded(ctx.input(ACTOR), verb, object, recipient));
    }

    private void notify(StepContext ctx, NotificationKind kind) {
        String actor = ctx.input(ACTOR);
        String recipient = ctx.coordinator().recipient();
        if (actor.equals(recipient)) {
            ctx.note(NOTIFIED, "false"); // nobody is told about their own like
            return;
        }
        String object = kind == NotificationKind.LIKE ? ctx.input(POST) : recipient;
        long now = ctx.now().toEpochMilli();
        Facts.Window w = facts.window(recipient, kind.name(), object);
        boolean opened = w == null || now - w.windowStart() >= config.notificationWindow().toMillis();
        if (opened) {
            w = new Facts.Window(now, List.of(actor), 1);
        } else {
            List<String> latest = new ArrayList<>();
            latest.add(actor);
            w.latestActors().stream().filter(a -> !a.equals(actor)).limit(REMEMBERED_ACTORS - 1).forEach(latest::add);
            w = new Facts.Window(w.windowStart(), latest, w.count() + 1);
        }
        String notificationId = notificationId(recipient, kind, object, w.windowStart());
        String text = text(kind, w);
        emit(ctx, Topics.NOTIFICATIONS, Keys.compound(recipient, notificationId), "notification",
                new NotificationUpdated(notificationId, recipient, kind, object, named(w), w.count(), text,
                        collapseKey(kind, object), Instant.ofEpochMilli(w.windowStart())));
        if (opened) {
            facts.openWindow(recipient, kind.name(), object, w, config.historyRetention());
        } else {
            facts.window(recipient, kind.name(), object, w);
        }
        ctx.note(NOTIFIED, "true");
        ctx.note(WINDOW_START, Long.toString(w.windowStart()));
        ctx.note(NOTIFICATION_ID, notificationId);
        ctx.note(TEXT, text);
    }

    private void push(StepContext ctx, NotificationKind kind) {
        if (!"true".equals(ctx.noteOf(NOTIFIED))) {
            ctx.note(PUSHES, "0");
            return;
        }
        if (kind == NotificationKind.LIKE && config.likeDigest()) {
            foldIntoDigest(ctx);
            return;
        }
        String recipient = ctx.coordinator().recipient();
        String eventId = ctx.input(EVENT_ID);
        String object = kind == NotificationKind.LIKE ? ctx.input(POST) : recipient;
        Map<String, String> data = kind == NotificationKind.LIKE
                ? Map.of("type", "like", "postId", object, "actorId", ctx.input(ACTOR), "notificationId", ctx.noteOf(NOTIFICATION_ID))
                : Map.of("type", "follow", "actorId", ctx.input(ACTOR), "notificationId", ctx.noteOf(NOTIFICATION_ID));
        String title = kind == NotificationKind.LIKE ? "New like" : "New follower";
        List<Envelope<PushTask>> tasks = new ArrayList<>();
        for (KeyValue<String, Facts.Device> device : facts.devicesOf(recipient)) {
            String token = device.key;
            // Coordinators journaled before push ids named the source have none: they keep the legacy ids.
            String source = ctx.input(EVENT_SOURCE);
            String pushId = source == null ? PushIds.legacyPushId(eventId, token) : PushIds.pushId(source, eventId, token);
            PushTask task = new PushTask(pushId, eventId, recipient, token, device.value.platform(), device.value.appId(),
                    title, ctx.noteOf(TEXT), data, collapseKey(kind, object), (int) config.pushTtl().toSeconds(),
                    Priority.HIGH, Lane.HIGH, null, null, null, device.value.webPush());
            tasks.add(Envelope.of(pushId, config.source(), ctx.now(), task));
        }
        int pushes = deliver(ctx, kind == NotificationKind.LIKE ? DeliveryPolicy.LIKE : DeliveryPolicy.FOLLOW, tasks, ctx.input(ACTOR));
        ctx.note(PUSHES, Integer.toString(pushes));
    }

    // ---- delivery policy

    /**
     * Applies the recipient's delivery policy to {@code tasks} (one step's push tasks of {@code category}, one per
     * device of the recipient) and returns how many were pushed now: all of them (no preferences, not muted, not in
     * quiet hours, or in quiet hours of a category that passes them), or none: muted (a {@code CANCELLED} receipt each)
     * or held for quiet hours ({@link #hold}, written last, so a step that fails has changed nothing). Notes what it did
     * ({@value #POLICY}, {@value #POLICY_REASON}) unless it pushed as usual.
     *
     * @param actor who liked or followed, null for a like digest: a ban of them cancels the release of held pushes
     */
    private int deliver(StepContext ctx, String category, List<Envelope<PushTask>> tasks, String actor) {
        if (tasks.isEmpty()) {
            return 0;
        }
        String recipient = ctx.coordinator().recipient();
        DeliveryPolicy.Verdict verdict = delivery.decide(recipient, category, ctx.now());
        switch (verdict.decision()) {
            case MUTED -> {
                String reason = muted(recipient, category);
                receipts(ctx, tasks.stream().map(Envelope::data).toList(), ReceiptStatus.CANCELLED, "policy muted: " + reason);
                ctx.note(POLICY, "muted");
                ctx.note(POLICY_REASON, reason);
                return 0;
            }
            case HOLD -> {
                hold(ctx, category, tasks, actor, verdict);
                return 0;
            }
            case PASSED -> {
                ctx.note(POLICY, "passed");
                ctx.note(POLICY_REASON, category + " pushes pass quiet hours (" + quiet(recipient, verdict) + ")");
            }
            case SEND -> {
            }
        }
        for (Envelope<PushTask> task : tasks) {
            ctx.emit(new Output(Topics.PUSH_HIGH, recipient, task));
        }
        return tasks.size();
    }

    /**
     * Holds {@code tasks} until the quiet hours end or, if sooner, until they expire (their time plus the push TTL): in
     * the held store, under a hold id derived from this coordinator (a step redone holds them again under the same), and
     * due in the schedule.
     */
    private void hold(StepContext ctx, String category, List<Envelope<PushTask>> tasks, String actor, DeliveryPolicy.Verdict verdict) {
        String recipient = ctx.coordinator().recipient();
        long now = ctx.now().toEpochMilli();
        long expiresAt = ctx.now().plus(config.pushTtl()).toEpochMilli();
        long due = Math.min(verdict.quietUntil().toEpochMilli(), expiresAt);
        String origin = ctx.coordinator().id();
        String holdId = DeliveryPolicy.holdId(origin);
        noteHeld(ctx, holdId, due, expiresAt, tasks.size(), quiet(recipient, verdict));
        delivery.hold(holdId, new DeliveryPolicy.Hold(recipient, category, origin, ctx.input(EVENT_ID), actor, now, expiresAt, due,
                tasks.size()), tasks.stream().map(t -> new DeliveryPolicy.HeldPush(t.time().toEpochMilli(), t.data())).toList());
    }

    private static void noteHeld(StepContext ctx, String holdId, long due, long expiresAt, int pushes, String quiet) {
        ctx.note(POLICY, "held");
        ctx.note(POLICY_REASON, quiet + (due >= expiresAt ? "; the pushes expire sooner, at " + Instant.ofEpochMilli(expiresAt) : ""));
        ctx.note(HOLD_ID, holdId);
        ctx.note(HELD_UNTIL, Instant.ofEpochMilli(due).toString());
        ctx.note(HELD_PUSHES, Integer.toString(pushes));
    }

    /**
     * A {@code held} coordinator's step: the pushes of its hold are due. Not sent if their TTL ran out ({@code EXPIRED}
     * receipts) or the recipient muted their category since ({@code CANCELLED}); held again if the recipient is still
     * (or again) in quiet hours; else written to the high lane as they were made (push ids, times), so a release redone
     * after a crash writes the same records and the workers send each once. The hold is deleted last.
     */
    private void release(StepContext ctx) {
        String holdId = ctx.input(HOLD_ID);
        DeliveryPolicy.Hold hold = delivery.hold(holdId);
        if (hold == null) {
            ctx.note(POLICY_REASON, "nothing held any more (taken back)");
            ctx.note(PUSHES, "0");
            return;
        }
        String recipient = ctx.coordinator().recipient();
        List<DeliveryPolicy.HeldPush> held = delivery.pushes(holdId);
        List<PushTask> tasks = held.stream().map(DeliveryPolicy.HeldPush::task).toList();
        Instant now = ctx.now();
        if (now.toEpochMilli() >= hold.expiresAt()) {
            receipts(ctx, tasks, ReceiptStatus.EXPIRED, "policy quiet hours: the push expired while held");
            ctx.note(POLICY, "expired");
            ctx.note(POLICY_REASON, "the pushes expired while held, at " + Instant.ofEpochMilli(hold.expiresAt()) + " (held since "
                    + Instant.ofEpochMilli(hold.heldAt()) + ")");
            ctx.note(PUSHES, "0");
            delivery.drop(holdId);
            return;
        }
        DeliveryPolicy.Verdict verdict = delivery.decide(recipient, hold.category(), now);
        switch (verdict.decision()) {
            case MUTED -> {
                String reason = muted(recipient, hold.category());
                receipts(ctx, tasks, ReceiptStatus.CANCELLED, "policy muted: " + reason);
                ctx.note(POLICY, "muted");
                ctx.note(POLICY_REASON, reason + " (since they were held)");
                ctx.note(PUSHES, "0");
                delivery.drop(holdId);
            }
            case HOLD -> {
                long due = Math.min(verdict.quietUntil().toEpochMilli(), hold.expiresAt());
                noteHeld(ctx, holdId, due, hold.expiresAt(), held.size(), "still in " + quiet(recipient, verdict));
                ctx.note(PUSHES, "0");
                delivery.holdAgain(holdId, hold.withDueAt(due));
            }
            case SEND, PASSED -> {
                for (DeliveryPolicy.HeldPush push : held) {
                    ctx.emit(new Output(Topics.PUSH_HIGH, recipient,
                            Envelope.of(push.task().pushId(), config.source(), Instant.ofEpochMilli(push.at()), push.task())));
                }
                ctx.note(POLICY, "released");
                ctx.note(POLICY_REASON, "held since " + Instant.ofEpochMilli(hold.heldAt()));
                ctx.note(PUSHES, Integer.toString(held.size()));
                delivery.drop(holdId);
            }
        }
    }

    /** The input of the {@code held} coordinator that releases hold {@code holdId}. */
    static Map<String, String> heldInput(String holdId, DeliveryPolicy.Hold hold) {
        Map<String, String> input = new LinkedHashMap<>();
        input.put(EVENT_ID, hold.eventId());
        input.put(HOLD_ID, holdId);
        input.put(CATEGORY, hold.category());
        input.put(ORIGIN, hold.origin());
        if (hold.actorId() != null) {
            input.put(ACTOR, hold.actorId());
        }
        return input;
    }

    /**
     * The id of the {@code held} coordinator that releases {@code hold} at its due time: {@code held:<origin>@<due millis>}
     * (one per due time: a hold held again is released by another), naming the coordinator that held the pushes, so
     * {@code pushline explain} finds it with that one's journal.
     */
    static String heldCoordinatorId(DeliveryPolicy.Hold hold) {
        return HELD + ":" + hold.origin() + "@" + hold.dueAt();
    }

    /** A receipt per task saying why it was not sent (keyed {@code userId|pushId}, partitioned by the user). */
    private void receipts(StepContext ctx, List<PushTask> tasks, ReceiptStatus status, String reason) {
        for (PushTask t : tasks) {
            PushReceipt receipt = PushReceipt.of(t, status, null, reason, ctx.now());
            ctx.emit(new Output(Topics.PUSH_RECEIPTS, Keys.compound(t.userId(), t.pushId()),
                    Envelope.of(t.pushId() + "-" + status.name().toLowerCase(Locale.ROOT), config.source(), ctx.now(), receipt)));
        }
    }

    private static String muted(String recipient, String category) {
        return recipient + " muted " + category + " pushes";
    }

    /** "quiet hours of u1 until 2026-03-01T15:00:00Z (2026-03-02T00:00 Asia/Tokyo)". */
    private static String quiet(String recipient, DeliveryPolicy.Verdict verdict) {
        return "quiet hours of " + recipient + " until " + verdict.quietUntil() + " ("
                + verdict.quietUntil().atZone(ZoneId.of(verdict.timeZone())).toLocalDateTime() + " " + verdict.timeZone() + ")";
    }

    // ---- like digest

    /**
     * Folds the like into its recipient's open digest, or opens one (due at now plus the digest window); pushes nothing.
     * The digest's state is written last, so a step that fails has changed nothing.
     */
    private void foldIntoDigest(StepContext ctx) {
        String recipient = ctx.coordinator().recipient();
        Facts.Liked liked = new Facts.Liked(ctx.input(ACTOR), ctx.input(POST));
        Facts.Digest d = facts.digest(recipient);
        boolean opened = d == null;
        if (opened) {
            long start = ctx.now().toEpochMilli();
            d = new Facts.Digest(digestId(recipient, start), start, 1, List.of(liked), List.of(liked.postId()));
            facts.openDigest(recipient, d, ctx.now().plus(config.likeDigestWindow()));
        } else {
            // Until it is sent: a digest due but not yet taken by the schedule (its wake-up a moment late) still takes it.
            d = new Facts.Digest(d.id(), d.start(), d.count() + 1, newestFirst(liked, d.likes()), newestFirst(liked.postId(), d.posts()));
            facts.digest(recipient, d);
        }
        ctx.note(DIGEST_ID, d.id());
        ctx.note(DIGEST, opened ? "opened" : "folded");
        ctx.note(PUSHES, "0");
    }

    private static <T> List<T> newestFirst(T item, List<T> list) {
        List<T> out = new ArrayList<>();
        out.add(item);
        list.stream().filter(x -> !x.equals(item)).limit(REMEMBERED_LIKES - 1).forEach(out::add);
        return List.copyOf(out);
    }

    /**
     * The input of the {@code like-digest} coordinator that pushes {@code d}: its id, start and count, and whom and
     * what it names, leaving out the likes of {@code banned} actors (those it remembers). Null if no like is left.
     */
    static Map<String, String> digestInput(Facts.Digest d, Predicate<String> banned) {
        List<Facts.Liked> likes = d.likes().stream().filter(l -> !banned.test(l.actorId())).toList();
        long count = d.count() - (d.likes().size() - likes.size());
        if (count <= 0) {
            return null;
        }
        List<String> actors = likes.stream().map(Facts.Liked::actorId).distinct().toList();
        boolean complete = likes.size() >= count;
        // Every like counted but not remembered is taken for another person: exact up to REMEMBERED_LIKES likes.
        long people = actors.size() + (complete ? 0 : count - likes.size());
        List<String> posts = complete ? likes.stream().map(Facts.Liked::postId).distinct().toList() : d.posts();
        Map<String, String> input = new LinkedHashMap<>();
        input.put(EVENT_ID, d.id());
        input.put(DIGEST_ID, d.id());
        input.put(DIGEST_START, Long.toString(d.start()));
        input.put(DIGEST_LIKES, Long.toString(count));
        input.put(DIGEST_ACTOR_COUNT, Long.toString(people));
        input.put(DIGEST_ACTORS, String.join(",", actors));
        input.put(DIGEST_POSTS, String.join(",", posts));
        return input;
    }

    /** Pushes a digest (its input): one high-lane push per device of the recipient, with ids from the digest's id. */
    private void sendDigest(StepContext ctx) {
        String recipient = ctx.coordinator().recipient();
        String digestId = ctx.input(DIGEST_ID);
        long likes = Long.parseLong(ctx.input(DIGEST_LIKES));
        List<String> actors = split(ctx.input(DIGEST_ACTORS));
        List<String> posts = split(ctx.input(DIGEST_POSTS));
        String text = digestText(Long.parseLong(ctx.input(DIGEST_ACTOR_COUNT)), actors, posts.size() > 1);
        Map<String, String> data = new LinkedHashMap<>();
        data.put("type", "like-digest");
        data.put("digestId", digestId);
        data.put("count", Long.toString(likes));
        if (posts.size() == 1) {
            data.put("postId", posts.get(0));
        }
        String title = likes == 1 ? "New like" : "New likes";
        String source = config.source().toString();
        List<Envelope<PushTask>> tasks = new ArrayList<>();
        for (KeyValue<String, Facts.Device> device : facts.devicesOf(recipient)) {
            String token = device.key;
            String pushId = PushIds.pushId(source, digestId, token);
            PushTask task = new PushTask(pushId, digestId, recipient, token, device.value.platform(), device.value.appId(),
                    title, text, data, digestCollapseKey(digestId), (int) config.pushTtl().toSeconds(),
                    Priority.HIGH, Lane.HIGH, null, null, null, device.value.webPush());
            tasks.add(Envelope.of(pushId, config.source(), ctx.now(), task));
        }
        // A digest is a like push: muted with likes, held in quiet hours (then released by a held coordinator).
        int pushes = deliver(ctx, DeliveryPolicy.LIKE, tasks, null);
        String policy = ctx.notes().get(POLICY);
        ctx.note(DIGEST, "held".equals(policy) || "muted".equals(policy) ? policy : "sent");
        ctx.note(TEXT, text);
        ctx.note(PUSHES, Integer.toString(pushes));
    }

    /**
     * Takes the like an unlike undoes out of the digest it was folded into, if that digest is still open (not sent):
     * its count drops by one; a digest whose count reaches 0 pushes nothing when it is due.
     */
    private void retractFromDigest(StepContext ctx) {
        // Read as is: unlikes journaled before the digest existed have no such input.
        String digestId = ctx.coordinator().input().get(DIGEST_ID);
        if (digestId == null || digestId.isEmpty()) {
            return;
        }
        String recipient = ctx.coordinator().recipient();
        Facts.Digest d = facts.digest(recipient);
        if (d == null || !d.id().equals(digestId)) {
            ctx.note(DIGEST, "sent-already");
            return;
        }
        Facts.Liked liked = new Facts.Liked(ctx.input(ACTOR), ctx.input(POST));
        List<Facts.Liked> likes = d.likes().stream().filter(l -> !l.equals(liked)).toList();
        long count = Math.max(0, d.count() - 1);
        List<String> posts = likes.size() >= count ? likes.stream().map(Facts.Liked::postId).distinct().toList() : d.posts();
        facts.digest(recipient, new Facts.Digest(d.id(), d.start(), count, likes, posts));
        ctx.note(DIGEST, "taken-out");
    }

    static String digestId(String recipient, long start) {
        String name = LIKE_DIGEST + '|' + recipient + '|' + start;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** One collapse key per digest: a later digest is a new notification, not a replacement of this one. */
    static String digestCollapseKey(String digestId) {
        return LIKE_DIGEST + "-" + digestId;
    }

    /**
     * "alice liked your post", "alice and bob liked your post", "alice, bob and 13 others liked your posts": the first
     * {@value #DIGEST_NAMED} of {@code actors} (newest first) and how many other people liked.
     */
    static String digestText(long people, List<String> actors, boolean severalPosts) {
        String what = severalPosts ? " liked your posts" : " liked your post";
        List<String> named = actors.subList(0, Math.min(DIGEST_NAMED, actors.size()));
        if (people <= 0) {
            return "";
        }
        if (named.isEmpty()) {
            return people + (people == 1 ? " person" : " people") + what;
        }
        if (people <= named.size()) {
            return String.join(" and ", named) + what;
        }
        long others = people - named.size();
        return String.join(", ", named) + " and " + others + (others == 1 ? " other" : " others") + what;
    }

    private static List<String> split(String joined) {
        return joined.isEmpty() ? List.of() : List.of(joined.split(","));
    }

    // ---- unlike

    private Set<String> undo(StepContext ctx) {
        String undo = ctx.input(UNDO);
        return undo.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(undo.split(",")));
    }

    private void unsaveLike(StepContext ctx) {
        if (undo(ctx).contains("SAVING")) {
            ctx.emit(Output.tombstone(Topics.STATE_LIKES, Keys.compound(ctx.input(ACTOR), ctx.input(POST))));
        }
    }

    private void uncountLike(StepContext ctx) {
        if (undo(ctx).contains("UPDATING_TIMELINE")) {
            String post = ctx.input(POST);
            long count = Math.max(0, facts.likeCount(post) - 1);
            ctx.emit(timelineEntry(ctx, count));
            facts.likeCount(post, count);
        }
    }

    private void unlikeActivity(StepContext ctx) {
        if (undo(ctx).contains("APPENDING_ACTIVITY")) {
            activity(ctx, ActivityVerb.UNLIKED);
        }
    }

    /**
     * Takes the actor out of the notification the like joined, if that window is still the open one; the like out of
     * the digest it was folded into, if that is still open; and its pushes back, if they are still held.
     */
    private void retract(StepContext ctx) {
        retractFromDigest(ctx);
        retractFromWindow(ctx);
        retractHeld(ctx);
    }

    /**
     * Takes back the pushes of the like that were held for quiet hours and are still held (a {@code CANCELLED} receipt
     * each): what is not pushed yet never is.
     */
    private void retractHeld(StepContext ctx) {
        // Read as is: unlikes of likes whose pushes were not held have no such input.
        String holdId = ctx.coordinator().input().get(HOLD_ID);
        DeliveryPolicy.Hold hold = holdId == null ? null : delivery.hold(holdId);
        if (hold == null) {
            return;
        }
        receipts(ctx, delivery.pushes(holdId).stream().map(DeliveryPolicy.HeldPush::task).toList(), ReceiptStatus.CANCELLED,
                "like removed by " + ctx.input(EVENT_ID) + " while its push was held for quiet hours");
        ctx.note(HOLD, "taken-back");
        delivery.drop(holdId);
    }

    private void retractFromWindow(StepContext ctx) {
        String windowStart = ctx.input(WINDOW_START);
        if (!undo(ctx).contains("NOTIFYING") || windowStart.isEmpty()) {
            return;
        }
        String recipient = ctx.coordinator().recipient();
        String post = ctx.input(POST);
        String actor = ctx.input(ACTOR);
        Facts.Window w = facts.window(recipient, NotificationKind.LIKE.name(), post);
        if (w == null || w.windowStart() != Long.parseLong(windowStart)) {
            return; // a newer notification replaced it on the device; the old one is history
        }
        long count = Math.max(0, w.count() - 1);
        List<String> latest = w.latestActors().stream().filter(a -> !a.equals(actor)).limit(count).toList();
        Facts.Window after = new Facts.Window(w.windowStart(), latest, count);
        if (count > 0 && latest.isEmpty()) {
            // More named actors took their like back than the window remembers: nobody left to name. The inbox keeps
            // the previous version (its count one too high) rather than a notification naming no one.
            facts.window(recipient, NotificationKind.LIKE.name(), post, after);
            ctx.note("retracted", "false");
            return;
        }
        String notificationId = notificationId(recipient, NotificationKind.LIKE, post, w.windowStart());
        emit(ctx, Topics.NOTIFICATIONS, Keys.compound(recipient, notificationId), "notification",
                new NotificationUpdated(notificationId, recipient, NotificationKind.LIKE, post,
                        after.count() == 0 ? List.of() : named(after), after.count(), text(NotificationKind.LIKE, after),
                        collapseKey(NotificationKind.LIKE, post), Instant.ofEpochMilli(w.windowStart())));
        facts.window(recipient, NotificationKind.LIKE.name(), post, after);
    }

    // ---- shared

    /** The actors a notification names: the newest {@value #LATEST_ACTORS} the window remembers. */
    private static List<String> named(Facts.Window w) {
        return List.copyOf(w.latestActors().subList(0, Math.min(LATEST_ACTORS, w.latestActors().size())));
    }

    private Output timelineEntry(StepContext ctx, long count) {
        String owner = ctx.input(OWNER);
        String post = ctx.input(POST);
        return new Output(Topics.TIMELINE_ENTRIES, Keys.compound(owner, post),
                Envelope.of(ctx.deterministicId("timeline"), config.source(), ctx.now(), new TimelineEntryUpdated(owner, post, count)));
    }

    private void emit(StepContext ctx, String topic, String key, String discriminator, EventData data) {
        ctx.emit(new Output(topic, key, Envelope.of(ctx.deterministicId(discriminator), config.source(), ctx.now(), data)));
    }

    static String notificationId(String recipient, NotificationKind kind, String object, long windowStart) {
        String name = recipient + '|' + kind + '|' + object + '|' + windowStart;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String collapseKey(NotificationKind kind, String object) {
        String key = kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + object;
        return key.length() <= 64 ? key
                : kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + UUID.nameUUIDFromBytes(object.getBytes(StandardCharsets.UTF_8));
    }

    /** "alice liked your post", "alice and bob liked your post", "alice and 3 others liked your post". */
    static String text(NotificationKind kind, Facts.Window w) {
        if (w.count() <= 0 || w.latestActors().isEmpty()) {
            return "";
        }
        String what = kind == NotificationKind.LIKE ? " liked your post" : " followed you";
        String first = w.latestActors().get(0);
        if (w.count() == 1) {
            return first + what;
        }
        if (w.count() == 2 && w.latestActors().size() >= 2) {
            return first + " and " + w.latestActors().get(1) + what;
        }
        long others = w.count() - 1;
        return first + " and " + others + (others == 1 ? " other" : " others") + what;
    }
}
