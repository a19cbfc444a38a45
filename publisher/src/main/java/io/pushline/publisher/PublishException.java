package io.pushline.publisher;

import io.pushline.contracts.EventType;

import java.util.Objects;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Why a {@link Publisher#publish} future failed, for one event: the event was invalid (its id breaks the id rule, its
 * data breaks its JSON Schema or is too large), the publisher was closed, or Kafka did not acknowledge it (the buffer
 * stayed full or the cluster unreachable for {@code max.block.ms}, no acknowledgement within
 * {@code delivery.timeout.ms}, an authorization error, ...). The cause is the original exception.
 *
 * <p>{@link #retriable()} says whether publishing the same event again may succeed. A retry must reuse
 * {@link #eventId()} ({@link Publisher#publish(String, io.pushline.contracts.EventData)}): after a timeout the event
 * may have been written after all, and only the same id lets Pushline deduplicate it.
 */
public final class PublishException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_ID_CHARS = 200;

    private final String eventId;
    private final EventType type;
    private final boolean retriable;

    PublishException(String eventId, EventType type, Throwable cause) {
        super("publishing " + type.ceType() + " event '" + printable(eventId) + "' failed: " + describe(cause), cause);
        this.eventId = Objects.requireNonNull(eventId, "eventId");
        this.type = type;
        this.retriable = cause instanceof RetriableException;
    }

    /** The event's {@code ce_id}, given or generated. */
    public String eventId() {
        return eventId;
    }

    /** The event's type. */
    public EventType type() {
        return type;
    }

    /**
     * Whether the same event, published again with the same {@link #eventId()}, may succeed: true for Kafka's
     * retriable errors (timeouts, a leader moving, not enough in-sync replicas), false for invalid events, a closed
     * publisher, and errors that will not pass by themselves (authorization, a record too large).
     */
    public boolean retriable() {
        return retriable;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : cause.getClass().getSimpleName() + ": " + message;
    }

    /** Ids that break the id rule may be long or hold control characters; the message shows a safe excerpt. */
    private static String printable(String id) {
        String cut = id.length() > MAX_ID_CHARS ? id.substring(0, MAX_ID_CHARS) + "..." : id;
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
