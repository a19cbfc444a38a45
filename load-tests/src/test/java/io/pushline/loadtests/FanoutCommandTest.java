package io.pushline.loadtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench fanout}'s options: bad values are usage errors naming the option and the value. Runs nothing. */
class FanoutCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--devices 99|--devices must be between 100 and 20000000, was 99",
            "--devices 20000001|--devices must be between 100 and 20000000, was 20000001",
            "--baseline-pushes 999|--baseline-pushes must be between 1000 and 10000000, was 999",
            "--baseline-pushes 10000001|--baseline-pushes must be between 1000 and 10000000, was 10000001",
            "--partitions 0|--partitions must be between 1 and 1000, was 0",
            "--web-share -1|--web-share must be between 0 and 100, was -1",
            "--web-share 101|--web-share must be between 0 and 100, was 101",
            "--like-rate 10|Unknown options: '--like-rate', '10'"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("fanout", line);
    }

    @Test
    void theDefaultsAreValid() {
        FanoutCommand fanout = BenchCli.parse(FanoutCommand.class, "fanout", "--report", "x");
        assertThat(fanout.devices).isEqualTo(1_000_000);
        assertThat(fanout.baselinePushes).isEqualTo(20_000);
        assertThat(fanout.webShare).isEqualTo(20);
        BenchCli.assertValid(fanout::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--devices 100 --baseline-pushes 1000 --web-share 0",
            "--devices 20000000 --baseline-pushes 10000000 --web-share 100"})
    void theEdgesAreAccepted(String options) {
        FanoutCommand fanout = BenchCli.parse(FanoutCommand.class, ("fanout --report x " + options).split(" "));
        BenchCli.assertValid(fanout::validate);
    }
}
