/**
 * Pushline's event contracts: the event data records and their JSON Schemas, the CloudEvents
 * (Kafka binary mode) codec with validation, dead-letter headers, and the Kafka topic catalogue.
 *
 * <p>The JSON Schemas under {@code /schemas/v1/} on the classpath are the language-neutral
 * contract; the records here mirror them one to one (a test keeps them in agreement). Every type
 * in this package is immutable or thread-safe unless its Javadoc says otherwise. This package
 * depends on no other Pushline module.
 */
package io.pushline.contracts;
