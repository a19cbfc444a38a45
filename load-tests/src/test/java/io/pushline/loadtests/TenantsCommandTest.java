package io.pushline.loadtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline bench tenants}'s options: bad values are usage errors naming the option and the value. Runs nothing. */
class TenantsCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "--devices-a 99|--devices-a must be between 100 and 20000000, was 99",
            "--devices-a 20000001|--devices-a must be between 100 and 20000000, was 20000001",
            "--devices-b 9|--devices-b must be between 10 and 1000000, was 9",
            "--devices-b 1000001|--devices-b must be between 10 and 1000000, was 1000001",
            "--b-after -1|--b-after must be between 0 and 3600, was -1",
            "--b-after 3601|--b-after must be between 0 and 3600, was 3601",
            "--web-share 101|--web-share must be between 0 and 100, was 101",
            "--timeout 0|--timeout must be between 1 and 1440 minutes, was 0"
    })
    void badOptionsAreUsageErrors(String line) {
        BenchCli.assertUsageError("tenants", line);
    }

    @Test
    void theDefaultsAreTheIssuesScenario() {
        TenantsCommand tenants = BenchCli.parse(TenantsCommand.class, "tenants", "--report", "x");
        assertThat(tenants.devicesA).isEqualTo(1_000_000);
        assertThat(tenants.devicesB).isEqualTo(1_000);
        assertThat(tenants.bAfter).isEqualTo(10);
        assertThat(tenants.webShare).isZero();
        BenchCli.assertValid(tenants::validate);
    }
}
