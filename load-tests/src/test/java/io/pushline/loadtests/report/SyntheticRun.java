package io.pushline.loadtests.report;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** A plausible 60-second fanout run, made up deterministically: ramp-up, a stall, lag that builds and drains. */
final class SyntheticRun {
    static final Machine MACHINE = new Machine(8, "17.0.15", "Eclipse Adoptium", "Linux 6.1.0 amd64", 4096);
    static final Baseline BASELINE = new Baseline("kafka-produce-consume", 180_000.0);

    private SyntheticRun() {
    }

    static Recording recording() {
        Random random = new Random(7);
        Recording recording = new Recording();
        long completed = 0;
        double afterGc = 180;
        double used = 200;
        for (int i = 0; i <= 120; i++) {
            double seconds = i * 0.5;
            double rate = seconds < 5 ? 20_000 * seconds : seconds > 30 && seconds < 33 ? 15_000 : 95_000;
            completed += (long) (rate * 0.5 * (0.9 + 0.2 * random.nextDouble()));
            Map<String, Long> lag = new LinkedHashMap<>();
            lag.put("high", (long) (random.nextInt(200)));
            lag.put("bulk", (long) Math.max(0, 400_000 * Math.sin(Math.PI * seconds / 60) - 50_000 * random.nextDouble()));
            lag.put("topology", seconds < 10 ? (long) (30_000 - 3_000 * seconds) : 0L);
            used = used > 1500 ? afterGc + 50 : used + 90 + random.nextInt(60);
            afterGc = Math.min(900, afterGc + random.nextInt(12));
            recording.sample(seconds, completed, lag, used, afterGc);
        }
        for (int i = 0; i < 100_000; i++) {
            // log-normal around 4 ms, with a long tail
            double ms = Math.exp(Math.log(4) + 0.6 * random.nextGaussian());
            if (i % 1000 == 0) {
                ms *= 8;
            }
            recording.recordLatencyMicros((long) (ms * 1000));
        }
        return recording;
    }

    static BenchReport report(Recording recording) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("users", 100_000);
        params.put("devices", 250_000);
        params.put("partitions", 6);
        params.put("seed", 42L);
        params.put("providers", "mock <fast> & \"quiet\"");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("expectedPushes", 5_400_000L);
        figures.put("apnsLimitPerSec", 210_345.6);
        figures.put("fcmLimitPerSec", 190_123.4);
        figures.put("retries", 17);
        double throughput = 90_123.4;
        return new BenchReport("fanout", params, throughput, LatencyMs.of(recording.latencyMicros()), BASELINE,
                throughput / BASELINE.throughputPerSec(), 0, 3, recording.peakHeapAfterGcMb(), 60_000, MACHINE,
                figures);
    }
}
