package io.pushline.topology;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.UserPreferencesUpdated;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Quiet hours and muted categories for the expansion's timeline pushes, in the recipient's time zone.
 *
 * <p>A push to a user who muted {@value #CATEGORY} is not sent: a {@code CANCELLED} receipt says why. A push inside the
 * user's quiet hours is held, durably, in a state store of the expansion's partition (changelogged like every store:
 * a restart or a rebalance loses none, and a held push costs a RocksDB entry, not heap), keyed by when it is due: the
 * end of the quiet hours, or the push's expiry if that comes first. A wake-up at the earliest due entry handles a page
 * of due entries at a time: each is sent if the user is no longer quiet (preferences may have changed meanwhile), held
 * again if they are, and if its TTL ran out it is not sent: an {@code EXPIRED} receipt says so. Nothing ticks while
 * nothing is held.
 *
 * <p>Not thread-safe: its task's stream thread only, like the expansion that owns it.
 */
final class QuietHours {
    /** The category of the expansion's pushes, as users mute it. */
    static final String CATEGORY = "timeline";
    /** Users' preferences on this partition: userId → the {@code UserPreferencesUpdated} data as published. */
    static final String PREFERENCES = "expansion-preferences";
    /** Held pushes: {@code dueMillis (19 digits)|pushId} → the push's record (headers, value) and its user and expiry. */
    static final String HELD = "expansion-held";
    /**
     * Timeline notifications counted against the {@linkplain FrequencyCap cap}: a window store, one entry (userId, 1) per
     * notification at its time, kept for the cap's window (so the store is bounded by time, not by history).
     */
    static final String CAPS = "expansion-caps";
    /**
     * Posts over the cap merged into digests ({@link FrequencyCap.Overflow#DIGEST}): {@code d|userId|token} → the
     * device's digest (count, authors, expiry, the latest folded push as its template); {@code u|userId} → when the
     * user's digest is due; {@code t|dueMillis (19 digits)|userId} → the user, in due order.
     */
    static final String DIGESTS = "expansion-digests";
    /** Authors a digest names; the others are counted. */
    private static final int NAMED_AUTHORS = 2;
    private static final int DIGITS = 19;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(QuietHours.class);


    private final CloudEventCodec codec;
    private final TopologyMetrics metrics;
    private final int pageSize;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> preferences;
    private KeyValueStore<String, byte[]> held;
    private KeyValueStore<String, byte[]> digests;
    private org.apache.kafka.streams.state.WindowStore<String, Long> counted;
    private final FrequencyCap cap;
    /** Whether timeline pushes ignore quiet hours (a pass-through category); mutes and the cap still apply. */
    private final boolean passesQuietHours;
    /** The cap's decision for the last (user, post) asked: a post's devices of one user are emitted one after another. */
    private String lastUser;
    private String lastPost;
    private boolean lastCapped;
    private Wakeup wakeup;

    QuietHours(CloudEventCodec codec, TopologyMetrics metrics, int pageSize, FrequencyCap cap, boolean passesQuietHours) {
        this.passesQuietHours = passesQuietHours;
        this.codec = codec;
        this.metrics = metrics;
        this.pageSize = pageSize;
        this.cap = cap;
    }

    void init(ProcessorContext<byte[], byte[]> context, java.time.Duration minDelay) {
        this.context = context;
        this.preferences = context.getStateStore(PREFERENCES);
        this.held = context.getStateStore(HELD);
        this.counted = context.getStateStore(CAPS);
        this.digests = context.getStateStore(DIGESTS);
        this.wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, minDelay, now -> {
                    releaseDue(now);
                    releaseDigests(now);
                    wakeForTheNext();
                });
        wakeForTheNext();
    }

    void close() {
        wakeup.disarm();
    }

    /** A user's preferences from {@code pushline.state.preferences}; a tombstone forgets them. */
    void onPreferences(Record<byte[], byte[]> record) {
        String userId = new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            preferences.delete(userId);
        } else if (codec.decode(record.headers(), record.value()) instanceof Decoded.Ok ok
                && ok.envelope().data() instanceof UserPreferencesUpdated) {
            preferences.put(userId, record.value());
        }
    }

    /** What policy does with a push. */
    private enum Decision { SEND, MUTED, CAPPED, MERGED, HELD }

    /**
     * Sends {@code push} (a push task record of post {@code postKey} to {@code userId}, expiring at {@code expiresAt})
     * now, holds it, or drops it (muted, or over the cap); returns true if the caller should send it now.
     */
    boolean admit(String userId, String postKey, Record<byte[], byte[]> push, long expiresAt, long now) {
        Decision decision = decide(userId, postKey, push, expiresAt, now);
        if (decision == Decision.HELD) {
            metrics.policy("held");
        }
        return decision == Decision.SEND;
    }

    /**
     * Sends now, drops muted or over the cap (with a receipt), or holds until the quiet hours or the push's life end.
     * {@code postKey} null: a held push coming due, which was counted against the cap when it was held.
     */
    private Decision decide(String userId, String postKey, Record<byte[], byte[]> push, long expiresAt, long now) {
        UserPreferencesUpdated prefs = preferencesOf(userId);
        if (prefs != null && prefs.muted(CATEGORY)) {
            receipt(push, ReceiptStatus.CANCELLED, "policy muted: " + userId + " muted " + CATEGORY + " pushes", now);
            metrics.policy("muted");
            return Decision.MUTED;
        }
        if (postKey != null && overCap(userId, postKey, now)) {
            if (cap.overflow() == FrequencyCap.Overflow.DIGEST) {
                String digestId = fold(userId, push, expiresAt, now);
                if (digestId != null) {
                    receipt(push, ReceiptStatus.CANCELLED, "policy cap: merged into digest " + digestId + " (" + userId
                            + " had " + cap.describe() + " " + CATEGORY + " notifications)", now);
                    metrics.policy("merged");
                    return Decision.MERGED;
                }
            }
            receipt(push, ReceiptStatus.CANCELLED, "policy cap: " + userId + " had " + cap.describe() + " " + CATEGORY
                    + " notifications", now);
            metrics.policy("capped");
            return Decision.CAPPED;
        }
        if (prefs == null || passesQuietHours) {
            return Decision.SEND;
        }
        Instant until = prefs.quietUntil(Instant.ofEpochMilli(now));
        if (until == null) {
            return Decision.SEND;
        }
        hold(userId, push, expiresAt, Math.min(until.toEpochMilli(), expiresAt));
        return Decision.HELD;
    }

    private void hold(String userId, Record<byte[], byte[]> push, long expiresAt, long due) {
        held.put(dueKey(due, pushIdOf(push)), encode(userId, expiresAt, push));
        wakeup.at(due);
    }

    /** One page of due held pushes: each sent, held again, dropped muted, or expired. */
    private void releaseDue(long now) {
        List<KeyValue<String, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> entries = held.range(dueKey(0, ""), dueKey(now, "") + "}")) {
            while (due.size() < pageSize && entries.hasNext()) {
                due.add(entries.next());
            }
        }
        for (KeyValue<String, byte[]> entry : due) {
            held.delete(entry.key);
            Held push = decode(entry.value);
            if (now >= push.expiresAt()) {
                receipt(push.record(), ReceiptStatus.EXPIRED, "policy quiet hours: the push expired while held", now);
                metrics.policy("expired");
            } else if (decide(push.userId(), null, push.record(), push.expiresAt(), now) == Decision.SEND) {   // if not: held again, or muted since
                context.forward(push.record(), PushlineTopology.PUSH_BULK_SINK);
                metrics.policy("released");
            }
        }
    }

    /**
     * Whether post {@code postKey} would take {@code userId} over the cap; if not, it is counted. Asked once per user
     * and post: the devices after the first share the first one's answer.
     */
    private boolean overCap(String userId, String postKey, long now) {
        if (cap == null) {
            return false;
        }
        if (userId.equals(lastUser) && postKey.equals(lastPost)) {
            return lastCapped;
        }
        lastUser = userId;
        lastPost = postKey;
        // While a digest waits for a free slot, later posts join it rather than overtake it.
        if (cap.overflow() == FrequencyCap.Overflow.DIGEST && digests.get(USER_PREFIX + userId) != null) {
            lastCapped = true;
            return true;
        }
        int seen = 0;
        try (org.apache.kafka.streams.state.WindowStoreIterator<Long> within =
                     counted.fetch(userId, Instant.ofEpochMilli(now - cap.window().toMillis() + 1), Instant.ofEpochMilli(now))) {
            while (within.hasNext() && seen < cap.max()) {
                within.next();
                seen++;
            }
        }
        boolean over = seen >= cap.max();
        if (!over) {
            counted.put(userId, 1L, now);
        }
        lastCapped = over;
        return over;
    }

    /** When the cap has a slot free for {@code userId} again: when the oldest counted notification leaves the window. */
    private long slotFree(String userId, long now) {
        long windowMillis = cap.window().toMillis();
        int seen = 0;
        long[] times = new long[cap.max()];
        try (org.apache.kafka.streams.state.WindowStoreIterator<Long> within =
                     counted.fetch(userId, Instant.ofEpochMilli(now - windowMillis + 1), Instant.ofEpochMilli(now))) {
            while (within.hasNext()) {
                long at = within.next().key;
                times[seen % times.length] = at;   // the last max entries, oldest first from the ring's cursor
                seen++;
            }
        }
        if (seen < cap.max()) {
            return now;
        }
        return times[seen % times.length] + windowMillis;
    }

    /**
     * Merges an over-cap {@code push} into its device's digest; the first push of a user's digest sets when it is due.
     * Returns the digest's push id, or null if the push cannot be read (it is then dropped as capped).
     */
    private String fold(String userId, Record<byte[], byte[]> push, long expiresAt, long now) {
        if (!(codec.decode(push.headers(), push.value()) instanceof Decoded.Ok ok) || !(ok.envelope().data() instanceof PushTask task)) {
            return null;
        }
        String key = DEVICE_PREFIX + userId + "|" + task.token();
        byte[] before = digests.get(key);
        Digest digest = before == null
                ? new Digest(PushIds.pushId(ok.envelope().source().toString(), "digest:" + task.sourceEventId(), task.token()),
                        0, List.of(), expiresAt, push)
                : Digest.decode(before);
        List<String> authors = new ArrayList<>();
        String author = task.data() == null ? null : task.data().get("authorId");
        if (author != null) {
            authors.add(author);
        }
        digest.authors().stream().filter(a -> !a.equals(author)).limit(NAMED_AUTHORS).forEach(authors::add);
        digest = new Digest(digest.pushId(), digest.count() + 1, authors, Math.max(digest.expiresAt(), expiresAt), push);
        digests.put(key, digest.encode());
        if (digests.get(USER_PREFIX + userId) == null) {
            long due = slotFree(userId, now);
            String dueKey = DUE_PREFIX + dueKey(due, userId);
            digests.put(USER_PREFIX + userId, RouterProcessor.utf8(dueKey));
            digests.put(dueKey, RouterProcessor.utf8(userId));
            wakeup.at(due);
        }
        return digest.pushId();
    }

    /**
     * A page of users whose digests are due: each device's digest is sent as one push (through mutes and quiet hours
     * like any), or expires; if the cap is full again (a slot taken meanwhile) the digest waits for the next one.
     */
    private void releaseDigests(long now) {
        // Digests left by a run with a digest cap still go when due, whatever the cap is now.
        List<KeyValue<String, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> entries = digests.range(DUE_PREFIX + dueKey(0, ""), DUE_PREFIX + dueKey(now, "") + "}")) {
            while (due.size() < pageSize && entries.hasNext()) {
                due.add(entries.next());
            }
        }
        for (KeyValue<String, byte[]> entry : due) {
            String userId = new String(entry.value, StandardCharsets.UTF_8);
            digests.delete(entry.key);
            long free = cap == null ? now : slotFree(userId, now);
            if (free > now) {
                String later = DUE_PREFIX + dueKey(free, userId);
                digests.put(USER_PREFIX + userId, RouterProcessor.utf8(later));
                digests.put(later, RouterProcessor.utf8(userId));
                continue;
            }
            digests.delete(USER_PREFIX + userId);
            List<KeyValue<String, byte[]>> devices = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> ofUser = digests.prefixScan(DEVICE_PREFIX + userId + "|",
                    new org.apache.kafka.common.serialization.StringSerializer())) {
                ofUser.forEachRemaining(devices::add);
            }
            boolean sent = false;
            for (KeyValue<String, byte[]> device : devices) {
                digests.delete(device.key);
                Digest digest = Digest.decode(device.value);
                Record<byte[], byte[]> push = digest.push(codec, now);
                if (push == null) {
                    continue;
                }
                if (now >= digest.expiresAt()) {
                    receipt(push, ReceiptStatus.EXPIRED, "policy cap: the digest expired before the cap had a free slot", now);
                    metrics.policy("expired");
                    continue;
                }
                metrics.policy("digest");
                sent = true;
                Decision decision = decide(userId, null, push, digest.expiresAt(), now);
                if (decision == Decision.SEND) {
                    context.forward(push, PushlineTopology.PUSH_BULK_SINK);
                } else if (decision == Decision.HELD) {
                    metrics.policy("held");   // a new push held, as the expansion's are; a re-held one is not counted again
                }
            }
            if (sent) {
                counted.put(userId, 1L, now);   // the digest is a notification: it takes the slot
            }
        }
    }

    private void wakeForTheNext() {
        try (KeyValueIterator<String, byte[]> first = held.range(dueKey(0, ""), dueKey(Long.MAX_VALUE, "") + "}")) {
            if (first.hasNext()) {
                wakeup.at(Long.parseLong(first.next().key.substring(0, DIGITS)));
            }
        }
        try (KeyValueIterator<String, byte[]> first = digests.range(DUE_PREFIX + dueKey(0, ""), DUE_PREFIX + dueKey(Long.MAX_VALUE, "") + "}")) {
            if (first.hasNext()) {
                wakeup.at(Long.parseLong(first.next().key.substring(DUE_PREFIX.length(), DUE_PREFIX.length() + DIGITS)));
            }
        }
    }

    private UserPreferencesUpdated preferencesOf(String userId) {
        byte[] bytes = preferences.get(userId);
        if (bytes == null) {
            return null;
        }
        return UserPreferencesUpdated.readStored(bytes);
    }

    /** A {@code CANCELLED} or {@code EXPIRED} receipt for a push that policy kept from the provider, saying why. */
    private void receipt(Record<byte[], byte[]> push, ReceiptStatus status, String reason, long now) {
        if (!(codec.decode(push.headers(), push.value()) instanceof Decoded.Ok ok) || !(ok.envelope().data() instanceof PushTask task)) {
            return;
        }
        PushReceipt receipt = PushReceipt.of(task, status, null, reason, Instant.ofEpochMilli(now));
        RecordHeaders headers = new RecordHeaders();
        byte[] value;
        try {
            value = codec.encode(Envelope.of(task.pushId() + "-" + status.name().toLowerCase(java.util.Locale.ROOT),
                    ok.envelope().source(), Instant.ofEpochMilli(now), receipt), headers);
        } catch (RuntimeException e) {
            // A bug (a receipt its own schema refuses): the push is still not sent; failing here would fail the page and
            // dead-letter the whole fanout of this partition.
            log.error("cannot write the {} receipt of a push kept back by policy; the push is not sent", status, e);
            return;
        }
        context.forward(new Record<>(RouterProcessor.utf8(Keys.compound(task.userId(), task.pushId())), value, push.timestamp(), headers),
                PushlineTopology.EXPANSION_RECEIPTS_SINK);
    }

    private static String pushIdOf(Record<byte[], byte[]> push) {
        Header id = push.headers().lastHeader("ce_id");
        return id == null ? "" : new String(id.value(), StandardCharsets.UTF_8);
    }

    static String dueKey(long due, String pushId) {
        String digits = Long.toString(Math.max(0, due));
        return "0".repeat(DIGITS - digits.length()) + digits + "|" + pushId;
    }

    private static final String DEVICE_PREFIX = "d|";
    private static final String USER_PREFIX = "u|";
    private static final String DUE_PREFIX = "t|";

    /**
     * A device's digest: its push id (from the first post merged into it, so a replay makes the same id), how many
     * posts it holds, the latest authors (newest first), when the last of them expires, and the latest merged push,
     * whose device, app and headers the digest push keeps.
     */
    private record Digest(String pushId, int count, List<String> authors, long expiresAt, Record<byte[], byte[]> latest) {

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(1);   // format version
                out.writeUTF(pushId);
                out.writeInt(count);
                out.writeInt(authors.size());
                for (String a : authors) {
                    out.writeUTF(a);
                }
                byte[] push = QuietHours.encode("", expiresAt, latest);
                out.writeInt(push.length);
                out.write(push);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        static Digest decode(byte[] bytes) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                if (in.readByte() != 1) {
                    throw new IllegalStateException(DIGESTS + " entry of an unknown format");
                }
                String pushId = in.readUTF();
                int count = in.readInt();
                List<String> authors = new ArrayList<>();
                for (int i = in.readInt(); i > 0; i--) {
                    authors.add(in.readUTF());
                }
                Held latest = QuietHours.decode(in.readNBytes(in.readInt()));
                return new Digest(pushId, count, List.copyOf(authors), latest.expiresAt(), latest.record());
            } catch (IOException e) {
                throw new UncheckedIOException(DIGESTS + " entry is unreadable", e);
            }
        }

        /** The digest as a push task record to the latest push's device: "3 new posts", "from alice, bob and 1 other". */
        Record<byte[], byte[]> push(CloudEventCodec codec, long now) {
            if (!(codec.decode(latest.headers(), latest.value()) instanceof Decoded.Ok ok) || !(ok.envelope().data() instanceof PushTask task)) {
                return null;
            }
            int others = count - authors.size();
            String from = others <= 0 ? String.join(" and ", authors)
                    : String.join(", ", authors) + " and " + others + (others == 1 ? " other" : " others");
            PushTask digest = new PushTask(pushId, task.sourceEventId(), task.userId(), task.token(), task.platform(), task.appId(),
                    count + (count == 1 ? " new post" : " new posts"), authors.isEmpty() ? "" : "from " + from,
                    java.util.Map.of("type", "digest", "posts", Integer.toString(count)), "timeline-digest", task.ttlSeconds(),
                    task.priority(), task.lane(), null, null, null, task.webPush());
            RecordHeaders headers = new RecordHeaders();
            byte[] value = codec.encode(Envelope.of(pushId, ok.envelope().source(), Instant.ofEpochMilli(now), digest), headers);
            Header app = latest.headers().lastHeader(PushTask.APP_HEADER);
            if (app != null) {
                headers.add(PushTask.APP_HEADER, app.value());
            }
            return new Record<>(latest.key(), value, now, headers);
        }
    }

    /** A held push: its user, its expiry and its record. */
    private record Held(String userId, long expiresAt, Record<byte[], byte[]> record) {
    }

    private static byte[] encode(String userId, long expiresAt, Record<byte[], byte[]> push) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(push.value().length + 256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);   // format version
            out.writeUTF(userId);
            out.writeLong(expiresAt);
            out.writeLong(push.timestamp());
            out.writeInt(push.key().length);
            out.write(push.key());
            Header[] headers = push.headers().toArray();
            out.writeInt(headers.length);
            for (Header h : headers) {
                out.writeUTF(h.key());
                byte[] v = h.value() == null ? new byte[0] : h.value();
                out.writeInt(v.length);
                out.write(v);
            }
            out.writeInt(push.value().length);
            out.write(push.value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static Held decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readByte() != 1) {
                throw new IllegalStateException(HELD + " entry of an unknown format");
            }
            String userId = in.readUTF();
            long expiresAt = in.readLong();
            long timestamp = in.readLong();
            byte[] key = in.readNBytes(in.readInt());
            RecordHeaders headers = new RecordHeaders();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                headers.add(name, in.readNBytes(in.readInt()));
            }
            byte[] value = in.readNBytes(in.readInt());
            return new Held(userId, expiresAt, new Record<>(key, value, timestamp, headers));
        } catch (IOException e) {
            throw new UncheckedIOException(HELD + " entry is unreadable", e);
        }
    }
}
