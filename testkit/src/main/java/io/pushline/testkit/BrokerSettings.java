package io.pushline.testkit;

import java.util.LinkedHashMap;
import java.util.Map;

/** Broker configuration, applied to every kind of broker so they behave alike. */
final class BrokerSettings {

    /** We dead-letter events of 2 MB; the broker must accept them with room to spare. */
    static final int MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

    private BrokerSettings() {}

    static Map<String, String> singleNode() {
        return forNodes(1);
    }

    /**
     * For a cluster of {@code nodes} brokers. Kafka's internal topics get min(3, nodes) copies and a min ISR one less
     * (at least one), like Pushline's own topics, so a test sees a cluster shaped like production.
     */
    static Map<String, String> forNodes(int nodes) {
        String copies = Integer.toString(Math.min(3, nodes));
        String minIsr = Integer.toString(Math.max(1, Math.min(3, nodes) - 1));
        Map<String, String> settings = new LinkedHashMap<>();
        // Internal topics must fit on the nodes there are, or consumer groups, transactions (Streams EOS) and share
        // groups fail.
        settings.put("offsets.topic.replication.factor", copies);
        settings.put("transaction.state.log.replication.factor", copies);
        settings.put("transaction.state.log.min.isr", minIsr);
        settings.put("share.coordinator.state.topic.replication.factor", copies);
        settings.put("share.coordinator.state.topic.min.isr", minIsr);
        // 50 partitions each (the default) make the first group and the first transaction wait for 50 leaders.
        settings.put("offsets.topic.num.partitions", "5");
        settings.put("transaction.state.log.num.partitions", "5");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("auto.create.topics.enable", "false");
        settings.put("num.partitions", "3");
        settings.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        settings.put("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        return settings;
    }
}
