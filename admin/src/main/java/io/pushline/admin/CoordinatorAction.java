package io.pushline.admin;

import java.util.Locale;

/** What an operator can do with a parked coordinator ({@link ParkedCoordinators#act}). */
public enum CoordinatorAction {
    /** Run its step again, with a fresh failure budget. */
    RETRY("retried"),
    /** Give up on it (journaled as DISCARDED). */
    DISCARD("discarded");

    private final String done;

    CoordinatorAction(String done) {
        this.done = done;
    }

    /** The action as the command line and the commands topic name it: {@code retry}, {@code discard}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The past tense, for the line saying it took effect. */
    String done() {
        return done;
    }
}
