package io.pushline.testkit;

import java.util.Map;
import org.apache.kafka.clients.admin.Admin;

/**
 * The real single-node Kafka broker shared by every test class of one test JVM.
 *
 * <p>Settings suited to one node: internal topics with replication factor 1 (so transactions and Kafka Streams
 * {@code exactly_once_v2} work), no automatic topic creation (create topics with {@link #admin()}; names from
 * {@link TestTopics#unique(String)}), 3 partitions by default, and {@code message.max.bytes} of 10 MiB (a producer
 * sending records over 1 MiB must still raise its own {@code max.request.size}).
 *
 * <p>Thread-safe. The broker and its admin client belong to the test kit: tests must not close them; they are
 * stopped when the test run ends. Because the broker is shared, tests must use unique topic and group names.
 */
public interface KafkaBroker {

    /** {@code host:port} of the broker, for {@code bootstrap.servers}. */
    String bootstrapServers();

    /** A shared admin client connected to this broker. Do not close it. */
    Admin admin();

    /** {@code "kraft-testkit"} (in-JVM KRaft test kit) or {@code "testcontainers"} (a Kafka container). */
    String kind();

    /** Configuration every client needs to reach this broker (at least {@code bootstrap.servers}); a fresh mutable copy. */
    Map<String, Object> clientConfig();
}
