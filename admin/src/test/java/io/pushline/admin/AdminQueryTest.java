package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.coordinators.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The admin API's query values, refused with the messages {@code pushline dlq} and {@code pushline coordinators} print
 * for the same values (the ones from picocli as it words them), in the order the command line checks them. No broker.
 */
class AdminQueryTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String REASONS = "[NO_HEADERS, NOT_A_CLOUDEVENT, UNKNOWN_TYPE, NOT_UTF8, MALFORMED_JSON, SCHEMA_VIOLATION, "
            + "PAYLOAD_TOO_LARGE, NO_PROVIDER, RETRIES_EXHAUSTED, PROCESSING_FAILED, PARKED_EXPIRED]";
    private static final String NEITHER = "' is neither an ISO-8601 instant (2026-12-01T10:00:00Z) nor a positive duration meaning that "
            + "long ago (90m, 2h, 3d, PT2H)";

    @Test
    void theQueryIsDecodedInOrderAndRefusedWhenMalformed() {
        assertThat(AdminQuery.parse(null)).isEmpty();
        assertThat(AdminQuery.parse("since=2h&reason=NO_HEADERS&dryRun&&note=a+b%26c")).containsExactly(Map.entry("since", "2h"),
                Map.entry("reason", "NO_HEADERS"), Map.entry("dryRun", ""), Map.entry("note", "a b&c"));
        assertThatThrownBy(() -> AdminQuery.parse("since=%ZZ")).hasMessage("the query is not URL-encoded properly");
        assertThatThrownBy(() -> AdminQuery.parse("a=1&a=2")).hasMessage("parameter 'a' given twice");
        assertThatThrownBy(() -> AdminQuery.parse("x%0Ay=1&x%0Ay=2")).hasMessage("parameter 'x?y' given twice");
        assertThatThrownBy(() -> AdminQuery.parse("x=" + "y".repeat(2047))).hasMessage("query longer than 2048 characters");
    }

    @Test
    void listingTakesASinceAndOneReason() {
        AdminRequest.ListDeadLetters all = AdminQuery.listDeadLetters(Map.of(), CLOCK);
        assertThat(all.since()).isNull();
        assertThat(all.reasons()).isNull();
        assertThat(all.timeout()).isEqualTo(Duration.ofMinutes(2));
        AdminRequest.ListDeadLetters some = AdminQuery.listDeadLetters(query("since", "2h", "reason", "MALFORMED_JSON"), CLOCK);
        assertThat(some.since()).isEqualTo(NOW.minus(Duration.ofHours(2)));
        assertThat(some.reasons()).containsExactly(DeadLetterReason.MALFORMED_JSON);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "since=yesterday|--since: 'yesterday" + NEITHER,
            "since=|--since: '" + NEITHER,
            "since=-2h|--since: '-2h" + NEITHER,
            "since=--nope|--since: '--nope" + NEITHER,
            "since=-x|--since: '-x" + NEITHER,
            "since=--kafka-config=/etc/passwd|Expected parameter for option '--since' but found '--kafka-config=/etc/passwd'",
            "since=--timeout|Expected parameter for option '--since' but found '--timeout'",
            "since=--|Expected parameter for option '--since' but found '--'",
            "since=-h|Expected parameter for option '--since' but found '-h'",
            "since=-hV|Expected parameter for option '--since' but found '-hV'",
            "since=-Vx|Expected parameter for option '--since' but found '-Vx'",
            "since=-h=1|Expected parameter for option '--since' but found '-h=1'",
            "since=--reason=X|Expected parameter for option '--since' but found '--reason=X'",
            "since=--dry-run|--since: '--dry-run" + NEITHER,
            "reason=NOPE|Invalid value for option '--reason' (REASON): expected one of " + REASONS + " (case-sensitive) but was 'NOPE'",
            "reason=no_headers|Invalid value for option '--reason' (REASON): expected one of " + REASONS + " (case-sensitive) but was 'no_headers'",
            "reason=--since|Expected parameter for option '--reason' but found '--since'",
            "reason=NOPE&since=nope|Invalid value for option '--reason' (REASON): expected one of " + REASONS + " (case-sensitive) but was 'NOPE'",
            "since=nope&reason=NOPE|Invalid value for option '--reason' (REASON): expected one of " + REASONS + " (case-sensitive) but was 'NOPE'",
            "since=--help&reason=NOPE|Expected parameter for option '--since' but found '--help'",
    })
    void listingRefusesAsTheCommandLineDoes(String raw, String message) {
        assertThatThrownBy(() -> AdminQuery.listDeadLetters(AdminQuery.parse(encode(raw)), CLOCK)).hasMessage(message);
    }

    @Test
    void aReplayNeedsAReasonAndTakesADryRunALimitAndASince() {
        ReplayRequest request = AdminQuery.replay(query("reason", "NO_PROVIDER", "dryRun", "", "limit", "+5", "since",
                "2026-01-05T09:10:00Z"), CLOCK).request();
        assertThat(request).isEqualTo(new ReplayRequest(DeadLetterReason.NO_PROVIDER, Instant.parse("2026-01-05T09:10:00Z"), true, 5L,
                Duration.ofMinutes(2)));
        assertThat(AdminQuery.replay(query("reason", "NO_HEADERS", "dryRun", "TRUE"), CLOCK).request().dryRun()).isTrue();
        assertThat(AdminQuery.replay(query("reason", "NO_HEADERS", "dryRun", "False"), CLOCK).request().dryRun()).isFalse();
        assertThat(AdminQuery.replay(query("reason", "NO_HEADERS"), CLOCK).request().limit()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|Missing required option: '--reason=REASON'",
            "since=nope|Missing required option: '--reason=REASON'",
            "limit=0&since=nope|Missing required option: '--reason=REASON'",
            "reason=NOPE|Invalid value for option '--reason': expected one of " + REASONS + " (case-sensitive) but was 'NOPE'",
            "reason=|Invalid value for option '--reason': expected one of " + REASONS + " (case-sensitive) but was ''",
            "reason=NO_HEADERS&limit=many|Invalid value for option '--limit': 'many' is not a long",
            "reason=NO_HEADERS&limit=|Invalid value for option '--limit': '' is not a long",
            "reason=NO_HEADERS&limit=0x10|Invalid value for option '--limit': '0x10' is not a long",
            "reason=NO_HEADERS&limit= 5|Invalid value for option '--limit': ' 5' is not a long",
            "reason=NO_HEADERS&limit=99999999999999999999|Invalid value for option '--limit': '99999999999999999999' is not a long",
            "reason=NO_HEADERS&limit=0|--limit must be at least 1, was 0",
            "reason=NO_HEADERS&limit=-4|--limit must be at least 1, was -4",
            "reason=NO_HEADERS&dryRun=perhaps|Invalid value for option '--dry-run': 'perhaps' is not a boolean",
            "reason=NO_HEADERS&dryRun=--help|Expected parameter for option '--dry-run' but found '--help'",
            "limit=0&reason=NOPE|Invalid value for option '--reason': expected one of " + REASONS + " (case-sensitive) but was 'NOPE'",
            "limit=x&reason=NOPE|Invalid value for option '--limit': 'x' is not a long",
            "dryRun=x&limit=x|Invalid value for option '--dry-run': 'x' is not a boolean",
            "since=nope&limit=0&reason=NO_HEADERS|--limit must be at least 1, was 0",
            "since=nope&reason=NO_HEADERS|--since: 'nope" + NEITHER,
            "reason=--limit=3|Expected parameter for option '--reason' but found '--limit=3'",
            "reason=NO_HEADERS&since=--dry-run|Expected parameter for option '--since' but found '--dry-run'",
            "reason=NO_HEADERS&limit=--reason|Expected parameter for option '--limit' but found '--reason'",
    })
    void aReplayRefusesAsTheCommandLineDoes(String raw, String message) {
        assertThatThrownBy(() -> AdminQuery.replay(AdminQuery.parse(encode(raw)), CLOCK)).hasMessage(message);
    }

    @Test
    void retryAndDiscardTakeANoteAndAWait() {
        AdminRequest.Act act = AdminQuery.act(CoordinatorAction.DISCARD, "like:e-1:post-1", query("note", "-x", "wait", "0"));
        assertThat(act.command()).isEqualTo(new Admin.Command("discard", "like:e-1:post-1", "-x"));
        assertThat(act.waitFor()).isZero();
        assertThat(act.operation()).isEqualTo("coordinators discard");
        AdminRequest.Act defaults = AdminQuery.act(CoordinatorAction.RETRY, "--help", Map.of());
        assertThat(defaults.command()).isEqualTo(new Admin.Command("retry", "--help", ""));
        assertThat(defaults.waitFor()).isEqualTo(Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "wait=forever|--wait: 'forever' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)",
            "wait=|--wait: '' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)",
            "wait=0s|--wait: '0s' must be a positive duration",
            "wait=11m|--wait must be at most 10m, was 11m",
            "wait=--help|Expected parameter for option '--wait' but found '--help'",
            "note=--wait=1s&wait=0|Expected parameter for option '--note' but found '--wait=1s'",
            "note=-h&wait=0|Expected parameter for option '--note' but found '-h'",
            "note=--&wait=0|Expected parameter for option '--note' but found '--'",
            "wait=0&note=--kafka-config=x|Expected parameter for option '--note' but found '--kafka-config=x'",
            "note=--since&wait=forever|--wait: 'forever' is not a duration (use e.g. 90s, 5m, 1h, 7d or PT5M)",
    })
    void retryRefusesAsTheCommandLineDoes(String raw, String message) {
        assertThatThrownBy(() -> AdminQuery.act(CoordinatorAction.RETRY, "x", AdminQuery.parse(encode(raw)))).hasMessage(message);
    }

    @Test
    void aBlankIdIsRefusedAfterTheWait() {
        assertThatThrownBy(() -> AdminQuery.act(CoordinatorAction.RETRY, " ", Map.of())).hasMessage("id must be 1 to 300 characters");
        assertThatThrownBy(() -> AdminQuery.act(CoordinatorAction.RETRY, " ", query("wait", "x")))
                .hasMessageStartingWith("--wait: ");
    }

    @Test
    void theLogShowsTheCommandLineARequestStandsFor() {
        assertThat(AdminQuery.shown("dlq replay", query("reason", "NO_HEADERS", "dryRun", "", "limit", "2"), null))
                .isEqualTo("dlq replay --format=json --reason=NO_HEADERS --dry-run --limit=2");
        assertThat(AdminQuery.shown("dlq replay", query("dryRun", "false", "reason", "X"), null))
                .isEqualTo("dlq replay --format=json --reason=X");
        assertThat(AdminQuery.shown("dlq replay", query("dryRun", "maybe"), null)).isEqualTo("dlq replay --format=json --dry-run=maybe");
        assertThat(AdminQuery.shown("dlq list", query("since", "a\nb"), null)).isEqualTo("dlq list --format=json --since=a?b");
        assertThat(AdminQuery.shown("coordinators list", Map.of(), null)).isEqualTo("coordinators list --format=json");
        assertThat(AdminQuery.shown("coordinators retry", query("note", "fixed it", "wait", "0"), "like:e-1"))
                .isEqualTo("coordinators retry --note=fixed it --wait=0 -- like:e-1");
    }

    @Test
    void theParametersEachOperationKnows() {
        assertThat(AdminQuery.LIST_PARAMS).isEqualTo(Set.of("since", "reason"));
        assertThat(AdminQuery.REPLAY_PARAMS).isEqualTo(Set.of("since", "reason", "limit", "dryRun"));
        assertThat(AdminQuery.ACT_PARAMS).isEqualTo(Set.of("note", "wait"));
    }

    /** NAME, VALUE, ... in that order. */
    private static Map<String, String> query(String... pairs) {
        Map<String, String> query = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            query.put(pairs[i], pairs[i + 1]);
        }
        return query;
    }

    /** {@code name=value&...} written plainly, URL-encoded per value (so that '=' and '+' in a value stay themselves). */
    private static String encode(String raw) {
        if (raw.isEmpty()) {
            return raw;
        }
        StringBuilder out = new StringBuilder();
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            out.append(out.isEmpty() ? "" : "&").append(pair, 0, eq < 0 ? pair.length() : eq);
            if (eq >= 0) {
                out.append('=').append(java.net.URLEncoder.encode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
