package io.pushline.loadtests;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pushline bench SCENARIO}: one load-test scenario, with its baseline measured in the same run. Each scenario is
 * its own subcommand class, which validates its options, runs and states its verdict; the options every scenario has
 * are {@link BenchOptions}, mixed into each.
 */
@Command(name = "pushline bench", mixinStandardHelpOptions = true,
        description = {"Runs a load-test scenario against a local broker (or --bootstrap-servers) and writes",
                "DIR/report.json and DIR/report.html. Every figure comes with a baseline measured in the same run."},
        subcommands = {LimitsCommand.class, FanoutCommand.class, SlowProviderCommand.class, MixedCommand.class,
                ProvidersCommand.class, LikesCommand.class, IngestCommand.class, HistoryCommand.class, IdleCommand.class, TenantsCommand.class,
                CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a scenario is required: limits, fanout, slow-provider, mixed, providers, likes or ingest");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new BenchCommand())
                // picocli prints either a suggestion ("Did you mean ...") or the usage; a mistyped scenario gets both.
                .setParameterExceptionHandler((error, parsed) -> {
                    CommandLine commandLine = error.getCommandLine();
                    java.io.PrintWriter err = commandLine.getErr();
                    err.println(error.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(error, err);
                    commandLine.usage(err, commandLine.getColorScheme());
                    return commandLine.getCommandSpec().exitCodeOnInvalidInput();
                })
                .setExecutionExceptionHandler((error, commandLine, parsed) -> {
                    commandLine.getErr().println("pushline bench " + commandLine.getCommandName() + ": "
                            + (error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()));
                    return 1;
                })
                .execute(args);
    }
}
