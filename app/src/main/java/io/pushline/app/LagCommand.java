package io.pushline.app;

import io.pushline.observability.ConsumerLag;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code pushline lag}: current consumer lag per group, topic and partition, in records and in seconds, like
 * {@code kafka-consumer-groups --describe} but with the age of the oldest record not yet consumed.
 */
@Command(name = "lag", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Consumer lag per group, topic and partition: records, and the age in seconds of the oldest record",
                "not yet consumed. Without --group: every group whose id starts with 'pushline'."})
final class LagCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--group", paramLabel = "GROUP", description = "A consumer group (repeatable).")
    List<String> groups;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> clients = cluster.clients(spec);
        Map<String, Object> probeConfig = new HashMap<>(clients);
        probeConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        probeConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(clients);
             KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(probeConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<String> wanted = new ArrayList<>();
            List<String> known = admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().map(GroupListing::groupId).toList();
            if (groups == null || groups.isEmpty()) {
                known.stream().filter(g -> g.startsWith("pushline")).sorted().forEach(wanted::add);
                if (wanted.isEmpty()) {
                    out.println("no pushline consumer groups on " + clients.get("bootstrap.servers"));
                    return 0;
                }
            } else {
                for (String g : groups) {
                    if (!known.contains(g)) {
                        spec.commandLine().getErr().printf("lag: consumer group '%s' does not exist on %s%n", g, clients.get("bootstrap.servers"));
                        return 1;
                    }
                    wanted.add(g);
                }
            }
            Instant now = Instant.now();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "LAG-SECONDS"});
            for (String group : wanted) {
                for (ConsumerLag.Row r : new ConsumerLag(admin).rows(probe, group, List.of(), now)) {
                    rows.add(new String[] {r.group(), r.topic(), Integer.toString(r.partition()),
                            r.committed() < 0 ? "-" : Long.toString(r.committed()), Long.toString(r.end()), Long.toString(r.lag()),
                            r.lagSeconds() < 0 ? "?" : String.format("%.1f", r.lagSeconds())});
                }
            }
            TextTable.print(out, rows, 2);
        }
        return 0;
    }
}
