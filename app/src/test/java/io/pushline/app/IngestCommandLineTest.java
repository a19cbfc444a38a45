package io.pushline.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.pushline.app.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code pushline run}'s ingest options: usage errors name the option and the field, never a token; no broker needed. */
class IngestCommandLineTest {
    @TempDir
    Path dir;

    @Test
    void theIngestRoleNeedsAnAddressAndTheAddressNeedsPublishers() {
        CliRun.Result noAddress = run("run", "--role", "ingest");
        assertThat(noAddress.code()).isEqualTo(2);
        assertThat(noAddress.err()).contains("--role ingest needs --ingest-address");

        CliRun.Result badAddress = run("run", "--ingest-address", "nowhere");
        assertThat(badAddress.code()).isEqualTo(2);
        assertThat(badAddress.err()).contains("--ingest-address:");

        CliRun.Result noPublishers = run("run", "--role", "ingest", "--ingest-address", "127.0.0.1:0");
        assertThat(noPublishers.code()).isEqualTo(2);
        assertThat(noPublishers.err()).contains("the ingest needs its publishers").contains("PUSHLINE_INGEST_PUBLISHERS_JSON");
    }

    @Test
    void aBadPublishersFileIsAUsageErrorNamingTheFieldButNotTheToken() throws Exception {
        String token = "a-token-nobody-may-see-0123456789";
        Path file = Files.writeString(dir.resolve("publishers.json"),
                "{\"publishers\":[{\"name\":\"likes\",\"token\":\"" + token + "\",\"types\":[\"io.pushline.push.receipt.v1\"]}]}");
        CliRun.Result result = run("run", "--role", "ingest", "--ingest-address", "127.0.0.1:0", "--ingest-publishers", file.toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("publishers[0] (likes).types[0]").doesNotContain(token);
        assertThat(result.out()).doesNotContain(token);

        CliRun.Result missing = run("run", "--role", "ingest", "--ingest-address", "127.0.0.1:0", "--ingest-publishers",
                dir.resolve("nope.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read it");
    }
}
