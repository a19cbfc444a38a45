package io.pushline.ingest;

import io.pushline.contracts.Topics;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the HTTP ingest ({@link IngestServer}), with named defaults; the constructor rejects a bad value naming
 * the field and the value.
 *
 * @param topic             where accepted events are written ({@link Topics#EVENTS}; tests use their own)
 * @param maxEventBytes     largest body of a single event ({@code application/cloudevents+json}, or the data of one in
 *                          binary mode); 413 above it
 * @param maxBatchBytes     largest body of a batch ({@code application/cloudevents-batch+json}); 413 above it
 * @param maxBatchEvents    most events in one batch; 413 above it
 * @param maxInFlightBytes  request bytes being read, parsed, produced or awaiting the broker's acknowledgement, over
 *                          all requests; a request that would exceed it is answered 429 before its body is read. It
 *                          bounds the memory the ingest holds and is how a slow broker slows publishers down.
 * @param maxInFlightRequests requests read, being handled or awaiting the broker's acknowledgement; beyond it, 429
 *                          before the body is read (no thread waits for an acknowledgement, so this, not the
 *                          threads, bounds the requests in progress)
 * @param threads           request-handling threads: they parse, validate and hand events to the producer, and never
 *                          wait for the broker
 * @param queue             requests read and waiting for a thread; beyond it, 503
 * @param readTimeout       longest from a request's headers to the last byte of its body (408 and the connection
 *                          closed after it); a connection idle between requests is closed after twice as long
 * @param dedupWindow       how long a {@code source}+{@code id} seen is remembered (per process)
 * @param dedupMaxEntries   most ids remembered; the oldest are forgotten first when more arrive within the window
 * @param maxBlock          the producer's {@code max.block.ms}: the longest a send waits for metadata (broker down: 503)
 * @param deliveryTimeout   the producer's {@code delivery.timeout.ms}: the longest until a send is acknowledged or
 *                          failed; a request waits at most this long (plus a second) for its acknowledgements
 *
 * <p>Immutable; each {@code with...} method returns a new config, validated the same way.
 */
public record IngestConfig(String topic, int maxEventBytes, int maxBatchBytes, int maxBatchEvents, int maxInFlightBytes,
                    int maxInFlightRequests, int threads, int queue, Duration readTimeout, Duration dedupWindow, int dedupMaxEntries,
                    Duration maxBlock, Duration deliveryTimeout) {
    static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;
    static final int DEFAULT_MAX_BATCH_BYTES = 5 << 20;
    static final int DEFAULT_MAX_BATCH_EVENTS = 500;
    static final int DEFAULT_MAX_IN_FLIGHT_BYTES = 32 << 20;
    static final int DEFAULT_MAX_IN_FLIGHT_REQUESTS = 4096;
    static final int DEFAULT_THREADS = 16;
    static final int DEFAULT_QUEUE = 256;
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofMinutes(10);
    public static final int DEFAULT_DEDUP_MAX_ENTRIES = 1_000_000;
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(2);
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    public IngestConfig {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        Objects.requireNonNull(maxBlock, "maxBlock");
        Objects.requireNonNull(deliveryTimeout, "deliveryTimeout");
        between("maxEventBytes", maxEventBytes, 1024, 64 << 20);
        between("maxBatchBytes", maxBatchBytes, 1024, 256 << 20);
        between("maxBatchEvents", maxBatchEvents, 1, 100_000);
        between("maxInFlightBytes", maxInFlightBytes, Math.max(maxEventBytes, maxBatchBytes), 1 << 30);
        between("maxInFlightRequests", maxInFlightRequests, 1, 1_000_000);
        between("threads", threads, 1, 1024);
        between("queue", queue, 0, 1_000_000);
        between("dedupMaxEntries", dedupMaxEntries, 0, 100_000_000);
        if (dedupWindow.isNegative()) {
            throw new IllegalArgumentException("dedupWindow must be >= 0 (0 turns deduplication off), was " + dedupWindow);
        }
        if (readTimeout.compareTo(Duration.ofMillis(100)) < 0 || readTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("readTimeout must be between 100ms and 10m, was " + readTimeout);
        }
        if (maxBlock.isNegative() || maxBlock.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("maxBlock must be between 0 and 1m, was " + maxBlock);
        }
        if (deliveryTimeout.compareTo(Duration.ofSeconds(1)) < 0 || deliveryTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("deliveryTimeout must be between 1s and 5m, was " + deliveryTimeout);
        }
    }

    /** {@code pushline run}'s limits: the {@code DEFAULT_*} values, writing to {@link Topics#EVENTS}. */
    public static IngestConfig defaults() {
        return new IngestConfig(Topics.EVENTS, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_EVENTS,
                DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_MAX_IN_FLIGHT_REQUESTS, DEFAULT_THREADS, DEFAULT_QUEUE, DEFAULT_READ_TIMEOUT,
                DEFAULT_DEDUP_WINDOW, DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_MAX_BLOCK, DEFAULT_DELIVERY_TIMEOUT);
    }

    /** This config writing to another topic. */
    public IngestConfig withTopic(String value) {
        return new IngestConfig(value, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, maxInFlightRequests, threads, queue,
                readTimeout, dedupWindow, dedupMaxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with other body, batch and in-flight byte limits (see the fields of the same meaning). */
    public IngestConfig withLimits(int eventBytes, int batchBytes, int batchEvents, int inFlightBytes) {
        return new IngestConfig(topic, eventBytes, batchBytes, batchEvents, inFlightBytes, maxInFlightRequests, threads, queue, readTimeout,
                dedupWindow, dedupMaxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with another bound on the requests in flight. */
    public IngestConfig withMaxInFlightRequests(int requests) {
        return new IngestConfig(topic, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, requests, threads, queue, readTimeout,
                dedupWindow, dedupMaxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with other request-handling threads and queue. */
    public IngestConfig withThreads(int handlerThreads, int waiting) {
        return new IngestConfig(topic, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, maxInFlightRequests, handlerThreads,
                waiting, readTimeout, dedupWindow, dedupMaxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with another read timeout. */
    public IngestConfig withReadTimeout(Duration value) {
        return new IngestConfig(topic, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, maxInFlightRequests, threads, queue,
                value, dedupWindow, dedupMaxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with another deduplication window and size. */
    public IngestConfig withDedup(Duration window, int maxEntries) {
        return new IngestConfig(topic, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, maxInFlightRequests, threads, queue,
                readTimeout, window, maxEntries, maxBlock, deliveryTimeout);
    }

    /** This config with other producer timeouts ({@code max.block.ms}, {@code delivery.timeout.ms}). */
    public IngestConfig withProducerTimeouts(Duration block, Duration delivery) {
        return new IngestConfig(topic, maxEventBytes, maxBatchBytes, maxBatchEvents, maxInFlightBytes, maxInFlightRequests, threads, queue,
                readTimeout, dedupWindow, dedupMaxEntries, block, delivery);
    }

    private static void between(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", was " + value);
        }
    }
}
