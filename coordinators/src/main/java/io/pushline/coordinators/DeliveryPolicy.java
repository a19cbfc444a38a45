package io.pushline.coordinators;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.UserPreferencesUpdated;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Delivery policy for the coordinators' pushes (issue 19): the recipients' preferences (muted categories, quiet hours in
 * their time zone) and the pushes held for quiet hours, in two state stores of the partition (changelogged like every
 * store: a restart or a rebalance loses nothing).
 *
 * <ul>
 *   <li>{@value #PREFERENCES_STORE}: userId → the {@link UserPreferencesUpdated} data as the router published it on
 *       {@code pushline.state.preferences} (keyed and partitioned by userId, as the recipient's coordinators are); a
 *       tombstone deletes it. Live state: one entry per user with preferences.</li>
 *   <li>{@value #HELD_STORE}: {@code <holdId>} → the {@link Hold} (whose pushes, why, until when), and
 *       {@code <holdId>|<pushId>} → each {@link HeldPush} (the push task as it would have been written, with its time).
 *       One hold per step that held its pushes; deleted when they are released, expire, are muted or taken back. Bounded
 *       by the push TTL: a hold is due at the latest when its pushes expire.</li>
 * </ul>
 *
 * <p>A hold is due at {@code min(end of the quiet hours, the pushes' expiry)}: an entry {@value #HELD_DUE}{@code <holdId>}
 * in the task's schedule store, so the one-shot wake-up that runs the schedule wakes for it and nothing ticks while
 * nothing is held. Holding a million pushes is a million RocksDB entries, not heap: a step reads only its own hold.
 *
 * <p>Not thread-safe: one per task, on its stream thread.
 */
final class DeliveryPolicy {
    static final String PREFERENCES_STORE = "coordinator-preferences";
    static final String HELD_STORE = "coordinator-held";
    /** Schedule ids of a hold's due time start with this ({@code #held|<holdId>}); not an expiry: the processor releases it. */
    static final String HELD_DUE = Facts.EXPIRY + "held|";
    /** The push categories of the coordinators' pushes, as users mute them. */
    static final String LIKE = "like";
    static final String FOLLOW = "follow";

    private static final char SEPARATOR = '|';
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** What policy does with a push now. */
    enum Decision {
        /** No preferences, or not muted and not in quiet hours: push now. */
        SEND,
        /** The recipient muted the push's category: never pushed. */
        MUTED,
        /** In quiet hours, but the category passes them ({@link CoordinatorConfig#quietHoursPassThrough}): push now. */
        PASSED,
        /** In quiet hours: hold until they end (or the push expires). */
        HOLD
    }

    /**
     * A decision and, for {@link Decision#PASSED} and {@link Decision#HOLD}, when the quiet hours end and in which zone.
     */
    record Verdict(Decision decision, Instant quietUntil, String timeZone) {
        static final Verdict SEND = new Verdict(Decision.SEND, null, null);
        static final Verdict MUTED = new Verdict(Decision.MUTED, null, null);
    }

    /**
     * Pushes held for quiet hours.
     *
     * @param recipient their user
     * @param category  their category ({@value #LIKE}, {@value #FOLLOW})
     * @param origin    the coordinator whose step held them (a like's, a follow's, a like digest's)
     * @param eventId   the event they are about (a like digest's id for a digest)
     * @param actorId   who liked or followed (null for a like digest): a ban of them cancels the release
     * @param heldAt    when they were first held (epoch millis)
     * @param expiresAt when they expire (epoch millis): their time plus the push TTL
     * @param dueAt     when they are looked at again (epoch millis): the end of the quiet hours, or the expiry if sooner
     * @param pushes    how many
     */
    record Hold(String recipient, String category, String origin, String eventId, String actorId, long heldAt, long expiresAt,
                long dueAt, int pushes) {
        Hold withDueAt(long at) {
            return new Hold(recipient, category, origin, eventId, actorId, heldAt, expiresAt, at, pushes);
        }
    }

    /**
     * One held push: the task as it would have been written, with its envelope's time (epoch millis), which it keeps
     * when released, so the workers count its TTL from when it was made, not from when it was released.
     */
    record HeldPush(long at, PushTask task) {
    }

    /** Null in unit tests of the flows that run no topology: nobody has preferences, nothing is held. */
    private final KeyValueStore<String, byte[]> preferences;
    private final KeyValueStore<String, byte[]> held;
    private final Facts.Expiries due;
    private final Set<String> passThrough;

    /**
     * @param due         where a hold's due time is scheduled (the processor's schedule store)
     * @param passThrough categories that ignore quiet hours
     */
    DeliveryPolicy(KeyValueStore<String, byte[]> preferences, KeyValueStore<String, byte[]> held, Facts.Expiries due,
                   Set<String> passThrough) {
        this.preferences = preferences;
        this.held = held;
        this.due = due;
        this.passThrough = Set.copyOf(passThrough);
    }

    /** No stores: nobody has preferences, so every push is sent (for flows run outside a topology). */
    static DeliveryPolicy none() {
        return new DeliveryPolicy(null, null, (at, id) -> {
        }, Set.of());
    }

    // ---- preferences

    /** Remembers {@code userId}'s preferences: the data of a {@code UserPreferencesUpdated} as published (JSON). */
    void preferences(String userId, byte[] data) {
        preferences.put(userId, data);
    }

    /** Forgets {@code userId}'s preferences (a tombstone). */
    void forget(String userId) {
        preferences.delete(userId);
    }

    /** {@code userId}'s preferences, or null if none are known (or they cannot be read: then pushes go as if none). */
    UserPreferencesUpdated preferencesOf(String userId) {
        byte[] bytes = preferences == null ? null : preferences.get(userId);
        if (bytes == null) {
            return null;
        }
        return UserPreferencesUpdated.readStored(bytes);
    }

    /** What to do now with a push of {@code category} to {@code userId}. */
    Verdict decide(String userId, String category, Instant now) {
        UserPreferencesUpdated prefs = preferencesOf(userId);
        if (prefs == null) {
            return Verdict.SEND;
        }
        if (prefs.muted(category)) {
            return Verdict.MUTED;
        }
        Instant until = prefs.quietUntil(now);
        if (until == null) {
            return Verdict.SEND;
        }
        return new Verdict(passThrough.contains(category) ? Decision.PASSED : Decision.HOLD, until, prefs.timeZone());
    }

    // ---- held pushes

    /** The hold of the pushes of coordinator {@code origin}'s step: deterministic, so a step redone holds them again under it. */
    static String holdId(String origin) {
        return UUID.nameUUIDFromBytes(("held|" + origin).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Holds {@code pushes} until {@code hold}'s due time, when the schedule hands {@code holdId} to the processor. */
    void hold(String holdId, Hold hold, List<HeldPush> pushes) {
        for (HeldPush push : pushes) {
            held.put(holdId + SEPARATOR + push.task().pushId(), write(push));
        }
        held.put(holdId, write(hold));
        due.at(Instant.ofEpochMilli(hold.dueAt()), HELD_DUE + holdId);
    }

    /** Holds the pushes of {@code holdId} again, until {@code hold}'s (new) due time. */
    void holdAgain(String holdId, Hold hold) {
        held.put(holdId, write(hold));
        due.at(Instant.ofEpochMilli(hold.dueAt()), HELD_DUE + holdId);
    }

    /** The hold {@code holdId}, or null if it is not held (released, expired, muted or taken back). */
    Hold hold(String holdId) {
        byte[] bytes = held == null ? null : held.get(holdId);
        return bytes == null ? null : read(bytes, Hold.class);
    }

    /** The pushes of hold {@code holdId}, by push id. */
    List<HeldPush> pushes(String holdId) {
        List<HeldPush> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = held.prefixScan(holdId + SEPARATOR, Serdes.String().serializer())) {
            while (it.hasNext()) {
                out.add(read(it.next().value, HeldPush.class));
            }
        }
        return out;
    }

    /** Deletes hold {@code holdId} and its pushes. */
    void drop(String holdId) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = held.prefixScan(holdId + SEPARATOR, Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                keys.add(kv.key);
            }
        }
        keys.forEach(held::delete);
        held.delete(holdId);
    }

    /** The hold id a {@link #HELD_DUE} schedule id names. */
    static String dueHoldId(String dueId) {
        return dueId.substring(HELD_DUE.length());
    }

    private static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T read(byte[] bytes, Class<T> type) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + type.getSimpleName() + " in " + HELD_STORE, e);
        }
    }
}
