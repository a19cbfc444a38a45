package io.pushline.loadtests;

import io.pushline.contracts.PushTask;
import io.pushline.contracts.Topics;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the bulk lane's push tasks as a worker would (read committed, from the end when started) and records, for the
 * tasks of one app, when each became readable: the expansion's part of that app's latency, apart from the workers'.
 * A diagnostic of {@code bench tenants}; it reads only, in a thread of its own, until closed.
 */
final class TaskProbe implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String app;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong since = new AtomicLong(Long.MAX_VALUE);
    private final Histogram readableMicros = new Histogram(3_600_000_000L, 3);

    private final io.micrometer.core.instrument.MeterRegistry registry;
    /** Highest seen: the bulk workers' read-ahead backlog, the gate's backlog reading and its bound. */
    private final AtomicLong maxWorkerBacklog = new AtomicLong();
    private final AtomicLong maxGateBacklog = new AtomicLong();
    private final AtomicLong maxGateBound = new AtomicLong();

    TaskProbe(Map<String, Object> clientConfig, String app, io.micrometer.core.instrument.MeterRegistry registry) {
        this.registry = registry;
        Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.app = app;
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.PUSH_BULK).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);   // resolve the end now, before the posts
        this.thread = new Thread(this::run, "pushline-bench-task-probe");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records the tasks of the app from now on, relative to {@code postedAtMillis}. */
    void measureFrom(long postedAtMillis) {
        since.set(postedAtMillis);
    }

    private void run() {
        byte[] wanted = app.getBytes(StandardCharsets.UTF_8);
        while (running.get()) {
            maxWorkerBacklog.accumulateAndGet(gauge(io.pushline.workers.WorkerMetrics.BACKLOG, "bulk"), Math::max);
            maxGateBacklog.accumulateAndGet(gauge(io.pushline.observability.ProcessMetrics.EXPANSION_BACKLOG, null), Math::max);
            maxGateBound.accumulateAndGet(gauge(io.pushline.observability.ProcessMetrics.EXPANSION_BACKLOG_BOUND, null), Math::max);
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                Header h = r.headers().lastHeader(PushTask.APP_HEADER);
                long from = since.get();
                if (h != null && java.util.Arrays.equals(h.value(), wanted) && from != Long.MAX_VALUE) {
                    long micros = Math.max(0, (System.currentTimeMillis() - from) * 1000);
                    synchronized (readableMicros) {
                        readableMicros.recordValue(Math.min(micros, readableMicros.getHighestTrackableValue()));
                    }
                }
            }
        }
    }

    private long gauge(String name, String lane) {
        io.micrometer.core.instrument.search.Search search = registry.find(name);
        if (lane != null) {
            search = search.tag("lane", lane);
        }
        return Math.round(search.gauges().stream().mapToDouble(io.micrometer.core.instrument.Gauge::value).sum());
    }

    /** The highest read-ahead backlog of the bulk workers, backlog the gate read, and bound it allowed. */
    long[] maxima() {
        return new long[]{maxWorkerBacklog.get(), maxGateBacklog.get(), maxGateBound.get()};
    }

    /** When the app's tasks became readable, from the post (µs). */
    Histogram readableMicros() {
        synchronized (readableMicros) {
            return readableMicros.copy();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
        consumer.close(Duration.ofSeconds(5));
    }
}
