package io.pushline.publisher;

import io.pushline.contracts.EventType;

import java.time.Instant;
import java.util.Objects;

/**
 * An event the broker acknowledged: written to all in-sync replicas ({@code acks=all}) at {@code partition} and
 * {@code offset} of {@code topic}.
 *
 * @param eventId   the event's {@code ce_id}; publishing again with this id is how a caller retries safely
 * @param type      the event type ({@code ce_type})
 * @param key       the Kafka record key, chosen by {@link EventType#keyOf}
 * @param topic     always {@link io.pushline.contracts.Topics#EVENTS}
 * @param partition the partition Kafka's default partitioner picked for {@code key}
 * @param offset    the record's offset in that partition
 * @param timestamp the record timestamp the broker reports: the producer's create time, unless the topic is
 *                  configured with {@code LogAppendTime}. The event time is {@code ce_time}, from the publisher's clock.
 */
public record Published(String eventId, EventType type, String key, String topic, int partition, long offset,
                        Instant timestamp) {

    /** Rejects null components. */
    public Published {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timestamp, "timestamp");
    }
}
