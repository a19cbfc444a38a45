package io.pushline.loadtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench slow-provider}'s options: bad values are usage errors naming the option and the value. Runs nothing. */
class SlowProviderCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--devices 99|--devices must be between 100 and 20000000, was 99",
            "--baseline-pushes 999|--baseline-pushes must be between 1000 and 10000000, was 999",
            "--slow-minutes -1|--slow-minutes must be from 0 to less than --timeout (30), was -1",
            "--slow-minutes 30|--slow-minutes must be from 0 to less than --timeout (30), was 30",
            "--timeout 5 --slow-minutes 5|--slow-minutes must be from 0 to less than --timeout (5), was 5",
            "--in-flight 0|--in-flight must be between 1 and 100000, was 0",
            "--timeout 0 --slow-minutes 0|--timeout must be between 1 and 1440 minutes, was 0"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("slow-provider", line);
    }

    @Test
    void theDefaultsAreValid() {
        SlowProviderCommand slow = BenchCli.parse(SlowProviderCommand.class, "slow-provider", "--report", "x");
        assertThat(slow.devices).isEqualTo(30_000);
        assertThat(slow.baselinePushes).isEqualTo(20_000);
        assertThat(slow.slowMinutes).isZero();
        BenchCli.assertValid(slow::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--devices 100 --baseline-pushes 1000 --slow-minutes 0 --timeout 1",
            "--devices 20000000 --baseline-pushes 10000000 --slow-minutes 29"})
    void theEdgesAreAccepted(String options) {
        SlowProviderCommand slow = BenchCli.parse(SlowProviderCommand.class, ("slow-provider --report x " + options).split(" "));
        BenchCli.assertValid(slow::validate);
    }
}
