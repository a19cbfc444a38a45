/**
 * A real single-node KRaft broker run as a child process, for {@code pushline demo} and the benchmarks:
 * {@link io.pushline.localkafka.LocalBroker}, with optional SASL/SCRAM, TLS and an authorizer.
 *
 * <p>Depends on no other Pushline module; only the local stack and the app use it.
 */
package io.pushline.localkafka;
