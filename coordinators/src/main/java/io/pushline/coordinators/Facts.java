package io.pushline.coordinators;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Platform;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the flows know, in the partition's state stores (changelogged, so restored after a crash or a move): likes and
 * follows (for deduplication and ordering), like counts per post, open notification windows, and the devices of the
 * partition's users. Keys start with a kind ({@code like|}, {@code count|}, {@code window|}, {@code follow|}).
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

    /** A device of a user on this partition. */
    record Device(Platform platform, String appId) {
    }

    private final KeyValueStore<String, byte[]> facts;
    private final KeyValueStore<String, byte[]> devices;

    Facts(KeyValueStore<String, byte[]> facts, KeyValueStore<String, byte[]> devices) {
        this.facts = facts;
        this.devices = devices;
    }

    Decision decision(String kind, String actor, String object) {
        return read(facts.get(decisionKey(kind, actor, object)), Decision.class);
    }

    void decide(String kind, String actor, String object, Decision decision) {
        facts.put(decisionKey(kind, actor, object), write(decision));
    }

    long likeCount(String postId) {
        byte[] v = facts.get("count|" + postId);
        return v == null ? 0 : Long.parseLong(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }

    void likeCount(String postId, long count) {
        if (count <= 0) {
            facts.delete("count|" + postId);
        } else {
            facts.put("count|" + postId, Long.toString(count).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    Window window(String recipient, String kind, String object) {
        return read(facts.get(windowKey(recipient, kind, object)), Window.class);
    }

    void window(String recipient, String kind, String object, Window window) {
        facts.put(windowKey(recipient, kind, object), write(window));
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

    private static String decisionKey(String kind, String actor, String object) {
        return kind + '|' + actor + '|' + object;
    }

    private static String windowKey(String recipient, String kind, String object) {
        return "window|" + recipient + '|' + kind + '|' + object;
    }

    private static byte[] write(Object value) {
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
