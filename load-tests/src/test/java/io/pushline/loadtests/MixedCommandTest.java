package io.pushline.loadtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench mixed}'s options: bad values are usage errors naming the option and the value. Runs nothing. */
class MixedCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--devices 99|--devices must be between 100 and 20000000, was 99",
            "--baseline-pushes 10000001|--baseline-pushes must be between 1000 and 10000000, was 10000001",
            "--like-rate 0|--like-rate must be between 1 and 10000, was 0",
            "--like-rate 10001|--like-rate must be between 1 and 10000, was 10001",
            "--like-seconds 0|--like-seconds must be between 1 and 3600, was 0",
            "--like-seconds 3601|--like-seconds must be between 1 and 3600, was 3601",
            "--like-warmup -1|--like-warmup must be between 0 and 600, was -1",
            "--like-warmup 601|--like-warmup must be between 0 and 600, was 601",
            "--timeout 1441|--timeout must be between 1 and 1440 minutes, was 1441"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("mixed", line);
    }

    @Test
    void theDefaultsAreValid() {
        MixedCommand mixed = BenchCli.parse(MixedCommand.class, "mixed", "--report", "x");
        assertThat(mixed.devices).isEqualTo(400_000);
        assertThat(mixed.likeRate).isEqualTo(200);
        assertThat(mixed.likeWarmup).isEqualTo(10);
        assertThat(mixed.likeSeconds).isEqualTo(30);
        assertThat(mixed.baselinePushes).isEqualTo(20_000);
        BenchCli.assertValid(mixed::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--like-rate 1 --like-seconds 1 --like-warmup 0", "--like-rate 10000 --like-seconds 3600 --like-warmup 600"})
    void theEdgesAreAccepted(String options) {
        MixedCommand mixed = BenchCli.parse(MixedCommand.class, ("mixed --report x " + options).split(" "));
        BenchCli.assertValid(mixed::validate);
    }
}
