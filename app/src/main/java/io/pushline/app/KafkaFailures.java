package io.pushline.app;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The failures an admin command expects from Kafka (no answer, refused credentials, a missing ACL, a client that
 * cannot be built), each as one line on stderr naming what to fix, and exit code 1. Anything else propagates to
 * {@link PushlineCommand}'s handler. Messages quote Kafka's, which name topics and groups, never credentials.
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
        String servers = String.valueOf(clients.get("bootstrap.servers"));
        var err = spec.commandLine().getErr();
        try {
            return body.call();
        } catch (TimeoutException e) {
            err.println(name + ": Kafka at " + servers + " did not answer within " + timeout + " (" + e.getMessage()
                    + "): is it reachable, and are --bootstrap-servers and --kafka-config right?");
        } catch (AuthenticationException e) {
            err.println(name + ": Kafka at " + servers + " refused the credentials (" + e.getMessage()
                    + "): give an admin principal's settings in --kafka-config");
        } catch (AuthorizationException e) {
            err.println(name + ": not authorised (" + e.getMessage() + "): the principal of --kafka-config needs " + needs);
        } catch (ConfigException e) {
            err.println(name + ": " + e.getMessage());
        } catch (KafkaException e) {
            // A client that cannot be built (an unresolvable bootstrap address, a bad security setting) says why in its cause.
            if (e.getCause() instanceof ConfigException bad) {
                err.println(name + ": " + bad.getMessage());
            } else {
                throw e;
            }
        }
        return 1;
    }
}
