/**
 * A small library for Java services that publish Pushline events: {@link io.pushline.publisher.Publisher} takes the
 * typed records of {@code io.pushline.contracts}, writes them to {@code pushline.events} as binary-mode CloudEvents
 * keyed by the contract's rule, through an idempotent producer, and answers a future per event
 * ({@link io.pushline.publisher.Published} or a {@link io.pushline.publisher.PublishException}).
 *
 * <p>Depends on the contracts module and the Kafka client only (no Kafka Streams, nothing else of Pushline's);
 * {@code DependencyDirectionTest} in the app checks it.
 */
package io.pushline.publisher;
