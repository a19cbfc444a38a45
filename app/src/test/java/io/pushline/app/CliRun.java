package io.pushline.app;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Runs {@code pushline ARGS} in this JVM, capturing what it prints through picocli's out and err writers. It does not
 * swap {@code System.out}: the fault suite's classes run at the same time in this JVM, and their threads' log lines
 * would land in the capture.
 */
final class CliRun {
    record Result(int code, String out, String err) {}

    private CliRun() {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PushlineCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }
}
