package io.pushline.coordinators;

/** A step failure that no retry can fix (bad data, a missing configuration): the coordinator is parked at once. */
public class PermanentStepFailure extends Exception {
    public PermanentStepFailure(String message) {
        super(message);
    }
}
