package io.pushline.coordinators;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;

/**
 * The banned profiles, as one coordinators task knows them (store {@value #STORE}, changelogged like the others).
 *
 * <p>Live state, not history: a ban is permanent in this product, so an entry is never deleted and the store holds one
 * small entry per profile ever banned. Bans are few next to likes and follows, and the entries live in the local store
 * (RocksDB in production), not on the heap. Every task holds every ban: a ban arrives on the partition of the banned
 * profile and is re-published to every partition of the intake topic ({@link CoordinatorTopology}), because the
 * coordinators it must stop run on the partitions of their recipients.
 *
 * <p>Not thread-safe: one per task, used from its stream thread.
 */
final class Bans {
    static final String STORE = "coordinator-bans";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * One ban.
     *
     * @param eventId  the {@code ProfileBanned} event's id
     * @param bannedAt when this task learnt of it, in epoch millis (its wall clock)
     */
    record Ban(String eventId, long bannedAt) {
    }

    /** How the journal detail of a cancellation by a ban starts (counted as {@link CoordinatorMetrics#BANNED}). */
    static final String REASON = "banned: ";

    private final KeyValueStore<String, byte[]> store;

    Bans(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    boolean banned(String profileId) {
        return profileId != null && store.get(profileId) != null;
    }

    /** Records the ban of {@code profileId}; returns false if it was known already (the first one stands). */
    boolean ban(String profileId, String eventId, Instant at) {
        if (store.get(profileId) != null) {
            return false;
        }
        try {
            store.put(profileId, JSON.writeValueAsBytes(new Ban(eventId, at.toEpochMilli())));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the ban of " + profileId, e);
        }
        return true;
    }

    /**
     * The engine's guard ({@link CoordinatorEngine.Guard}): why a coordinator of a flow that pushes must stop, once its
     * actor or recipient is banned; null for any other.
     */
    String stopReason(Coordinator c) {
        if (!Flows.pushes(c.flow())) {
            return null;
        }
        String actor = Flows.actor(c);
        if (banned(actor)) {
            return REASON + "profile " + actor + " (actor)";
        }
        if (banned(c.recipient())) {
            return REASON + "profile " + c.recipient() + " (recipient)";
        }
        return null;
    }
}
