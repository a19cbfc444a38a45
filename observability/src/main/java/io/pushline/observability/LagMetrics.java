package io.pushline.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Consumer lag as metrics, read with the AdminClient every {@code interval} ({@link ConsumerLag}): gauges
 * {@value #RECORDS} and {@value #SECONDS} tagged {@code group}, {@code topic} and {@code partition}, for every consumer
 * group the filter accepts (Pushline's: ids starting with {@code pushline}). One thread of its own; a failed reading is
 * logged at most once a minute and the gauges keep their last values.
 */
public final class LagMetrics implements AutoCloseable {
    /** Records not yet consumed and committed. */
    public static final String RECORDS = ProcessMetrics.LAG_RECORDS;
    /** Age of the oldest record not yet consumed, in seconds. */
    public static final String SECONDS = ProcessMetrics.LAG_SECONDS;
    private static final Logger log = LoggerFactory.getLogger(LagMetrics.class);

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> probe;
    private final MeterRegistry registry;
    private final Predicate<String> groups;
    private final ScheduledExecutorService thread;
    private final Map<String, double[]> values = new ConcurrentHashMap<>();
    private volatile long lastWarning;

    private LagMetrics(Map<String, Object> clients, MeterRegistry registry, Predicate<String> groups) {
        this.admin = Admin.create(clients);
        Map<String, Object> probeConfig = new HashMap<>(clients);
        probeConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        probeConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        probeConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-lag-probe");
        probeConfig.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 65_536);   // it needs one record's timestamp
        this.probe = new KafkaConsumer<>(probeConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.registry = registry;
        this.groups = groups;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pushline-lag-metrics");
            t.setDaemon(true);
            return t;
        });
    }

    public static LagMetrics start(Map<String, Object> clients, MeterRegistry registry, Predicate<String> groups, Duration interval) {
        LagMetrics metrics = new LagMetrics(clients, registry, groups);
        metrics.thread.scheduleWithFixedDelay(metrics::readOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return metrics;
    }

    private void readOnce() {
        try {
            List<String> wanted = admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
                    .filter(groups).toList();
            Instant now = Instant.now();
            for (String group : wanted) {
                for (ConsumerLag.Row row : new ConsumerLag(admin).rows(probe, group, List.of(), now)) {
                    double[] v = values.computeIfAbsent(row.group() + '\u0000' + row.topic() + '\u0000' + row.partition(), key -> {
                        double[] cell = new double[2];
                        String[] tags = {"group", row.group(), "topic", row.topic(), "partition", Integer.toString(row.partition())};
                        Gauge.builder(RECORDS, cell, c -> c[0]).tags(tags).description("records not yet consumed").register(registry);
                        Gauge.builder(SECONDS, cell, c -> c[1]).tags(tags).baseUnit("seconds")
                                .description("age of the oldest record not yet consumed").register(registry);
                        return cell;
                    });
                    v[0] = row.lag();
                    if (row.lagSeconds() >= 0) {
                        v[1] = row.lagSeconds();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            long now = System.currentTimeMillis();
            if (now - lastWarning > 60_000) {
                lastWarning = now;
                log.warn("cannot read consumer lag ({}); the lag gauges keep their last values", e.toString());
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probe.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
