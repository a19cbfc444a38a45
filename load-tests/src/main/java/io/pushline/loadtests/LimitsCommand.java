package io.pushline.loadtests;

import io.pushline.localstack.LocalStack;
import io.pushline.loadtests.report.Baseline;
import io.pushline.loadtests.report.BenchReport;
import io.pushline.loadtests.report.Machine;
import io.pushline.loadtests.report.Recording;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import static io.pushline.loadtests.Reports.finish;
import static io.pushline.loadtests.Reports.round;
import static io.pushline.loadtests.Reports.round3;

/**
 * {@code pushline bench limits}: Kafka's produce and consume rates and the bare provider rates on this machine, the
 * ceilings the other scenarios are read against. Exit code 0 once the report is written: the limits have no verdict.
 */
@Command(name = "limits", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The physical limits for Pushline's work on this machine: Kafka produce and consume rates for",
                "push-task-sized records with the pipeline's settings, and the bare provider rates (Pushy straight",
                "to MockApnsServer, the Firebase Admin SDK straight to the fake FCM server)."})
final class LimitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    BenchOptions options;

    @Option(names = "--records", paramLabel = "N", defaultValue = "200000", description = "Records to produce and consume (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--pushes", paramLabel = "N", defaultValue = "20000", description = "Pushes per provider measurement (default: ${DEFAULT-VALUE}).")
    int pushes;

    @Override
    public Integer call() throws Exception {
        validate();
        System.out.printf("pushline bench limits: %,d records, %,d pushes per provider measurement%n", records, pushes);
        Recording recording = new Recording();
        AtomicLong completed = new AtomicLong();
        Instant start = Instant.now();
        try (LocalStack stack = options.startStack();
             Sampler ignored = new Sampler(recording, () -> completed.get() + stack.apns().receivedCount() + stack.fcm().receivedCount(), stack)) {
            LimitsScenario.Result r = LimitsScenario.run(stack, records, pushes, options.partitions, completed, options.timeout());
            Map<String, Object> params = options.params();
            params.put("records", records);
            params.put("pushes", pushes);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("recordBytes", r.recordBytes());
            figures.put("kafkaProduceRecordsPerSec", round(r.produceRecordsPerSec()));
            figures.put("kafkaConsumeRecordsPerSec", round(r.consumeRecordsPerSec()));
            figures.put("bareApnsPushesPerSec", round(r.providers().apnsPerSec()));
            figures.put("bareFcmPushesPerSec", round(r.providers().fcmPerSec()));
            figures.put("bareMixedPushesPerSec", round(r.providers().mixedPerSec()));
            figures.put("bareProviderErrors", r.providers().errors());
            double ratio = r.providers().mixedPerSec() / r.consumeRecordsPerSec();
            figures.put("note", "throughput is the bare mixed provider rate; the baseline is the Kafka consume rate; "
                    + "a ratio below 1 means the providers, not Kafka, set the ceiling");
            BenchReport report = new BenchReport("limits", params, round(r.providers().mixedPerSec()), null,
                    new Baseline("kafka-consume", round(r.consumeRecordsPerSec())), round3(ratio), 0, 0,
                    round(recording.peakHeapAfterGcMb()), Duration.between(start, Instant.now()).toMillis(), Machine.current(), figures);
            finish(options, report, recording);
        }
        return 0;
    }

    /** The shared options, then --records and --pushes; a bad value is a usage error naming the option and the value. */
    void validate() {
        options.validate(spec.commandLine());
        if (records < 1000 || records > 50_000_000) {
            throw new ParameterException(spec.commandLine(), "--records must be between 1000 and 50000000, was " + records);
        }
        if (pushes < 1000 || pushes > 10_000_000) {
            throw new ParameterException(spec.commandLine(), "--pushes must be between 1000 and 10000000, was " + pushes);
        }
    }
}
