package io.pushline.app;

import io.pushline.ingest.Publishers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.pushline.app.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pushline run}'s admin API options: the API needs its admins and an address of its own, and an admin token is
 * never a publisher's; usage errors name the option and the entry, never a token. No broker needed: all of it is
 * checked before anything connects.
 */
class AdminCommandLineTest {
    private static final String TOKEN = "shared-token-nobody-may-see-0123";

    @TempDir
    Path dir;

    @Test
    void theAdminApiNeedsAnAddressAndAdmins() throws Exception {
        CliRun.Result noAddress = run("run", "--role", "admin");
        assertThat(noAddress.code()).isEqualTo(2);
        assertThat(noAddress.err()).contains("--role admin needs --admin-address");

        CliRun.Result badAddress = run("run", "--admin-address", "127.0.0.1:http");
        assertThat(badAddress.code()).isEqualTo(2);
        assertThat(badAddress.err()).contains("--admin-address: 'http' is not a port number");

        CliRun.Result noAdmins = run("run", "--role", "admin", "--admin-address", "127.0.0.1:0");
        assertThat(noAdmins.code()).isEqualTo(2);
        assertThat(noAdmins.err()).contains("the admin API needs its admins").contains("PUSHLINE_ADMIN_TOKENS_JSON");

        Path admins = Files.writeString(dir.resolve("admins.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + TOKEN + "\"}]}");
        CliRun.Result tokensWithoutApi = run("run", "--admin-tokens", admins.toString());
        assertThat(tokensWithoutApi.code()).isEqualTo(2);
        assertThat(tokensWithoutApi.err()).contains("--admin-tokens is given but the admin API is off");

        CliRun.Result unknownRole = run("run", "--role", "admin,ingest,routers", "--admin-address", "127.0.0.1:0");
        assertThat(unknownRole.code()).isEqualTo(2);
        assertThat(unknownRole.err()).contains("--role: unknown role 'routers'");
    }

    @Test
    void theAdminApiGetsAnAddressOfItsOwn() throws Exception {
        Path admins = Files.writeString(dir.resolve("admins.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + TOKEN + "\"}]}");
        CliRun.Result sameAsMetrics = run("run", "--admin-address", "127.0.0.1:9400", "--http-address", "127.0.0.1:9400",
                "--admin-tokens", admins.toString());
        assertThat(sameAsMetrics.code()).isEqualTo(2);
        assertThat(sameAsMetrics.err()).contains("--admin-address must differ from --http-address");

        Path publishers = Files.writeString(dir.resolve("publishers.json"),
                "{\"publishers\":[{\"name\":\"likes\",\"token\":\"another-token-0123456789abcdef\",\"types\":[\"*\"]}]}");
        CliRun.Result sameAsIngest = run("run", "--admin-address", "0.0.0.0:9500", "--ingest-address", "127.0.0.1:9500",
                "--admin-tokens", admins.toString(), "--ingest-publishers", publishers.toString());
        assertThat(sameAsIngest.code()).isEqualTo(2);
        assertThat(sameAsIngest.err()).contains("--admin-address must differ from --ingest-address");
    }

    @Test
    void anAdminTokenIsNeverAPublishersOrPrinted() throws Exception {
        Path admins = Files.writeString(dir.resolve("admins.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + TOKEN + "\"}]}");
        Path publishers = Files.writeString(dir.resolve("publishers.json"), "{\"publishers\":[{\"name\":\"likes\",\"tokenSha256\":\""
                + java.util.HexFormat.of().formatHex(io.pushline.credentials.BearerTokens.sha256(TOKEN)) + "\",\"types\":[\"*\"]}]}");
        CliRun.Result shared = run("run", "--role", "ingest,admin", "--admin-address", "127.0.0.1:0", "--ingest-address", "127.0.0.1:0",
                "--admin-tokens", admins.toString(), "--ingest-publishers", publishers.toString());
        assertThat(shared.code()).isEqualTo(2);
        assertThat(shared.err()).contains("admin 'oncall' has the same token as a publisher").doesNotContain(TOKEN);

        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + TOKEN + "\"},"
                + "{\"name\":\"other\",\"token\":\"" + TOKEN + "\"}]}");
        CliRun.Result duplicate = run("run", "--role", "admin", "--admin-address", "127.0.0.1:0", "--admin-tokens", bad.toString());
        assertThat(duplicate.code()).isEqualTo(2);
        assertThat(duplicate.err()).contains("admins[1] (other): has the same token as 'oncall'").doesNotContain(TOKEN);
        assertThat(duplicate.out()).doesNotContain(TOKEN);

        Path shortToken = Files.writeString(dir.resolve("short.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"abc\"}]}");
        CliRun.Result weak = run("run", "--role", "admin", "--admin-address", "127.0.0.1:0", "--admin-tokens", shortToken.toString());
        assertThat(weak.code()).isEqualTo(2);
        assertThat(weak.err()).contains("admins[0] (oncall).token: must be a string of at least 16 characters");

        Path withTypes = Files.writeString(dir.resolve("types.json"), "{\"admins\":[{\"name\":\"oncall\",\"token\":\"" + TOKEN
                + "\",\"types\":[\"*\"]}]}");
        CliRun.Result unknownField = run("run", "--role", "admin", "--admin-address", "127.0.0.1:0", "--admin-tokens", withTypes.toString());
        assertThat(unknownField.code()).isEqualTo(2);
        assertThat(unknownField.err()).contains("unknown field \"types\"").doesNotContain(TOKEN);
    }
}
