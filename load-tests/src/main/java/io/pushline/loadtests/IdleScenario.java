package io.pushline.loadtests;

import io.pushline.contracts.CloudEventCodec;
import io.pushline.localkafka.LocalBroker;
import io.pushline.localstack.LocalStack;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Pushline costs when nothing happens. One broker (a child process) is measured alone first, with no client
 * connected: the baseline. Then every role starts on it in this JVM, is warmed up (owners' devices registered, a like
 * to each of them delivered, so that every group, producer and transaction exists), left alone for the warm-up time,
 * and measured for as long again with no traffic: this JVM's CPU by thread group, and the broker's.
 */
final class IdleScenario {
    private IdleScenario() {
    }

    /**
     * CPU as a percentage of one core over a measured interval.
     *
     * @param brokerAlone the broker with no client connected (the baseline)
     * @param broker the broker while the idle pipeline is connected
     * @param pipeline this JVM: the pipeline's roles, the idle mock providers and the (sleeping) harness
     * @param byGroup this JVM's share by thread group; "JVM (GC, JIT, other)" is the process total less the Java threads
     * @param busiestThreads the ten busiest threads by name
     */
    record Result(double brokerAlone, double broker, double pipeline, Map<String, Double> byGroup, Map<String, Double> busiestThreads,
                  long warmupLikes) {
    }

    static Result run(Path dir, int partitions, int inFlight, Duration warmup, Duration measured, int owners, Duration timeout)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        System.out.print("  starting Kafka broker (KRaft, child process) ... ");
        try (LocalBroker broker = LocalBroker.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).shutdownHook(true)
                .build().start()) {
            System.out.printf("up at %s (pid %d)%n", broker.bootstrapServers(), broker.pid());
            System.out.printf("  the broker alone: %d s settling, then %d s measured ... ", warmup.toSeconds(), measured.toSeconds());
            hold(warmup);
            double alone = percentOfCore(() -> brokerNanos(broker.pid()), measured);
            System.out.printf("%.2f %% of a core%n", alone);

            try (LocalStack stack = LocalStack.start(new LocalStack.Options(broker.bootstrapServers(), 0, dir, partitions, inFlight, true),
                    System.out)) {
                CloudEventCodec codec = new CloudEventCodec();
                LikesScenario.Readiness ready;
                try (MixedScenario.Likes likes = new MixedScenario.Likes(stack)) {
                    ready = LikesReadiness.prepare(stack, likes, codec, LikesScenario.owners(owners), new AtomicLong(), 50, deadline);
                }
                System.out.printf("  warmed up (%d likes delivered); %d s with nothing to do, then %d s measured ...%n", ready.likes(),
                        warmup.toSeconds(), measured.toSeconds());
                hold(warmup);
                ThreadCpu cpu = ThreadCpu.start();
                long ownBefore = CpuClock.ownNanos();
                long brokerBefore = brokerNanos(broker.pid());
                long start = System.nanoTime();
                hold(measured);
                long wall = System.nanoTime() - start;
                long own = CpuClock.ownNanos() - ownBefore;
                long brokerUsed = brokerNanos(broker.pid()) - brokerBefore;
                Map<String, Double> groups = new LinkedHashMap<>();
                cpu.nanosByGroup().forEach((group, nanos) -> groups.put(group, round2(percent(nanos, wall))));
                Map<String, Double> busiest = new LinkedHashMap<>();
                cpu.nanosByThread().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
                        .forEach(e -> busiest.put(e.getKey(), round2(percent(e.getValue(), wall))));
                return new Result(alone, percent(brokerUsed, wall), percent(own, wall), groups, busiest, ready.likes());
            }
        }
    }

    private static double percentOfCore(java.util.function.LongSupplier cpuNanos, Duration measured) {
        long before = cpuNanos.getAsLong();
        long start = System.nanoTime();
        hold(measured);
        return percent(cpuNanos.getAsLong() - before, System.nanoTime() - start);
    }

    private static long brokerNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    }

    private static double percent(long cpuNanos, long wallNanos) {
        return wallNanos <= 0 ? 0 : 100.0 * cpuNanos / wallNanos;
    }

    static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** Waits out {@code length} of wall-clock time: what is measured is what happens meanwhile, not a condition. */
    private static void hold(Duration length) {
        try {
            Thread.sleep(length.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
