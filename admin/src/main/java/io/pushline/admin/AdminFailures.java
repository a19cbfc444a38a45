package io.pushline.admin;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;

import java.util.Optional;

/**
 * The failures an admin operation expects from Kafka (no answer, refused credentials, a missing ACL, a client that cannot
 * be built), each as one line naming what to fix: what {@code pushline dlq} and {@code pushline coordinators} print on
 * stderr, and what the admin API answers with 409. Lines quote Kafka's messages, which name topics and groups, never
 * credentials. Stateless; thread-safe.
 */
public final class AdminFailures {
    private AdminFailures() {
    }

    /**
     * The line for {@code failure}, or empty if it is not one of the expected ones (the caller reports it as unexpected).
     *
     * @param name    the command as the user typed it ({@code dlq list}), first on the line
     * @param servers the bootstrap servers the operation talked to
     * @param timeout the bound the operation had, as given ({@code 2m})
     * @param needs   the ACLs the operation's principal needs, for the "not authorised" line
     */
    public static Optional<String> describe(String name, Object servers, String timeout, String needs, Throwable failure) {
        if (failure instanceof TimeoutException) {
            return Optional.of(name + ": Kafka at " + servers + " did not answer within " + timeout + " (" + failure.getMessage()
                    + "): is it reachable, and are --bootstrap-servers and --kafka-config right?");
        }
        if (failure instanceof AuthenticationException) {
            return Optional.of(name + ": Kafka at " + servers + " refused the credentials (" + failure.getMessage()
                    + "): give an admin principal's settings in --kafka-config");
        }
        if (failure instanceof AuthorizationException) {
            return Optional.of(name + ": not authorised (" + failure.getMessage() + "): the principal of --kafka-config needs " + needs);
        }
        if (failure instanceof ConfigException) {
            return Optional.of(name + ": " + failure.getMessage());
        }
        // A client that cannot be built (an unresolvable bootstrap address, a bad security setting) says why in its cause.
        if (failure instanceof KafkaException && failure.getCause() instanceof ConfigException bad) {
            return Optional.of(name + ": " + bad.getMessage());
        }
        return Optional.empty();
    }
}
