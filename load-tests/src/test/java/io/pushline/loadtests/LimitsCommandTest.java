package io.pushline.loadtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench limits}' options: bad values are usage errors naming the option and the value. Runs nothing. */
class LimitsCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--records 999|--records must be between 1000 and 50000000, was 999",
            "--records 50000001|--records must be between 1000 and 50000000, was 50000001",
            "--pushes 999|--pushes must be between 1000 and 10000000, was 999",
            "--pushes 10000001|--pushes must be between 1000 and 10000000, was 10000001",
            "--records many|Invalid value for option '--records'",
            "--partitions 1001|--partitions must be between 1 and 1000, was 1001",
            "--in-flight 100001|--in-flight must be between 1 and 100000, was 100001",
            "--timeout 1441|--timeout must be between 1 and 1440 minutes, was 1441",
            "--bootstrap-servers=|--bootstrap-servers must not be blank"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("limits", line);
    }

    @Test
    void theReportDirectoryIsRequired() {
        BenchCommandTest.Result result = BenchCommandTest.run("limits");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("Missing required option: '--report=DIR'");
    }

    @Test
    void theDefaultsAreValid() {
        LimitsCommand limits = BenchCli.parse(LimitsCommand.class, "limits", "--report", "x");
        assertThat(limits.records).isEqualTo(200_000);
        assertThat(limits.pushes).isEqualTo(20_000);
        assertThat(limits.options.partitions).isEqualTo(6);
        assertThat(limits.options.inFlight).isEqualTo(512);
        assertThat(limits.options.timeoutMinutes).isEqualTo(30);
        assertThat(limits.options.dataDir).isEqualTo(Path.of(".pushline/bench"));
        assertThat(limits.options.bootstrapServers).isNull();
        BenchCli.assertValid(limits::validate);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--records 1000 --pushes 1000 --partitions 1 --in-flight 1 --timeout 1",
            "--records 50000000 --pushes 10000000 --partitions 1000 --in-flight 100000 --timeout 1440"})
    void theEdgesAreAccepted(String options) {
        LimitsCommand limits = BenchCli.parse(LimitsCommand.class, ("limits --report x " + options).split(" "));
        BenchCli.assertValid(limits::validate);
    }
}
