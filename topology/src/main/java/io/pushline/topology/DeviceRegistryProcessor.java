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
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

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
 */
final class DeviceRegistryProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    static final String STORE = "device-tokens";

    private final CloudEventCodec codec;
    private final TopologyMetrics metrics;
    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> tokens;

    /** What the registry remembers per token; absent fields are null. */
    record TokenState(String userId, Instant registeredAt, Instant invalidatedAt) {
        boolean active() {
            return registeredAt != null && (invalidatedAt == null || registeredAt.isAfter(invalidatedAt));
        }
    }

    DeviceRegistryProcessor(CloudEventCodec codec, TopologyMetrics metrics) {
        this.codec = codec;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.tokens = context.getStateStore(STORE);
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

    private void store(String token, TokenState state) {
        try {
            tokens.put(token, json.writeValueAsBytes(state));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
