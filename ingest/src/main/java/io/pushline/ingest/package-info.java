/**
 * The HTTP ingest of CloudEvents, for services without a Kafka client: {@code POST /v1/events} with one event in
 * binary or structured mode or a batch, validated exactly as the router validates a Kafka record, checked against the
 * publisher allowed to send it (bearer token, event types, source prefixes, rate limit), deduplicated within a window,
 * and written to {@code pushline.events} in binary mode; 202 only once the broker acknowledged it.
 *
 * <p>Owns: the HTTP server and its limits ({@link io.pushline.ingest.IngestServer}, {@link io.pushline.ingest.IngestConfig}),
 * the publishers and their rate limits ({@link io.pushline.ingest.Publishers}), the parsing of the content modes, the
 * deduplication window, and the ingest's metric names ({@link io.pushline.ingest.IngestMetrics}). Those five types are the
 * public API; everything else here is package-private. Inside, the transport (Netty: connections, their state machine,
 * the in-flight bounds) is kept apart from the publish path (authenticate, parse, authorise, rate-limit, deduplicate,
 * produce, answer), which knows nothing of sockets.
 *
 * <p>Depends, of Pushline's modules, only on {@code contracts} (events, codec, topics) and {@code credentials} (bearer
 * tokens). It must never depend on {@code pipeline}, {@code admin}, {@code observability} or {@code app}: they use it,
 * not the other way round. No token or token hash is ever logged, counted or answered.
 */
package io.pushline.ingest;
