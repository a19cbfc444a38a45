package io.pushline.app;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pushline} command. */
@Command(name = "pushline", mixinStandardHelpOptions = true, version = "pushline 0.1.0",
        description = "Event pipeline with back-pressure for async push fanout on Kafka.",
        subcommands = {DemoCommand.class, RunCommand.class, CommandLine.HelpCommand.class})
public final class PushlineCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new PushlineCommand()).execute(args);
    }
}
