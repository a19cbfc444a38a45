/**
 * A real single-node KRaft broker run as a child process, for {@code pushline demo} and the benchmarks:
 * {@link io.pushline.localkafka.LocalBroker}, with optional SASL/SCRAM, TLS and an authorizer; and a replicated cluster
 * of such nodes, {@link io.pushline.localkafka.LocalCluster}, whose {@link io.pushline.localkafka.ClusterNode}s can be
 * killed, stalled and restarted, for {@code pushline demo --brokers 3} and failure tests.
 *
 * <p>Depends on no other Pushline module; only the local stack and the app use it.
 */
package io.pushline.localkafka;
