package io.pushline.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad command lines get a usage message naming the problem and exit code 2, before anything starts. */
class CommandLineTest {

    private record Result(int code, String err) {}

    private static Result run(String... args) {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = PushlineCommand.execute(args);
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(originalErr);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "demo --users 1|--users must be at least 2",
            "demo --users 10 --devices 5|--devices must be at least --users",
            "demo --posts 0|--posts must be between 1",
            "demo --partitions 0|--partitions must be between 1 and 1000",
            "demo --kafka-port 70000|--kafka-port must be between 0 and 65535",
            "demo --brokers 0|--brokers must be between 1 and 5, was 0",
            "demo --brokers 6|--brokers must be between 1 and 5, was 6",
            "demo --brokers 3 --kafka-port 65531|--kafka-port 65531 leaves no room for the 6 ports of 3 brokers",
            "demo --timeout soon|'soon' is not a duration",
            "demo --timeout 0s|must be a positive duration",
            "demo --users many|Invalid value for option '--users'",
            "demo --no-such-option|Unknown option: '--no-such-option'",
            "run --role conductor|unknown role 'conductor'",
            "run --partitions 0|--partitions must be between 1 and 10000",
            "run --in-flight 0|--in-flight must be between 1 and 100000",
            "run --replication-factor three|--replication-factor: replication factor must be auto or a number >= 1 but was 'three'",
            "run --replication-factor 0|--replication-factor: replication factor must be auto or a number >= 1 but was 0",
            "run --kafka-config /nonexistent/kafka.properties|--kafka-config: cannot read",
            "run --role workers|the workers role needs a provider",
            "run --role workers --apns-key-file /nonexistent/key.p8|--apns-key-file: cannot read",
            "run --role workers --apns-app bundle=io.x|give key-file, team-id and key-id (token auth) or cert-file",
            "run --role workers --apns-app io.x|'io.x' is not key=value",
            "run --role workers --apns-app bundle=io.x,colour=red|unknown key 'colour'",
            "run --role workers --apns-app bundle=io.x,key-file=/nonexistent.p8,team-id=T,key-id=K|--apns-app io.x key-file: cannot read",
            "run --role workers --apns-app bundle=io.x,key-file=/k.p8|token auth needs key-file, team-id and key-id",
            "run --role workers --apns-app bundle=io.x,cert-file=/nonexistent.p12|--apns-app io.x cert-file: cannot read",
            "run --provider-rate-limit -1|--provider-rate-limit must be >= 0",
            "run --app-rate-limit -5|--app-rate-limit must be >= 0",
            "run --circuit-failure-rate 0|--circuit-failure-rate must be within (0, 100]",
            "run --circuit-failure-rate 101|--circuit-failure-rate must be within (0, 100]",
            "run --circuit-open soon|--circuit-open:",
            "run --circuit-open 0s|must be a positive duration",
            "run --circuit-open 2h|--circuit-open must be between 1s and 1h",
            "run --apns-connections 0|--apns-connections must be between 1 and 64",
            "run --role workers --fcm-service-account-file /nonexistent.json|--fcm-service-account-file: cannot read",
            "run --role workers --webpush-vapid-file /nonexistent.json|--webpush-vapid-file: cannot read",
            "run --expansion-page-size 0|--expansion-page-size must be between 1 and 100000",
            "run --expansion-page-interval never|--expansion-page-interval:",
            "run --expansion-page-interval 2m|--expansion-page-interval must be between 1ms and 1m",
            "run --app-weights big|--app-weights: expected app=weight, got \"big\"",
            "run --timeline-cap 3|--timeline-cap: expected N/DURATION, N/DURATION:drop or N/DURATION:digest (3/1h, 10/1d:digest), got \"3\"",
            "run --timeline-cap 3/1h:later|--timeline-cap: what is over the cap is dropped or merged into a digest (:drop, :digest), got \":later\"",
            "run --timeline-cap 0/1h|--timeline-cap: the cap must be between 1 and 1000 pushes, was 0",
            "run --timeline-cap 3/30s|--timeline-cap: a window is minutes, hours or days (30m, 1h, 1d), got \"30s\"",
            "run --timeline-cap 3/30d|--timeline-cap: the cap's window must be between 1m and 7d, was PT720H",
            "run --app-weights big=0|--app-weights: the weight of app big must be between 1 and 1000, was 0",
            "run --app-weights big=1,big=2|--app-weights: \"big\" is given twice",
            "run --app-weights *=x|--app-weights: the weight of \"*\" is not a whole number: \"x\"",
            "run --role router,,workers|unknown role ''",
            "run --coordinator-commit-interval soon|--coordinator-commit-interval:",
            "run --coordinator-commit-interval 0ms|--coordinator-commit-interval",
            "run --coordinator-commit-interval 1m|--coordinator-commit-interval must be between 1ms and 10s",
            "run --coordinator-parked-retention forever|--coordinator-parked-retention: 'forever' is not a duration",
            "run --coordinator-parked-retention 30s|--coordinator-parked-retention must be between 1m and 365d, was 30s",
            "run --coordinator-parked-retention 400d|--coordinator-parked-retention must be between 1m and 365d, was 400d",
            "run --like-digest soon|--like-digest: 'soon' is not a duration",
            "run --like-digest 500ms|--like-digest must be between 1s and 1h (or off), was 500ms",
            "run --like-digest 2h|--like-digest must be between 1s and 1h (or off), was 2h",
            "run --quiet-hours-pass-through likes|--quiet-hours-pass-through: unknown category 'likes' (categories are like, follow and timeline)",
            "run --quiet-hours-pass-through like,bogus|--quiet-hours-pass-through: unknown category 'bogus'",
            "run --quiet-hours-pass-through LIKE|--quiet-hours-pass-through: unknown category 'LIKE'",
            "run --content-retention 12h|--content-retention must be between 1d and 3650d, was 12h",
            "run --content-retention never|--content-retention: 'never' is not a duration",
            "run --invalidated-token-retention 0d|--invalidated-token-retention: '0d' must be a positive duration",
            "run --invalidated-token-retention 4000d|--invalidated-token-retention must be between 1d and 3650d, was 4000d",
            "coordinators|a subcommand is required: list, retry or discard",
            "coordinators retry|Missing required parameter: 'ID'",
            "coordinators retry x --wait forever|--wait:",
            "coordinators discard x --wait 1h|--wait must be at most 10m",
            "coordinators list --kafka-config /nonexistent/kafka.properties|--kafka-config: cannot read",
            "run --http-address nonsense|--http-address: 'nonsense' is not HOST:PORT",
            "run --http-address 127.0.0.1:70000|port must be between 0 and 65535",
            "run --http-address 127.0.0.1:http|'http' is not a port number",
            "acls --role pipeline|Missing required option: '--principal=User:NAME'",
            "acls --principal User:alice|Missing required option: '--role=ROLE'",
            "acls --principal alice --role admin|--principal must be of the form User:NAME",
            "acls --principal Group:ops --role admin|--principal must be of the form User:NAME",
            "acls --principal User: --role admin|--principal needs a name after User:",
            "acls --principal User:* --role admin|--principal may not be the wildcard User:*",
            "acls --principal User:alice --role root|--role must be pipeline, publisher or admin, was 'root'",
            "acls --principal User:alice --role admin --format yaml|--format must be table or kafka-acls, was 'yaml'",
            "acls --principal User:alice --role admin --apply --format kafka-acls|--format is for printing",
            "acls --principal User:alice --role admin --apply --kafka-config /nonexistent/kafka.properties|--kafka-config: cannot read",
            "frobnicate|Unmatched argument"
    })
    void badInputIsAUsageErrorNamingTheProblem(String line) {
        String[] parts = line.split("\\|");
        Result result = run(parts[0].split(" "));
        assertThat(result.code()).as(parts[0]).isEqualTo(2);
        // picocli prints the usage, or for a near-miss of a command the command it suggests instead
        assertThat(result.err()).as(parts[0]).contains(parts[1]).containsAnyOf("Usage:", "Did you mean:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"15m", "1s", "1h", "off", "0", "PT30M"})
    void aGoodLikeDigestIsTakenAndTheNextOptionIsChecked(String value) {
        // --like-digest is checked before --lag-interval: a refusal naming the latter means the former was taken.
        Result result = run("run", "--like-digest", value, "--lag-interval", "0s");
        assertThat(result.code()).as(value).isEqualTo(2);
        assertThat(result.err()).as(value).contains("--lag-interval: '0s' must be a positive duration")
                .doesNotContain("--like-digest:").doesNotContain("--like-digest must");
    }

    @ParameterizedTest
    @ValueSource(strings = {"like", "follow", "timeline", "like,follow", "follow, like ,timeline", ""})
    void goodPassThroughCategoriesAreTakenAndTheNextOptionIsChecked(String value) {
        // --quiet-hours-pass-through is checked before --lag-interval: a refusal naming the latter means the former was taken.
        Result result = run("run", "--quiet-hours-pass-through", value, "--lag-interval", "0s");
        assertThat(result.code()).as(value).isEqualTo(2);
        assertThat(result.err()).as(value).contains("--lag-interval: '0s' must be a positive duration")
                .doesNotContain("--quiet-hours-pass-through:");
    }

    @Test
    void aBadVapidKeyIsRefusedAtStartNamingTheAppButNotTheKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // A public key whose point is not on the curve, in an otherwise well-formed file.
        String notAPoint = "B" + "A".repeat(85) + "E";
        String secret = "c2VjcmV0LXNjYWxhci1ieXRlcy0wMTIzNDU2Nzg5YWI";
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("vapid.json"),
                "{\"apps\": {\"web.example\": {\"subject\": \"mailto:ops@example.com\", \"publicKey\": \"" + notAPoint
                        + "\", \"privateKey\": \"" + secret + "\"}}}");
        Result result = run("run", "--role", "workers", "--webpush-vapid-file", file.toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("--webpush-vapid-file " + file + ": the VAPID keys of app web.example: the public key is not a P-256 point")
                .doesNotContain(notAPoint).doesNotContain(secret);
    }

    @Test
    void noCommandIsAUsageError() {
        Result result = run();
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("a command is required");
    }

    @Test
    void helpExitsZero() {
        assertThat(run("demo", "--help").code()).isZero();
        assertThat(run("--help").code()).isZero();
    }

    @Test
    void aRuntimeFailureIsOneClearLineAndExitCodeOne() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result result = run("demo", "--kafka-port", Integer.toString(taken.getLocalPort()),
                    "--data-dir", java.nio.file.Files.createTempDirectory("pushline-demo").toString());
            assertThat(result.code()).isEqualTo(1);
            assertThat(result.err()).contains("port " + taken.getLocalPort()).contains("already in use").doesNotContain("\tat ");
        }
    }

    @Test
    void aTakenPortOfALocalClusterNamesThePortsItNeeds() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Result result = run("demo", "--brokers", "3", "--kafka-port", Integer.toString(port),
                    "--data-dir", java.nio.file.Files.createTempDirectory("pushline-demo").toString());
            assertThat(result.code()).isEqualTo(1);
            assertThat(result.err()).contains("port " + port + " on 127.0.0.1 is already in use")
                    .contains("a cluster of 3 nodes from port " + port + " uses ports " + port + " to " + (port + 5))
                    .doesNotContain("\tat ");
        }
    }
}
