package io.pushline.localkafka;

/**
 * {@link LocalBroker} could not start, with a message that says what to do about it: which port is taken, which
 * earlier broker still runs (and how to stop it), or the last lines of the broker's log when it died.
 */
public final class LocalBrokerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    LocalBrokerException(String message) {
        super(message);
    }

    LocalBrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
