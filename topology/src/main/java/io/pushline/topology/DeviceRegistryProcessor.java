package io.pushline.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushline.contracts.CloudEventCodec;
import io.pushline.contracts.DeadLetterReason;
import io.pushline.contracts.DeadLetters;
import io.pushline.contracts.Decoded;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
import io.pushline.contracts.Keys;
import io.pushline.contracts.Wakeup;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Keeps one entry per device token and turns registrations and invalidations into the user-keyed device state.
 *
 * <p>Order-independent on purpose: a registration and an invalidation of the same token may arrive in either order
 * (they come from different publishers and from the push providers). The newer timestamp wins: an invalidation removes
 * the device only if it is newer than the registration; a registration newer than the last invalidation restores it.
 * A token registered to another user moves: the old user's entry is removed.
 *
 * <p>An active token's entry is a current registration and stays while it is one. An invalidated token's entry only
 * decides races against registrations older than its invalidation, so it is kept for
 * {@link TopologyConfig#invalidatedTokenRetention()} from when the registry learned of the invalidation (the task's
 * wall clock, or the invalidation's own time if later: a provider may report a token invalid since long ago), then
 * forgotten: otherwise every token ever invalidated would stay forever. A second store, {@value #INVALIDATIONS},
 * indexes invalidated tokens by that time ({@link ExpiryIndex}, key {@code token|invalidatedAt}); a wake-up at the
 * oldest one's due time forgets at most a page of those due, and nothing ticks while nothing is due. An entry
 * registered again since, or invalidated again, is not forgotten by the older index entry. If a registration older
 * than a forgotten invalidation still arrived, the token would be registered again until its provider rejected it
 * again (an invalidated APNs or FCM token does not come back, so nobody receives that push). Entries invalidated by a
 * version without the index are indexed once, at the time of a sweep in pages.
 */
final class DeviceRegistryProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(DeviceRegistryProcessor.class);

    static final String STORE = "device-tokens";
    /** Invalidated tokens by the time of their invalidation, for the retention. */
    static final String INVALIDATIONS = "device-tokens-by-invalidation";

    private final CloudEventCodec codec;
    private final TopologyConfig config;
    private final TopologyMetrics metrics;
    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> tokens;
    private ExpiryIndex invalidations;
    private long retentionMs;
    private Wakeup wakeup;

    /** What the registry remembers per token; absent fields are null. */
    record TokenState(String userId, Instant registeredAt, Instant invalidatedAt) {
        boolean active() {
            return registeredAt != null && (invalidatedAt == null || registeredAt.isAfter(invalidatedAt));
        }
    }

    DeviceRegistryProcessor(CloudEventCodec codec, TopologyConfig config, TopologyMetrics metrics) {
        this.codec = codec;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.tokens = context.getStateStore(STORE);
        this.invalidations = new ExpiryIndex(context.getStateStore(INVALIDATIONS));
        this.retentionMs = config.invalidatedTokenRetention().toMillis();
        invalidations.skipSweepIfEmpty(tokens);
        wakeup = new Wakeup((delay, fire) -> context.schedule(delay, PunctuationType.WALL_CLOCK_TIME, fire::accept)::cancel,
                context::currentSystemTimeMs, config.pageInterval(), now -> {
                    expirePage(now);
                    wakeForWhatIsDue();
                });
        wakeForWhatIsDue();
    }

    @Override
    public void close() {
        wakeup.disarm();
    }

    /** Arms the next page while the sweep is unfinished, else for when the oldest invalidation is due. */
    private void wakeForWhatIsDue() {
        if (!invalidations.swept()) {
            wakeup.soon();
            return;
        }
        long oldest = invalidations.oldest();
        if (oldest != Long.MAX_VALUE) {
            wakeup.at(dueAt(oldest));
        }
    }

    /** One page of invalidated tokens forgotten past the retention (and, once after an upgrade, one page of the sweep). */
    private void expirePage(long now) {
        if (!invalidations.swept()) {
            invalidations.sweep(tokens, config.pageSize(), (token, bytes) -> {
                TokenState state = readOrNull(bytes);
                if (state != null && !state.active()) {
                    remember(token, state.invalidatedAt(), now);
                }
            });
        }
        invalidations.expire(now - retentionMs, config.pageSize(), (entry, at) -> {
            String token = Keys.first(entry);
            TokenState state = readOrNull(tokens.get(token));
            // Registered again since (live), or invalidated again (the newer index entry expires it): not this entry's.
            if (state != null && !state.active() && Long.toString(state.invalidatedAt().toEpochMilli()).equals(Keys.second(entry))) {
                tokens.delete(token);
                metrics.invalidationExpired();
            }
        });
    }

    /** Indexes an invalidated token for the retention, from {@code now} or its invalidation if later, and arms for it. */
    private void remember(String token, Instant invalidatedAt, long now) {
        long at = Math.max(now, invalidatedAt.toEpochMilli());
        invalidations.add(Keys.compound(token, Long.toString(invalidatedAt.toEpochMilli())), at);
        wakeup.at(dueAt(at));
    }

    private long dueAt(long at) {
        return at > Long.MAX_VALUE - retentionMs ? Long.MAX_VALUE : at + retentionMs;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Decoded decoded = codec.decode(record.headers(), record.value());
        if (decoded instanceof Decoded.Invalid invalid) {
            // Only the router writes this topic, so this is a bug or a foreign writer: keep the bytes, say why.
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            RecordHeaders headers = new RecordHeaders(record.headers().toArray());
            DeadLetters.addTo(headers, invalid.reason(), invalid.detail(), origin.topic(), origin.partition(), origin.offset(), Instant.now());
            metrics.deadLettered(invalid.reason());
            context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), PushlineTopology.REGISTRY_DEAD_LETTER_SINK);
            return;
        }
        Envelope<?> envelope = ((Decoded.Ok) decoded).envelope();
        if (envelope.data() instanceof DeviceRegistered registered) {
            register(registered, record);
        } else if (envelope.data() instanceof DeviceUnregistered unregistered) {
            unregister(unregistered, record);
        } else {
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            RecordHeaders headers = new RecordHeaders(record.headers().toArray());
            DeadLetters.addTo(headers, DeadLetterReason.UNKNOWN_TYPE, "ce_type " + envelope.type().ceType()
                    + " does not belong on " + origin.topic(), origin.topic(), origin.partition(), origin.offset(), Instant.now());
            metrics.deadLettered(DeadLetterReason.UNKNOWN_TYPE);
            context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), PushlineTopology.REGISTRY_DEAD_LETTER_SINK);
        }
    }

    private void register(DeviceRegistered device, Record<byte[], byte[]> record) {
        TokenState before = load(device.token());
        if (before != null) {
            boolean olderThanInvalidation = before.invalidatedAt() != null && !device.registeredAt().isAfter(before.invalidatedAt());
            boolean olderThanRegistration = before.registeredAt() != null && device.registeredAt().isBefore(before.registeredAt());
            if (olderThanInvalidation || olderThanRegistration) {
                metrics.staleRegistration();
                return;
            }
            if (before.active() && !before.userId().equals(device.userId())) {
                emit(before.userId(), device.token(), null, record);
            }
        }
        TokenState after = new TokenState(device.userId(), device.registeredAt(),
                before == null ? null : before.invalidatedAt());
        store(device.token(), after);
        emit(device.userId(), device.token(), record.value(), record);
    }

    private void unregister(DeviceUnregistered invalidation, Record<byte[], byte[]> record) {
        TokenState before = load(invalidation.token());
        if (before != null && before.invalidatedAt() != null && !invalidation.invalidatedAt().isAfter(before.invalidatedAt())) {
            metrics.staleInvalidation();
            return;
        }
        if (before != null && before.registeredAt() != null && !invalidation.invalidatedAt().isAfter(before.registeredAt())) {
            // The device registered again after the provider invalidated the token: the registration wins.
            metrics.staleInvalidation();
            store(invalidation.token(), new TokenState(before.userId(), before.registeredAt(), invalidation.invalidatedAt()));
            return;
        }
        if (before != null && before.active()) {
            emit(before.userId(), invalidation.token(), null, record);
        }
        store(invalidation.token(), new TokenState(before == null ? null : before.userId(),
                before == null ? null : before.registeredAt(), invalidation.invalidatedAt()));
        remember(invalidation.token(), invalidation.invalidatedAt(), context.currentSystemTimeMs());
    }

    private void emit(String userId, String token, byte[] registration, Record<byte[], byte[]> cause) {
        RecordHeaders headers = registration == null ? new RecordHeaders() : new RecordHeaders(cause.headers().toArray());
        context.forward(new Record<>(RouterProcessor.utf8(Keys.compound(userId, token)), registration, cause.timestamp(), headers),
                PushlineTopology.DEVICES_SINK);
    }

    private TokenState load(String token) {
        byte[] bytes = tokens.get(token);
        if (bytes == null) {
            return null;
        }
        try {
            return json.readValue(bytes, TokenState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("device-tokens store entry is unreadable", e);
        }
    }

    /**
     * The entry as stored, or null if it is absent or unreadable. Retention work skips an unreadable entry (and says
     * so) rather than fail its page on every wake-up: the entry fails the next event of its token, as before.
     */
    private TokenState readOrNull(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return json.readValue(bytes, TokenState.class);
        } catch (IOException e) {
            log.warn("{} store entry is unreadable; retention skips it ({})", STORE, e.getClass().getSimpleName());
            return null;
        }
    }

    private void store(String token, TokenState state) {
        try {
            tokens.put(token, json.writeValueAsBytes(state));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
