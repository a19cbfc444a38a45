package io.pushline.app;

import io.pushline.admin.AdminArguments;
import io.pushline.admin.AdminText;
import io.pushline.admin.DeadLetterScan;
import io.pushline.admin.DeadLetterService;
import io.pushline.admin.DeadLetterSummary;
import io.pushline.admin.ReplayReport;
import io.pushline.admin.ReplayRequest;
import io.pushline.contracts.DeadLetterReason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code pushline dlq}: lists the dead letters of {@code pushline.dead-letters} by reason, and replays those of one
 * reason to the topic they came from once their cause is fixed, through {@link DeadLetterService} (which says what a
 * replay writes and why replaying is safe, twice too); this class parses the options and prints the results.
 *
 * <p><b>Access.</b> Both subcommands use the Kafka client's own credentials ({@code --kafka-config} with SASL or TLS
 * settings): the dead letters hold original payloads and replay writes to Pushline's inputs, so give the principal
 * of that file Read on {@code pushline.dead-letters} and Write on the topics replayed to, and nobody else.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Lists dead letters by reason, and replays those of one reason after a fix."},
        footer = {"", DlqCommand.ADMIN_NOTE},
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Replay.class})
final class DlqCommand implements Runnable {
    static final String ADMIN_NOTE = "Admin operation: dead letters hold original payloads, and replay writes to Pushline's input topics. "
            + "Both run with the Kafka client's own credentials: give an admin principal's SASL (or TLS) settings in "
            + "--kafka-config FILE (security.protocol, sasl.mechanism, sasl.jaas.config, ...), as for `pushline run`, and "
            + "grant that principal Read on pushline.dead-letters and Write on pushline.events and the push lanes "
            + "(`pushline acls --principal User:NAME --role admin` prints these ACLs; --apply creates them).";
    private static final int DETAIL_COLUMN_CHARS = 100;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list or replay");
    }

    /** Where and as whom, and for how long. */
    static final class Access {
        /** Its --kafka-config is the admin credential: Read on pushline.dead-letters, and for replay Write on the topics replayed to. */
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
                description = "Give up after this long, reading and writing included (90s, 5m, PT5M; default: ${DEFAULT-VALUE}).")
        String timeout;

        Map<String, Object> clients(CommandSpec spec) {
            return cluster.clients(spec);
        }

        Duration timeout(CommandSpec spec) {
            return parsed(spec, () -> AdminArguments.timeout(timeout));
        }
    }

    /** A value parsed by {@link AdminArguments}, whose message becomes a usage error. */
    private static <T> T parsed(CommandSpec spec, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Runs {@code body}, turning the expected failures into one line on stderr and exit code 1. */
    static int guarded(CommandSpec spec, Map<String, Object> clients, String timeout, Callable<Integer> body) throws Exception {
        String name = "dlq " + spec.name();
        return KafkaFailures.guarded(spec, name, clients, timeout, DeadLetterService.NEEDS, () -> {
            try {
                return body.call();
            } catch (DeadLetterScan.DlqException e) {
                spec.commandLine().getErr().println(name + ": " + e.getMessage());
                return 1;
            }
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Dead letters by reason: how many, from which topics, first and last dead-lettered, and the latest "
                    + "detail (never a payload). Reads pushline.dead-letters up to its end as of the start; never waits for more."},
            footer = {"", ADMIN_NOTE})
    static final class ListDeadLetters implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Access access;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only those dead-lettered at or after TIME: an ISO-8601 instant, or a duration meaning that long ago (2h, 3d).")
        String since;

        @Option(names = "--reason", paramLabel = "REASON", description = "Only this reason (repeatable): ${COMPLETION-CANDIDATES}.")
        List<DeadLetterReason> reasons;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        OutputFormat format;

        Clock clock = Clock.systemUTC();

        @Override
        public Integer call() throws Exception {
            Instant from = parsed(spec, () -> AdminArguments.since(since, clock));
            Duration timeout = access.timeout(spec);
            Map<String, Object> clients = access.clients(spec);
            return guarded(spec, clients, access.timeout, () -> {
                print(new DeadLetterService(clients, clock).list(from, reasons == null ? null : EnumSet.copyOf(reasons), timeout));
                return 0;
            });
        }

        private void print(DeadLetterSummary summary) {
            PrintWriter out = spec.commandLine().getOut();
            if (format == OutputFormat.json) {
                OutputFormat.printJson(out, summary.toJson());
                return;
            }
            Instant from = summary.since();
            String scope = (from == null ? "" : " since " + from.truncatedTo(ChronoUnit.SECONDS))
                    + (reasons == null ? "" : " with reason " + String.join(", ", reasons.stream().map(Enum::name).toList()));
            List<DeadLetterSummary.Reason> rows = summary.reasons();
            if (rows.isEmpty()) {
                out.println("no dead letters" + scope);
                return;
            }
            int countWidth = rows.stream().mapToInt(r -> Long.toString(r.count()).length()).max().orElse(1);
            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"REASON", "COUNT", "SOURCE TOPICS", "FIRST", "LAST", "EXAMPLE DETAIL"});
            for (DeadLetterSummary.Reason r : rows) {
                table.add(new String[] {r.reason(), String.format("%" + Math.max(countWidth, 5) + "d", r.count()), sourcesText(r),
                        r.first().truncatedTo(ChronoUnit.SECONDS).toString(), r.last().truncatedTo(ChronoUnit.SECONDS).toString(),
                        AdminText.oneLine(r.latestDetail(), DETAIL_COLUMN_CHARS)});
            }
            TextTable.print(out, table, table.get(0).length);
            long total = summary.deadLetters();
            out.printf("%d dead letter%s%s; once a cause is fixed: pushline dlq replay --reason REASON [--since TIME] [--dry-run]%n",
                    total, total == 1 ? "" : "s", scope);
        }

        /** The one source topic, or each with its count. */
        private static String sourcesText(DeadLetterSummary.Reason r) {
            if (r.sourceTopics().size() == 1) {
                return r.sourceTopics().firstKey();
            }
            List<String> parts = new ArrayList<>();
            r.sourceTopics().forEach((topic, n) -> parts.add(topic + " (" + n + ")"));
            return String.join(", ", parts);
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Re-publishes the dead letters of one reason to the topic they came from (pushline.events, or a push "
                    + "lane; a lane's retry topic goes back to the lane), with their original key, value and headers, without "
                    + "the pushline.dlq.* headers, plus pushline.replayed.from. Ids are kept, so an event or push that was in fact "
                    + "processed is skipped by the coordinators or by its receipt rather than delivered twice; replaying "
                    + "twice re-drives twice, safely. Dead letters from other topics, or without a source topic, are skipped and counted."},
            footer = {"", ADMIN_NOTE})
    static final class Replay implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Access access;

        @Option(names = "--reason", paramLabel = "REASON", required = true,
                description = "The reason whose dead letters to replay: ${COMPLETION-CANDIDATES}.")
        DeadLetterReason reason;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only those dead-lettered at or after TIME: an ISO-8601 instant, or a duration meaning that long ago (2h, 3d).")
        String since;

        @Option(names = "--dry-run", description = "Show what would be replayed; write nothing.")
        boolean dryRun;

        @Option(names = "--limit", paramLabel = "N", description = "Replay at most N dead letters (the oldest first in each partition).")
        Long limit;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        OutputFormat format;

        Clock clock = Clock.systemUTC();

        @Override
        public Integer call() throws Exception {
            parsed(spec, () -> AdminArguments.limit(limit));
            Instant from = parsed(spec, () -> AdminArguments.since(since, clock));
            Duration timeout = access.timeout(spec);
            Map<String, Object> clients = access.clients(spec);
            ReplayRequest request = new ReplayRequest(reason, from, dryRun, limit, timeout);
            return guarded(spec, clients, access.timeout, () -> {
                ReplayReport report = new DeadLetterService(clients, clock).replay(request);
                PrintWriter out = spec.commandLine().getOut();
                if (report.matched() == 0 && format == OutputFormat.table) {
                    out.println("no dead letters with reason " + reason + (from == null ? "" : " since " + from.truncatedTo(ChronoUnit.SECONDS)));
                    return 0;
                }
                print(out, report);
                report.failureLine().ifPresent(spec.commandLine().getErr()::println);
                return report.writeFailure().isPresent() ? 1 : 0;
            });
        }

        private void print(PrintWriter out, ReplayReport report) {
            if (format == OutputFormat.json) {
                OutputFormat.printJson(out, report.toJson());
                return;
            }
            if (!report.routes().isEmpty()) {
                List<String[]> table = new ArrayList<>();
                table.add(new String[] {"SOURCE TOPIC", "REPLAYED TO", dryRun ? "WOULD REPLAY" : "REPLAYED"});
                report.routes().forEach(r -> table.add(new String[] {r.sourceTopic(), r.replayedTo(), Long.toString(r.count())}));
                TextTable.print(out, table, 2);
            }
            long total = report.replayed();
            StringBuilder line = new StringBuilder(dryRun ? "dry run, nothing written: would replay " : "replayed ")
                    .append(total).append(" dead letter").append(total == 1 ? "" : "s").append(" with reason ").append(reason);
            if (report.since() != null) {
                line.append(" dead-lettered since ").append(report.since().truncatedTo(ChronoUnit.SECONDS));
            }
            if (report.limitReached()) {
                line.append(" (--limit ").append(limit).append(" reached)");
            }
            out.println(line);
            List<String> skipped = report.skippedWhy();
            if (!skipped.isEmpty()) {
                out.println("skipped " + report.skipped() + ": " + String.join("; ", skipped));
            }
            report.notes().forEach(note -> out.println("note: " + note));
        }
    }
}
