package io.pushline.coordinators;

/** A transition the flow's table does not have: a bug, or a journal written by something else. Never caught quietly. */
public class IllegalTransitionException extends IllegalStateException {
    public IllegalTransitionException(String message) {
        super(message);
    }
}
