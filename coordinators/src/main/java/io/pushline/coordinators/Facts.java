package io.pushline.coordinators;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PushSubscription;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the flows know, in the partition's state stores (changelogged, so restored after a crash or a move): likes and
 * follows (for deduplication and ordering), like counts per post, open notification windows, the coordinators still
 * running about each profile, open like digests, and the devices of the partition's users. Keys start with a kind
 * ({@code like|}, {@code count|}, {@code window|}, {@code follow|}, {@code running|}, {@code digest|}).
 *
 * <p>What bounds each kind (the README's Topics table says the same):
 * <ul>
 *   <li>{@code window|}: history; deleted when the window closes (its start plus the notification window and
 *       {@link CoordinatorConfig#HISTORY_GRACE}), by a one-shot expiry in the schedule ({@link #expire});</li>
 *   <li>{@code like|} removals (an unlike) and every {@code follow|} decision: history, guarding against redelivered
 *       and reordered events; deleted as long after they were made, but never while their coordinator still runs;</li>
 *   <li>{@code like|} of a like that stands, and {@code count|}: live state, one entry per standing like and per liked
 *       post, as the likes topic holds them. An unlike turns the first into a removal (which then expires) and a count
 *       at zero is deleted. They cannot expire with a window: an unlike after it must still undo its like, and the
 *       count published is the post's total, not the window's;</li>
 *   <li>{@code running|}: one entry per unfinished like or follow coordinator, under its actor and recipient;
 *       deleted when it finishes;</li>
 *   <li>{@code digest|}: at most one per recipient, the open like digest; deleted at its due time (its start plus the
 *       like digest window), when the schedule hands it to a {@code like-digest} coordinator to push
 *       ({@link #DIGEST_DUE}). Bounded by time, not by history: its lists of likes and posts are bounded too.</li>
 * </ul>
 */
final class Facts {
    static final String STORE = "coordinator-facts";
    static final String DEVICES_STORE = "coordinator-devices";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * The latest decision about one actor and one object (a post they liked, a user they followed).
     *
     * @param active        liked / following after that event
     * @param at            the event's time (ce_time), in epoch millis: an older event cannot undo a newer one
     * @param eventId       the event's id
     * @param coordinatorId the coordinator that carried it out (null when nothing had to be done)
     */
    record Decision(boolean active, long at, String eventId, String coordinatorId) {
    }

    /**
     * An open notification window: who acted on one object for one recipient since {@code windowStart}.
     *
     * @param windowStart  epoch millis
     * @param latestActors most recent first, at most 3
     * @param count        actors in the window
     */
    record Window(long windowStart, List<String> latestActors, long count) {
    }

    /**
     * An open like digest of one recipient: the likes folded into it since {@code start}, pushed as one at its due time.
     *
     * @param id    deterministic, from the recipient and the start ({@link Flows#digestId})
     * @param start epoch millis: when the like that opened it was folded in
     * @param count likes folded in, less those taken back since
     * @param likes the latest likes folded in, newest first, at most {@link Flows#REMEMBERED_LIKES} (fewer than
     *              {@code count} when more were folded in)
     * @param posts the posts liked, newest first, at most {@link Flows#REMEMBERED_LIKES}
     */
    record Digest(String id, long start, long count, List<Liked> likes, List<String> posts) {
        /** Whether {@link #likes} holds every like folded in (none forgotten for the bound). */
        boolean complete() {
            return likes.size() >= count;
        }
    }

    /** One like folded into a digest: who liked which post. */
    record Liked(String actorId, String postId) {
    }

    /** A device of a user on this partition; {@code webPush} for WEBPUSH devices only (absent: not written). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Device(Platform platform, String appId, PushSubscription webPush) {
        /** An APNs or FCM device. */
        Device(Platform platform, String appId) {
            this(platform, appId, null);
        }
    }

    /** Where an expiry is scheduled: the processor's schedule store; nowhere in unit tests of the flows. */
    @FunctionalInterface
    interface Expiries {
        /** Asks for {@link #expire}{@code (id, …)} to run at {@code at}. */
        void at(Instant at, String id);
    }

    /** Schedule ids of expiries start with this; a coordinator's id never does (it starts with its flow's name). */
    static final String EXPIRY = "#";
    /**
     * Schedule ids of a digest's due time start with this ({@code #digest-due|<recipient>|<digest id>}): not an expiry
     * ({@link #expire} does not take it), the processor sends the digest.
     */
    static final String DIGEST_DUE = EXPIRY + "digest-due|";
    private static final String DIGEST = "digest|";
    private static final String WINDOW = "window|";
    private static final String DECISION_EXPIRY = EXPIRY + "decision|";
    private static final String RUNNING = "running|";
    private static final byte[] EMPTY = new byte[0];

    private final KeyValueStore<String, byte[]> facts;
    private final KeyValueStore<String, byte[]> devices;
    private final Expiries expiries;
    private final Expiries due;

    Facts(KeyValueStore<String, byte[]> facts, KeyValueStore<String, byte[]> devices) {
        this(facts, devices, (at, id) -> {
        }, (at, id) -> {
        });
    }

    /**
     * @param expiries where clean-ups are scheduled (they may run a little late: the processor rounds them up to the
     *                 second)
     * @param due      where what must run at its time is scheduled (a digest's due time)
     */
    Facts(KeyValueStore<String, byte[]> facts, KeyValueStore<String, byte[]> devices, Expiries expiries, Expiries due) {
        this.facts = facts;
        this.devices = devices;
        this.expiries = expiries;
        this.due = due;
    }

    Decision decision(String kind, String actor, String object) {
        return read(facts.get(decisionKey(kind, actor, object)), Decision.class);
    }

    void decide(String kind, String actor, String object, Decision decision) {
        facts.put(decisionKey(kind, actor, object), write(decision));
    }

    long likeCount(String postId) {
        byte[] v = facts.get(countKey(postId));
        return v == null ? 0 : Long.parseLong(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }

    void likeCount(String postId, long count) {
        if (count <= 0) {
            facts.delete(countKey(postId));
        } else {
            facts.put(countKey(postId), Long.toString(count).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    Window window(String recipient, String kind, String object) {
        return read(facts.get(windowKey(recipient, kind, object)), Window.class);
    }

    void window(String recipient, String kind, String object, Window window) {
        facts.put(windowKey(recipient, kind, object), write(window));
    }

    /** Opens a new window (replacing a closed one), to be deleted after {@code retention} from its start. */
    void openWindow(String recipient, String kind, String object, Window window, Duration retention) {
        window(recipient, kind, object, window);
        expiries.at(Instant.ofEpochMilli(window.windowStart()).plus(retention), EXPIRY + windowKey(recipient, kind, object));
    }

    /** The open like digest of {@code recipient}, or null. */
    Digest digest(String recipient) {
        return read(facts.get(DIGEST + recipient), Digest.class);
    }

    /** Replaces the open like digest of {@code recipient} (a like folded in, or taken out). */
    void digest(String recipient, Digest digest) {
        facts.put(DIGEST + recipient, write(digest));
    }

    /** Opens the like digest of {@code recipient}, to be sent at {@code dueAt} ({@link #DIGEST_DUE}). */
    void openDigest(String recipient, Digest digest, Instant dueAt) {
        digest(recipient, digest);
        due.at(dueAt, DIGEST_DUE + recipient + '|' + digest.id());
    }

    /** Deletes the open like digest of {@code recipient} (it is due: sent, or empty). */
    void closeDigest(String recipient) {
        facts.delete(DIGEST + recipient);
    }

    /** The recipient a {@link #DIGEST_DUE} schedule id names. */
    static String digestRecipient(String dueId) {
        return dueId.substring(DIGEST_DUE.length(), dueId.lastIndexOf('|'));
    }

    /** The digest id a {@link #DIGEST_DUE} schedule id names. */
    static String digestId(String dueId) {
        return dueId.substring(dueId.lastIndexOf('|') + 1);
    }

    /**
     * Remembers {@code decision}, to be deleted {@code retention} after {@code now} (null: kept, live state).
     */
    void decide(String kind, String actor, String object, Decision decision, Instant now, Duration retention) {
        decide(kind, actor, object, decision);
        if (retention != null) {
            expiries.at(now.plus(retention), DECISION_EXPIRY + decision.eventId() + '|' + decisionKey(kind, actor, object));
        }
    }

    /**
     * Runs the expiry scheduled as {@code id}: deletes the window or decision it names if it is still the one scheduled
     * and its time has come. A window replaced by a newer one, or a decision replaced by a newer event, is left (the
     * newer one has its own expiry); a decision whose coordinator still runs (parked, waiting for a retry) is kept for
     * another {@code retention}, so that a removal can still cancel it.
     *
     * @param running whether the coordinator of an id still runs
     * @return what was deleted ({@code window} or {@code decision}), or null
     */
    String expire(String id, Instant now, Duration retention, Predicate<String> running) {
        if (id.startsWith(EXPIRY + WINDOW)) {
            String key = id.substring(EXPIRY.length());
            Window w = read(facts.get(key), Window.class);
            if (w == null || now.isBefore(Instant.ofEpochMilli(w.windowStart()).plus(retention))) {
                return null;
            }
            facts.delete(key);
            return "window";
        }
        if (id.startsWith(DECISION_EXPIRY)) {
            String rest = id.substring(DECISION_EXPIRY.length());
            int bar = rest.indexOf('|');
            String eventId = rest.substring(0, bar);
            String key = rest.substring(bar + 1);
            Decision d = read(facts.get(key), Decision.class);
            if (d == null || !d.eventId().equals(eventId)) {
                return null;
            }
            if (d.coordinatorId() != null && running.test(d.coordinatorId())) {
                expiries.at(now.plus(retention), id);
                return null;
            }
            facts.delete(key);
            return "decision";
        }
        throw new IllegalArgumentException("not an expiry: " + id);
    }

    /**
     * Schedules the expiry of the history entry {@code key} holds, if it is one: for entries written before expiries
     * existed ({@link UpgradeScan}). A window expires after {@code retention} from its start, a decision after
     * {@code retention} from {@code now}.
     */
    void scheduleExpiryOf(String key, byte[] value, Instant now, Duration retention) {
        if (key.startsWith(WINDOW)) {
            Window w = read(value, Window.class);
            expiries.at(Instant.ofEpochMilli(w.windowStart()).plus(retention), EXPIRY + key);
        } else if (key.startsWith(IntakePolicy.LIKE + '|') || key.startsWith(IntakePolicy.FOLLOW + '|')) {
            Decision d = read(value, Decision.class);
            if (!d.active() || key.startsWith(IntakePolicy.FOLLOW + '|')) {
                expiries.at(now.plus(retention), DECISION_EXPIRY + d.eventId() + '|' + key);
            }
        }
    }

    /**
     * Indexes a coordinator of a flow that pushes under its recipient and its actor, so that a ban of either finds it;
     * or ({@code on} false) takes it out of the index. Others are not indexed.
     */
    void running(Coordinator c, boolean on) {
        if (!Flows.pushes(c.flow())) {
            return;
        }
        running(c.recipient(), c.id(), on);
        String actor = Flows.actor(c);
        if (actor != null && !actor.equals(c.recipient())) {
            running(actor, c.id(), on);
        }
    }

    /** Indexes (or, {@code on} false, un-indexes) coordinator {@code id} as running about {@code profileId}. */
    void running(String profileId, String id, boolean on) {
        if (on) {
            facts.put(RUNNING + profileId + '|' + id, EMPTY);
        } else {
            facts.delete(RUNNING + profileId + '|' + id);
        }
    }

    /** The ids of the coordinators indexed as running about {@code profileId}. */
    List<String> runningAbout(String profileId) {
        String prefix = RUNNING + profileId + '|';
        List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = facts.prefixScan(prefix, Serdes.String().serializer())) {
            while (it.hasNext()) {
                ids.add(it.next().key.substring(prefix.length()));
            }
        }
        return ids;
    }

    /** The devices of {@code userId} on this partition, token first. */
    List<KeyValue<String, Device>> devicesOf(String userId) {
        List<KeyValue<String, Device>> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = devices.prefixScan(userId + Keys.SEPARATOR, Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                out.add(KeyValue.pair(Keys.second(kv.key), read(kv.value, Device.class)));
            }
        }
        return out;
    }

    void putDevice(String userAndToken, Device device) {
        devices.put(userAndToken, write(device));
    }

    void deleteDevice(String userAndToken) {
        devices.delete(userAndToken);
    }

    static String countKey(String postId) {
        return "count|" + postId;
    }

    static String decisionKey(String kind, String actor, String object) {
        return kind + '|' + actor + '|' + object;
    }

    private static String windowKey(String recipient, String kind, String object) {
        return WINDOW + recipient + '|' + kind + '|' + object;
    }

    static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T read(byte[] bytes, Class<T> type) {
        if (bytes == null) {
            return null;
        }
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + type.getSimpleName() + " in " + STORE, e);
        }
    }
}
