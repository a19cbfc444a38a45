package io.pushline.loadtests;

import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** What the per-scenario command tests share: a bad option line's usage error, and a parsed command that does not run. */
final class BenchCli {
    private BenchCli() {
    }

    /**
     * Runs {@code pushline bench SCENARIO --report x OPTIONS} for a {@code "OPTIONS|expected message"} line and asserts
     * it is a usage error (exit code 2) with that message and the scenario's own usage.
     */
    static void assertUsageError(String scenario, String line) {
        String[] parts = line.split("\\|");
        String args = scenario + " --report x" + (parts[0].isEmpty() ? "" : " " + parts[0]);
        BenchCommandTest.Result result = BenchCommandTest.run(args.split(" "));
        assertThat(result.code()).as(args).isEqualTo(2);
        assertThat(result.err()).as(args).contains(parts[1]).contains("Usage: pushline bench " + scenario + " ");
    }

    /** Parses {@code pushline bench ARGS} without running anything, and returns the scenario's command. */
    static <T> T parse(Class<T> type, String... args) {
        CommandLine.ParseResult parsed = new CommandLine(new BenchCommand()).parseArgs(args);
        assertThat(parsed.subcommand()).as("a scenario").isNotNull();
        return type.cast(parsed.subcommand().commandSpec().userObject());
    }

    /** Asserts that validating a parsed command throws nothing. */
    static void assertValid(Runnable validate) {
        assertThatCode(validate::run).doesNotThrowAnyException();
    }
}
