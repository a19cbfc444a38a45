package io.pushline.coordinators;

import io.pushline.contracts.Envelope;

import java.util.Objects;

/**
 * One record a step produces.
 *
 * @param topic where it goes
 * @param key   its key
 * @param event the CloudEvent, or {@code null} for a tombstone (a compacted topic forgets {@code key})
 */
public record Output(String topic, String key, Envelope<?> event) {
    public Output {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(key, "key");
    }

    public static Output tombstone(String topic, String key) {
        return new Output(topic, key, null);
    }
}
