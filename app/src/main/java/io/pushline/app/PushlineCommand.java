package io.pushline.app;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pushline} command. */
@Command(name = "pushline", mixinStandardHelpOptions = true, version = "pushline 0.1.0",
        description = "Event pipeline with back-pressure for async push fanout on Kafka.",
        subcommands = {DemoCommand.class, RunCommand.class, CoordinatorsCommand.class, LagCommand.class, DlqCommand.class, ExplainCommand.class, AclsCommand.class, CommandLine.HelpCommand.class})
public final class PushlineCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        // Read by logback.xml when logging starts; a wrong value there would silently log nothing.
        String logFormat = System.getenv("PUSHLINE_LOG_FORMAT");
        if (logFormat != null && !logFormat.equals("text") && !logFormat.equals("json")) {
            System.err.println("pushline: PUSHLINE_LOG_FORMAT must be text or json, was '" + logFormat + "'");
            System.exit(2);
        }
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return command().execute(args);
    }

    /** As {@link #execute(String...)}, printing to {@code out} and {@code err} (tests capture them). */
    static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        return command().setOut(out).setErr(err).execute(args);
    }

    private static CommandLine command() {
        return new CommandLine(new PushlineCommand()).setExecutionExceptionHandler(PushlineCommand::failed);
    }

    /**
     * A failure at run time (a port in use, a broker that does not answer, a conflicting topic) is one clear line on
     * stderr and exit code 1; the stack trace only when asked for with {@code PUSHLINE_LOG_LEVEL=DEBUG}.
     */
    private static int failed(Exception error, CommandLine commandLine, CommandLine.ParseResult parsed) {
        StringBuilder message = new StringBuilder(commandLine.getCommandName()).append(": ").append(describe(error));
        for (Throwable cause = error.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append("\n  caused by: ").append(describe(cause));
        }
        commandLine.getErr().println(message);
        if ("DEBUG".equalsIgnoreCase(System.getenv("PUSHLINE_LOG_LEVEL"))) {
            error.printStackTrace(commandLine.getErr());
        }
        return 1;
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
