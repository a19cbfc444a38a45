/**
 * Test support: a real Kafka broker shared by all test classes of a JVM ({@link io.pushline.testkit.KafkaIntegrationTest},
 * {@link io.pushline.testkit.KafkaBroker}), a cluster of several brokers a test owns for replication
 * ({@link io.pushline.testkit.KafkaCluster}), and unique names for shared resources ({@link io.pushline.testkit.TestTopics}).
 * A test-scope dependency only; production code never depends on it.
 */
package io.pushline.testkit;
