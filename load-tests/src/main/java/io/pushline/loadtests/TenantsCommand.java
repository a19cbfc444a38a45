package io.pushline.loadtests;

import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.LatencyMs;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import io.pushline.localstack.LocalStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static io.pushline.loadtests.Reports.finish;
import static io.pushline.loadtests.Reports.latencyFigure;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench tenants}: app A posts to {@code --devices-a} devices; {@code --b-after} seconds later app B posts
 * to {@code --devices-b}. Headline: B's p99 latency during A's fanout over B's p99 alone, measured in the same run
 * (goal: at most 2), with A's pushes/s beside A's alone (goal: at least 0.9). Verdict in the exit code: 0 if no push of
 * either app was lost or duplicated, else 1.
 */
@Command(name = "tenants", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Two apps on one bulk lane. Runs B's post alone, A's post alone, then A's post with B's",
                "--b-after seconds into it, after a warm-up post of A's (not measured). Headline: B's p99 latency during A's fanout / B's p99 alone (goal: at most 2),",
                "and A's pushes/s with B / A's alone (goal: at least 0.9). With the default 1,000,000 devices for A",
                "it takes about 15 minutes on a 2-core machine (seeding, then A's fanout three times)."})
final class TenantsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--devices-a", paramLabel = "N", defaultValue = "1000000", description = "Devices in app A's audience (default: ${DEFAULT-VALUE}).")
    int devicesA;

    @Option(names = "--devices-b", paramLabel = "N", defaultValue = "1000", description = "Devices in app B's audience (default: ${DEFAULT-VALUE}).")
    int devicesB;

    @Option(names = "--b-after", paramLabel = "S", defaultValue = "10", description = "Seconds into A's fanout that B posts (default: ${DEFAULT-VALUE}).")
    int bAfter;

    @Option(names = "--web-share", paramLabel = "PERCENT", defaultValue = "0",
            description = "Share of the devices that are web push subscriptions (default: ${DEFAULT-VALUE}: the lane, not the EC work, is measured).")
    int webShare;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench tenants: app A to %,d devices, app B to %,d devices %d s later%n", devicesA, devicesB, bAfter);
        Instant start = Instant.now();
        try (LocalStack stack = options.startStack()) {
            Instant seedStart = Instant.now();
            List<String> tokensA = FanoutScenario.seed(stack, devicesA, webShare, TenantsScenario.AUTHOR_A, "a-follower-");
            List<String> tokensB = FanoutScenario.seed(stack, devicesB, webShare, TenantsScenario.AUTHOR_B, "b-follower-");
            System.out.println("  waiting for the audiences to be materialised ...");
            stack.awaitStateMaterialised(options.timeout());
            long seedMillis = Duration.between(seedStart, Instant.now()).toMillis();
            Instant deadline = Instant.now().plus(options.timeout());

            // A warm-up (not measured): the first fanout of a fresh JVM runs at half speed while the JIT compiles, which
            // would make whichever run came first look slow.
            System.out.println("  warm-up (app A's post, not measured):");
            TenantsScenario.alone(stack, TenantsScenario.AUTHOR_A, TenantsScenario.APP_A, tokensA, "warm-up", deadline);
            System.out.println("  app B alone:");
            TenantsScenario.Outcome bAlone = TenantsScenario.alone(stack, TenantsScenario.AUTHOR_B, TenantsScenario.APP_B, tokensB,
                    "B's pushes", deadline);
            System.out.println("  app A alone:");
            TenantsScenario.Outcome aAlone = TenantsScenario.alone(stack, TenantsScenario.AUTHOR_A, TenantsScenario.APP_A, tokensA,
                    "A's pushes", deadline);

            System.out.printf("  app A with app B %d s into it:%n", bAfter);
            TenantsScenario.clear(stack);
            Recording recording = new Recording();
            TenantsScenario.Outcome aWith;
            TenantsScenario.Outcome bDuring;
            double[] bWaitBefore = workerWait(stack, TenantsScenario.APP_B);
            LatencyMs bReadable;
            long[] maxima;
            try (Sampler ignored = new Sampler(recording, stack::acceptedCount, stack);
                 TaskProbe probe = new TaskProbe(stack.clientConfig(), TenantsScenario.APP_B, stack.registry())) {
                TenantsScenario.Posted aPost = TenantsScenario.post(stack, TenantsScenario.AUTHOR_A, TenantsScenario.APP_A, tokensA);
                // The scenario's own schedule (B posts this far into A's fanout), not a wait for a condition.
                TimeUnit.SECONDS.sleep(bAfter);
                probe.measureFrom(System.currentTimeMillis());
                TenantsScenario.Posted bPost = TenantsScenario.post(stack, TenantsScenario.AUTHOR_B, TenantsScenario.APP_B, tokensB);
                TenantsScenario.awaitAccepted(stack, (long) devicesA + devicesB, "A's and B's pushes", deadline);
                stack.awaitWorkersCaughtUp(Duration.ofMinutes(2));
                aWith = TenantsScenario.measure(stack, aPost);
                bDuring = TenantsScenario.measure(stack, bPost);
                bReadable = LatencyMs.of(probe.readableMicros());
                maxima = probe.maxima();
            }
            bDuring.latencyMicros().recordedValues().forEach(v -> {
                for (long i = 0; i < v.getCountAtValueIteratedTo(); i++) {
                    recording.recordLatencyMicros(v.getValueIteratedTo());
                }
            });

            double[] bWaitAfter = workerWait(stack, TenantsScenario.APP_B);
            double bDispatched = bWaitAfter[0] - bWaitBefore[0];
            LatencyMs bAloneMs = LatencyMs.of(bAlone.latencyMicros());
            LatencyMs bDuringMs = LatencyMs.of(bDuring.latencyMicros());
            double p99Ratio = bAloneMs == null || bDuringMs == null || bAloneMs.p99() <= 0 ? 0 : bDuringMs.p99() / bAloneMs.p99();
            double aRatio = aAlone.pushesPerSec() <= 0 ? 0 : aWith.pushesPerSec() / aAlone.pushesPerSec();
            boolean bDuringA = bDuring.lastAcceptedAt().isBefore(aWith.lastAcceptedAt());

            Map<String, Object> params = options.params();
            params.put("devicesA", devicesA);
            params.put("devicesB", devicesB);
            params.put("bAfterSeconds", bAfter);
            params.put("webShare", webShare);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("bP99RatioDuringA", round3(p99Ratio));
            figures.put("bP99RatioGoal", 2);
            figures.put("bLatencyAloneMs", latencyFigure(bAloneMs));
            figures.put("bLatencyDuringAMs", latencyFigure(bDuringMs));
            figures.put("bFinishedDuringA", bDuringA);
            // When B's tasks became readable in the bulk topic (the expansion's part), apart from the workers' part.
            figures.put("bTasksReadableAfterPostMs", latencyFigure(bReadable));
            figures.put("maxWorkerReadAhead", maxima[0]);
            figures.put("maxGateBacklog", maxima[1]);
            figures.put("maxGateBound", maxima[2]);
            // From the post's time to the worker's dispatch, on average: how long B's tasks waited for the workers.
            figures.put("bMeanWaitToDispatchMsDuringA", bDispatched <= 0 ? 0 : round((bWaitAfter[1] - bWaitBefore[1]) * 1000 / bDispatched));
            figures.put("aPushesPerSecAlone", round(aAlone.pushesPerSec()));
            figures.put("aPushesPerSecWithB", round(aWith.pushesPerSec()));
            figures.put("aThroughputRatio", round3(aRatio));
            figures.put("aThroughputRatioGoal", 0.9);
            figures.put("aLatencyAloneMs", latencyFigure(LatencyMs.of(aAlone.latencyMicros())));
            figures.put("seedMs", seedMillis);
            figures.put("pushesExpected", 2L * devicesB + 2L * devicesA);
            figures.put("pushesDelivered", bAlone.delivered() + aAlone.delivered() + aWith.delivered() + bDuring.delivered());
            figures.put("unexpected", 0);
            figures.put("note", "throughput, baseline and ratio are app A's with app B against A's alone; latency is B's during A's "
                    + "fanout, from ce_time to the mock's acceptance; the headline is bP99RatioDuringA");
            long lost = bAlone.lost() + aAlone.lost() + aWith.lost() + bDuring.lost();
            long duplicates = bAlone.duplicates() + aAlone.duplicates() + aWith.duplicates() + bDuring.duplicates();
            BenchReport report = new BenchReport("tenants", params, round(aWith.pushesPerSec()), bDuringMs,
                    new Baseline("app-a-alone", round(aAlone.pushesPerSec())), round3(aRatio), lost, duplicates,
                    round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
            finish(options, report, recording);
            System.out.printf("  app B's p99: %s ms during A's fanout vs %s ms alone: ratio %.2f (goal <= 2)%s%n",
                    bDuringMs == null ? "-" : String.format("%.1f", bDuringMs.p99()),
                    bAloneMs == null ? "-" : String.format("%.1f", bAloneMs.p99()), p99Ratio,
                    bDuringA ? "" : " (B finished after A: not during its fanout)");
            System.out.printf("  app A: %,.0f pushes/s with B vs %,.0f/s alone: %.3f (goal >= 0.9)%n", aWith.pushesPerSec(),
                    aAlone.pushesPerSec(), aRatio);
            return lost == 0 && duplicates == 0 ? 0 : 1;
        }
    }

    /** The bulk workers' dispatch count and total wait (seconds) of {@code app}'s tasks so far. */
    private static double[] workerWait(LocalStack stack, String app) {
        double[] wait = new double[2];
        stack.registry().find(io.pushline.workers.WorkerMetrics.APP_WAIT).tag("lane", "bulk").tag("app", app).timers().forEach(t -> {
            wait[0] += t.count();
            wait[1] += t.totalTime(TimeUnit.SECONDS);
        });
        return wait;
    }

        /** The shared options, then the audiences, B's delay and the web share; a bad value is a usage error. */
    void validate() {
        options.validate(spec.commandLine());
        if (devicesA < 100 || devicesA > 20_000_000) {
            throw new ParameterException(spec.commandLine(), "--devices-a must be between 100 and 20000000, was " + devicesA);
        }
        if (devicesB < 10 || devicesB > 1_000_000) {
            throw new ParameterException(spec.commandLine(), "--devices-b must be between 10 and 1000000, was " + devicesB);
        }
        if (bAfter < 0 || bAfter > 3600) {
            throw new ParameterException(spec.commandLine(), "--b-after must be between 0 and 3600, was " + bAfter);
        }
        if (webShare < 0 || webShare > 100) {
            throw new ParameterException(spec.commandLine(), "--web-share must be between 0 and 100, was " + webShare);
        }
    }
}
