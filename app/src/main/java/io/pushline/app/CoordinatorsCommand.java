package io.pushline.app;

import io.pushline.admin.ActOutcome;
import io.pushline.admin.AdminArguments;
import io.pushline.admin.CoordinatorAction;
import io.pushline.admin.ParkedCoordinators;
import io.pushline.admin.ParkedList;
import io.pushline.coordinators.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pushline coordinators}: lists the parked coordinators, and retries or discards one, through
 * {@link ParkedCoordinators} (which says how); this class parses the options and prints the results.
 */
@Command(name = "coordinators", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists parked coordinators, and retries or discards one.",
        subcommands = {CoordinatorsCommand.ListParked.class, CoordinatorsCommand.Retry.class, CoordinatorsCommand.Discard.class})
final class CoordinatorsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list, retry or discard");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the parked coordinators.")
    static final class ListParked implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClusterOptions cluster;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        OutputFormat format;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> clients = cluster.clients(spec);
            return KafkaFailures.guarded(spec, "coordinators list", clients, ParkedCoordinators.READ_TIMEOUT_TEXT,
                    ParkedCoordinators.NEEDS_LIST, () -> print(new ParkedCoordinators(clients, Clock.systemUTC()).list()));
        }

        private int print(ParkedList list) {
            PrintWriter out = spec.commandLine().getOut();
            if (format == OutputFormat.json) {
                OutputFormat.printJson(out, list.toJson());
                return 0;
            }
            if (list.parked().isEmpty()) {
                out.println("no parked coordinators");
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "FLOW", "RECIPIENT", "STEP", "PARKED AT", "FAILURES", "REASON"});
            for (Admin.Parked p : list.parked()) {
                rows.add(new String[] {p.id(), p.flow(), p.recipient(), p.state(), p.parkedAt().toString(),
                        Integer.toString(p.failures()), p.reason()});
            }
            TextTable.print(out, rows, rows.get(0).length);
            out.printf("%d parked; retry one with `pushline coordinators retry ID`, or drop it with `pushline coordinators discard ID`%n",
                    list.parked().size());
            return 0;
        }
    }

    /** What retry and discard share. */
    abstract static class Act implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ClusterOptions cluster;

        @Parameters(index = "0", paramLabel = "ID", description = "The coordinator's id, as `pushline coordinators list` shows it.")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", defaultValue = "", description = "Why; journaled with the transition.")
        String note;

        @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s",
                description = "How long to wait for the coordinator to leave the parked list (default: ${DEFAULT-VALUE}; 0 does not wait).")
        String wait;

        abstract CoordinatorAction action();

        @Override
        public Integer call() throws Exception {
            Duration waitFor;
            Admin.Command command;
            try {
                waitFor = AdminArguments.waitFor(wait);
                command = ParkedCoordinators.command(action(), id, note);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, Object> clients = cluster.clients(spec);
            PrintWriter out = spec.commandLine().getOut();
            return KafkaFailures.guarded(spec, "coordinators " + action().label(), clients, ParkedCoordinators.READ_TIMEOUT_TEXT,
                    ParkedCoordinators.NEEDS_ACT, () -> {
                        // Each line as soon as it is known: "sent" before the wait, "no longer parked" after it.
                        ActOutcome outcome = new ParkedCoordinators(clients, Clock.systemUTC()).act(command, waitFor, out::println);
                        outcome.error().ifPresent(spec.commandLine().getErr()::println);
                        return outcome.succeeded() ? 0 : 1;
                    });
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Runs a parked coordinator's step again, with a fresh failure budget.")
    static final class Retry extends Act {
        @Override
        CoordinatorAction action() {
            return CoordinatorAction.RETRY;
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true, description = "Gives up on a parked coordinator (it is journaled as DISCARDED).")
    static final class Discard extends Act {
        @Override
        CoordinatorAction action() {
            return CoordinatorAction.DISCARD;
        }
    }
}
