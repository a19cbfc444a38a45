package io.pushline.admin;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Runs an admin API request with the services the command line uses, and turns what happened into what
 * {@code pushline dlq} or {@code pushline coordinators} would have printed and exited with: the JSON of a success, or the
 * line of a failure (exit code 1). Stateless; thread-safe.
 */
final class AdminOperations {
    private AdminOperations() {
    }

    /**
     * What an operation gave: exit code 0 with the body to answer, or 1 (not done: 409) or 2 (a bad value: 400) with the
     * message.
     */
    record Outcome(int exitCode, byte[] body, String problem) {
        static Outcome ok(byte[] body) {
            return new Outcome(0, body, "");
        }

        static Outcome failed(int exitCode, String problem) {
            return new Outcome(exitCode, new byte[0], problem);
        }
    }

    static Outcome run(AdminRequest request, Map<String, Object> clients, Clock clock) {
        String operation = request.operation();
        try {
            if (request instanceof AdminRequest.ListParked) {
                return ok(AdminText.indentedJson(new ParkedCoordinators(clients, clock).list().toJson()) + System.lineSeparator());
            }
            if (request instanceof AdminRequest.Act act) {
                ActOutcome outcome = new ParkedCoordinators(clients, clock).act(act.command(), act.waitFor(), line -> { });
                return outcome.error().map(AdminOperations::failed)
                        .orElseGet(() -> Outcome.ok(AdminText.compactJson(outcome.toJson())));
            }
            if (request instanceof AdminRequest.ListDeadLetters list) {
                DeadLetterSummary summary = new DeadLetterService(clients, clock).list(list.since(), list.reasons(), list.timeout());
                return ok(AdminText.indentedJson(summary.toJson()) + System.lineSeparator());
            }
            ReplayReport report = new DeadLetterService(clients, clock).replay(((AdminRequest.Replay) request).request());
            return report.failureLine().map(AdminOperations::failed)
                    .orElseGet(() -> ok(AdminText.indentedJson(report.toJson()) + System.lineSeparator()));
        } catch (DeadLetterScan.DlqException e) {
            return failed(operation + ": " + e.getMessage());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            boolean dlq = operation.startsWith("dlq ");
            Optional<String> expected = AdminFailures.describe(operation, clients.get("bootstrap.servers"),
                    dlq ? AdminQuery.DLQ_TIMEOUT : ParkedCoordinators.READ_TIMEOUT_TEXT,
                    dlq ? DeadLetterService.NEEDS : operation.equals("coordinators list") ? ParkedCoordinators.NEEDS_LIST
                            : ParkedCoordinators.NEEDS_ACT, e);
            return failed(expected.orElseGet(() -> unexpected(operation.substring(operation.indexOf(' ') + 1), e)));
        }
    }

    /**
     * An unexpected failure as the command line reports one: its subcommand's name, the message, and each cause on a
     * line of its own.
     */
    static String unexpected(String subcommand, Throwable error) {
        StringBuilder message = new StringBuilder(subcommand).append(": ").append(describe(error));
        for (Throwable cause = error.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append("\n  caused by: ").append(describe(cause));
        }
        return message.toString();
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static Outcome ok(String text) {
        return Outcome.ok(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Outcome failed(String problem) {
        return Outcome.failed(1, problem);
    }
}
