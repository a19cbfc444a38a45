package io.pushline.app;

import io.pushline.admin.AdminFailures;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The failures an admin command expects from Kafka (no answer, refused credentials, a missing ACL, a client that
 * cannot be built), each as one line on stderr naming what to fix ({@link AdminFailures}, the admin API's words too),
 * and exit code 1. Anything else propagates to {@link PushlineCommand}'s handler.
 */
final class KafkaFailures {
    private KafkaFailures() {
    }

    /**
     * Runs {@code body}.
     *
     * @param name    the command as the user typed it ({@code dlq list}), first on the line
     * @param timeout the bound the command had, as given ({@code 2m})
     * @param needs   the ACLs the command's principal needs, for the "not authorised" line
     */
    static int guarded(CommandSpec spec, String name, Map<String, Object> clients, String timeout, String needs,
                       Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (Exception e) {
            Optional<String> line = AdminFailures.describe(name, String.valueOf(clients.get("bootstrap.servers")), timeout, needs, e);
            if (line.isEmpty()) {
                throw e;
            }
            spec.commandLine().getErr().println(line.get());
            return 1;
        }
    }
}
