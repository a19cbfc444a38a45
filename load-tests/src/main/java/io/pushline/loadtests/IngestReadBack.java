package io.pushline.loadtests;

import io.pushline.contracts.Topics;
import io.pushline.loadtests.IngestScenario.Ledger;
import io.pushline.loadtests.IngestScenario.Phase;
import io.pushline.loadtests.IngestScenario.ReadBack;
import io.pushline.loadtests.report.ProgressBar;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static io.pushline.loadtests.IngestScenario.READ_BACK_LIMIT;

/**
 * The ingest bench's verification: reads {@code pushline.events} back from its beginning and matches the run's ids
 * found there against those the ledger says were answered 202 (or acknowledged, for the baseline).
 */
final class IngestReadBack {
    private IngestReadBack() {
    }

    /** Reads {@code pushline.events} to its end and compares the run's ids found with those accepted. */
    static ReadBack read(Map<String, Object> clientConfig, IngestEvents events, Ledger ledger, List<Phase> ingestPhases)
            throws InterruptedException {
        long began = System.nanoTime();
        Map<String, Object> config = new java.util.HashMap<>(clientConfig);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "pushline-bench-ingest-read-back");
        Map<Phase, BitSet> found = new EnumMap<>(Phase.class);
        long duplicates = 0;
        long ofRun = 0;
        String prefix = events.run + "-";
        Instant deadline = Instant.now().plus(READ_BACK_LIMIT);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.EVENTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(Topics.EVENTS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long total = end.values().stream().mapToLong(Long::longValue).sum();
            ProgressBar bar = new ProgressBar(System.out, "read back pushline.events", total);
            long read = 0;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("could not read " + Topics.EVENTS + " to its end within " + READ_BACK_LIMIT);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    Header h = r.headers().lastHeader("ce_id");
                    if (h == null || h.value() == null) {
                        continue;
                    }
                    String id = new String(h.value(), StandardCharsets.UTF_8);
                    if (!id.startsWith(prefix) || id.length() < prefix.length() + 3) {
                        continue;
                    }
                    Phase phase = Phase.of(id.charAt(prefix.length()));
                    if (phase == null) {
                        continue;
                    }
                    int seq;
                    try {
                        seq = Integer.parseInt(id.substring(prefix.length() + 2));
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    ofRun++;
                    BitSet bits = found.computeIfAbsent(phase, p -> new BitSet());
                    if (bits.get(seq)) {
                        duplicates++;
                    }
                    bits.set(seq);
                }
                bar.update(read);
            }
            bar.finish(read);
        }
        long accepted = 0;
        long foundAccepted = 0;
        long lost = 0;
        long notAccepted = 0;
        for (Phase phase : ingestPhases) {
            BitSet a = ledger.of(phase);
            BitSet f = found.getOrDefault(phase, new BitSet());
            BitSet missing = (BitSet) a.clone();
            missing.andNot(f);
            BitSet both = (BitSet) a.clone();
            both.and(f);
            BitSet extra = (BitSet) f.clone();
            extra.andNot(a);
            accepted += a.cardinality();
            foundAccepted += both.cardinality();
            lost += missing.cardinality();
            notAccepted += extra.cardinality();
        }
        BitSet baselineAcked = ledger.of(Phase.BASELINE);
        BitSet baselineMissing = (BitSet) baselineAcked.clone();
        baselineMissing.andNot(found.getOrDefault(Phase.BASELINE, new BitSet()));
        return new ReadBack(ofRun, accepted, foundAccepted, lost, duplicates, notAccepted, baselineAcked.cardinality(),
                baselineMissing.cardinality(), (System.nanoTime() - began) / 1e9);
    }
}
