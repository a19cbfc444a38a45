package io.pushline.admin;

import io.pushline.contracts.DeadLetterReason;
import io.pushline.coordinators.Admin;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one JSON shape of each result, as {@code --format json} prints it and the admin API answers it: field names, order
 * and values pinned as text. No broker.
 */
class ResultJsonTest {
    private static final Instant AT = Instant.parse("2026-01-05T08:00:00.250Z");

    @Test
    void deadLettersByReason() {
        DeadLetterSummary summary = new DeadLetterSummary(3, AT, List.of(
                new DeadLetterSummary.Reason("SCHEMA_VIOLATION", 2, new TreeMap<>(Map.of("pushline.events", 1L, "(none)", 1L)), AT,
                        AT.plusSeconds(60), "title: bad\nline two"),
                new DeadLetterSummary.Reason("(none)", 1, new TreeMap<>(Map.of("pushline.events", 1L)), AT, AT, null)));
        assertThat(AdminText.indentedJson(summary.toJson())).isEqualTo("""
                {
                  "deadLetters" : 3,
                  "since" : "2026-01-05T08:00:00.250Z",
                  "reasons" : [ {
                    "reason" : "SCHEMA_VIOLATION",
                    "count" : 2,
                    "sourceTopics" : {
                      "(none)" : 1,
                      "pushline.events" : 1
                    },
                    "first" : "2026-01-05T08:00:00.250Z",
                    "last" : "2026-01-05T08:01:00.250Z",
                    "exampleDetail" : "title: bad?line two"
                  }, {
                    "reason" : "(none)",
                    "count" : 1,
                    "sourceTopics" : {
                      "pushline.events" : 1
                    },
                    "first" : "2026-01-05T08:00:00.250Z",
                    "last" : "2026-01-05T08:00:00.250Z",
                    "exampleDetail" : ""
                  } ]
                }""");
        assertThat(AdminText.indentedJson(new DeadLetterSummary(0, null, List.of()).toJson()))
                .isEqualTo("{\n  \"deadLetters\" : 0,\n  \"since\" : null,\n  \"reasons\" : [ ]\n}");
    }

    @Test
    void aReplayItsRoutesSkipsAndNotes() {
        ReplayReport report = new ReplayReport(DeadLetterReason.RETRIES_EXHAUSTED, null, false, 5L, 5,
                List.of(new ReplayReport.Route("pushline.push.bulk", "pushline.push.bulk", 1),
                        new ReplayReport.Route("pushline.push.bulk.retry-5s", "pushline.push.bulk", 2)),
                false, 1, new TreeMap<>(Map.of("pushline.router.device-events", 1L)), List.of("a note"), Optional.empty());
        assertThat(report.replayed()).isEqualTo(3);
        assertThat(report.skipped()).isEqualTo(2);
        assertThat(report.failureLine()).isEmpty();
        assertThat(AdminText.indentedJson(report.toJson())).isEqualTo("""
                {
                  "reason" : "RETRIES_EXHAUSTED",
                  "since" : null,
                  "dryRun" : false,
                  "replayed" : 3,
                  "routes" : [ {
                    "sourceTopic" : "pushline.push.bulk",
                    "replayedTo" : "pushline.push.bulk",
                    "count" : 1
                  }, {
                    "sourceTopic" : "pushline.push.bulk.retry-5s",
                    "replayedTo" : "pushline.push.bulk",
                    "count" : 2
                  } ],
                  "limitReached" : false,
                  "skipped" : 2,
                  "skippedWhy" : [ "1 without a source topic", "1 from pushline.router.device-events, which replay does not write" ],
                  "notes" : [ "a note" ]
                }""");
    }

    @Test
    void aDryRunSaysWouldReplayAndAFailedWriteIsData() {
        ReplayReport dry = new ReplayReport(DeadLetterReason.NO_HEADERS, AT, true, 1L, 4, List.of(), true, 0, new TreeMap<>(), List.of(),
                Optional.empty());
        assertThat(dry.toJson()).containsEntry("wouldReplay", 0L).doesNotContainKey("replayed").containsEntry("limitReached", true)
                .containsEntry("since", "2026-01-05T08:00:00.250Z");
        ReplayReport failed = new ReplayReport(DeadLetterReason.NO_HEADERS, null, false, null, 1,
                List.of(new ReplayReport.Route("pushline.events", "pushline.events", 0)), false, 0, new TreeMap<>(), List.of(),
                Optional.of("Broker: not enough replicas"));
        assertThat(failed.failureLine()).hasValue("dlq replay: a write failed (Broker: not enough replicas); the ones counted above "
                + "were written, and replaying them again is safe");
    }

    @Test
    void parkedCoordinatorsAndWhatRetryingOneDid() {
        Admin.Parked parked = new Admin.Parked("like:e-1:post-1", "like", "user-1", "NOTIFYING", "inbox down", AT, 3,
                Map.of("postId", "post-1"));
        assertThat(AdminText.indentedJson(new ParkedList(List.of(parked)).toJson())).isEqualTo("""
                {
                  "parked" : [ {
                    "id" : "like:e-1:post-1",
                    "flow" : "like",
                    "recipient" : "user-1",
                    "step" : "NOTIFYING",
                    "parkedAt" : "2026-01-05T08:00:00.250Z",
                    "failures" : 3,
                    "reason" : "inbox down"
                  } ]
                }""");
        assertThat(AdminText.indentedJson(new ParkedList(List.of()).toJson())).isEqualTo("{\n  \"parked\" : [ ]\n}");

        String sent = "sent retry for like:e-1:post-1 (like for user-1, parked in NOTIFYING)";
        ActOutcome justSent = new ActOutcome.Sent(CoordinatorAction.RETRY, "like:e-1:post-1", parked);
        assertThat(justSent.succeeded()).isTrue();
        assertThat(new String(AdminText.compactJson(justSent.toJson()), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"output\":\"" + sent + "\"}");
        ActOutcome left = new ActOutcome.Left(CoordinatorAction.DISCARD, "like:e-1:post-1", parked);
        assertThat(left.output()).containsExactly(sent.replace("sent retry", "sent discard"), "discarded: like:e-1:post-1 is no longer parked");
        assertThat(left.toJson()).containsEntry("output", sent.replace("sent retry", "sent discard") + System.lineSeparator()
                + "discarded: like:e-1:post-1 is no longer parked");
        ActOutcome still = new ActOutcome.StillParked(CoordinatorAction.RETRY, "like:e-1:post-1", parked, Duration.ofSeconds(30));
        assertThat(still.succeeded()).isFalse();
        assertThat(still.output()).containsExactly(sent);
        assertThat(still.error()).hasValue("coordinators retry: like:e-1:post-1 is still parked after PT30S (are the coordinators "
                + "running? if the step failed again it was parked again: see `pushline coordinators list`)");
        ActOutcome notParked = new ActOutcome.NotParked(CoordinatorAction.DISCARD, "like:nope");
        assertThat(notParked.output()).isEmpty();
        assertThat(notParked.error()).hasValue("coordinators discard: like:nope is not parked (`pushline coordinators list` shows the parked ones)");
    }

    @Test
    void oneLineCellsAreBoundedAndPrintable() {
        assertThat(AdminText.oneLine(null, 5)).isEqualTo("-");
        assertThat(AdminText.oneLine("", 5)).isEqualTo("-");
        assertThat(AdminText.oneLine("a\tb\nc", 5)).isEqualTo("a?b?c");
        assertThat(AdminText.oneLine("abcdef", 5)).isEqualTo("abcde…");
    }
}
