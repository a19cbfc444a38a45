package io.pushline.loadtests;

import io.pushline.push.FcmProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline bench providers}' options: bad values are usage errors naming the option and the value, and it has
 * no Kafka options. Runs nothing.
 */
class ProvidersCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--pushes 999|--pushes must be between 1000 and 10000000, was 999",
            "--pushes 10000001|--pushes must be between 1000 and 10000000, was 10000001",
            "--fcm-batch-size 0|--fcm-batch-size must be between 1 and 500, was 0",
            "--fcm-batch-size 501|--fcm-batch-size must be between 1 and 500, was 501",
            "--fcm-max-concurrency 63|--fcm-max-concurrency must be between 64 and 100000, was 63",
            "--fcm-max-concurrency 100001|--fcm-max-concurrency must be between 64 and 100000, was 100001",
            "--timeout 0|--timeout must be between 1 and 1440 minutes, was 0",
            "--timeout 1441|--timeout must be between 1 and 1440 minutes, was 1441",
            "--partitions 3|Unknown options: '--partitions', '3'",
            "--bootstrap-servers 127.0.0.1:9092|Unknown options: '--bootstrap-servers', '127.0.0.1:9092'"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("providers", line);
    }

    @Test
    void theDefaultsAreValid() {
        ProvidersCommand providers = BenchCli.parse(ProvidersCommand.class, "providers", "--report", "x");
        assertThat(providers.pushes).isEqualTo(20_000);
        assertThat(providers.timeoutMinutes).isEqualTo(30);
        assertThat(providers.fcmBatchSize).isEqualTo(FcmProvider.DEFAULT_MAX_BATCH_SIZE).isEqualTo(500);
        assertThat(providers.fcmMaxConcurrency).isEqualTo(FcmProvider.DEFAULT_MAX_CONCURRENCY).isEqualTo(1000);
        BenchCli.assertValid(providers::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--pushes 1000 --fcm-batch-size 1 --fcm-max-concurrency 64 --timeout 1",
            "--pushes 10000000 --fcm-batch-size 500 --fcm-max-concurrency 100000 --timeout 1440"})
    void theEdgesAreAccepted(String options) {
        ProvidersCommand providers = BenchCli.parse(ProvidersCommand.class, ("providers --report x " + options).split(" "));
        BenchCli.assertValid(providers::validate);
    }
}
