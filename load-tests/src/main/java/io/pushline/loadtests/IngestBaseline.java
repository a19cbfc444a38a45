package io.pushline.loadtests;

import io.pushline.ingest.IngestConfig;
import io.pushline.ingest.IngestServer;
import io.pushline.loadtests.IngestScenario.Baseline;
import io.pushline.loadtests.IngestScenario.Ledger;
import io.pushline.loadtests.IngestScenario.Phase;
import io.pushline.loadtests.report.ProgressBar;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ingest bench's baseline: the run's records straight to {@code pushline.events} with the ingest's own producer
 * settings, as fast as the producer takes them, encoded before the clock starts.
 */
final class IngestBaseline {
    private IngestBaseline() {
    }

    /** The ingest's own producer settings, for a baseline that writes the same records straight to Kafka. */
    static Map<String, Object> producerConfig(Map<String, Object> clientConfig, IngestConfig config) {
        Map<String, Object> p = IngestServer.producerConfig(clientConfig, config);
        p.put("client.id", "pushline-bench-baseline");
        return p;
    }

    static Baseline run(Map<String, Object> producerConfig, IngestEvents events, int count, Duration limit, Ledger ledger,
                        AtomicLong completed) throws InterruptedException {
        // Warm-up: a tenth (at most 20,000) unmeasured, so that metadata, connections and the JIT are ready.
        int warmup = Math.min(20_000, Math.max(100, count / 10));
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(events.record(Phase.BASELINE, i));
        }
        ProducerRecord<String, byte[]> sample = records.get(0);
        int recordBytes = sample.value().length + sample.key().length();
        for (Header h : sample.headers()) {
            recordBytes += h.key().length() + h.value().length;
        }
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastAck = new AtomicLong();
        long sent = 0;
        long start;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < warmup; i++) {
                producer.send(events.record(Phase.BASELINE_WARMUP, i));
            }
            producer.flush();
            ProgressBar bar = new ProgressBar(System.out, "kafka produce (baseline)", count);
            start = System.nanoTime();
            long end = start + limit.toNanos();
            for (int i = 0; i < count; i++) {
                if ((i & 1023) == 0) {
                    if (System.nanoTime() - end > 0) {
                        break;
                    }
                    bar.update(acked.get());
                }
                int seq = i;
                try {
                    producer.send(records.get(i), (metadata, error) -> {
                        if (error == null) {
                            acked.incrementAndGet();
                            completed.incrementAndGet();
                            ledger.mark(Phase.BASELINE, seq, 1);
                        } else {
                            failed.incrementAndGet();
                        }
                        lastAck.accumulateAndGet(System.nanoTime(), Math::max);
                    });
                    sent++;
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                }
            }
            producer.flush();
            bar.finish(acked.get());
        }
        double seconds = (lastAck.get() - start) / 1e9;
        return new Baseline(sent, acked.get(), failed.get(), seconds, recordBytes);
    }
}
