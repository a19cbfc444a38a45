package io.pushline.app;

import io.pushline.admin.AdminArguments;

import java.time.Duration;

/** Parses durations as people write them on a command line: {@code 90s}, {@code 5m}, {@code 1h}, {@code 250ms} or ISO-8601. */
final class Durations {
    private Durations() {
    }

    /** The one parser, shared with the admin API's query values ({@link AdminArguments#duration}). */
    static Duration parse(String text) {
        return AdminArguments.duration(text);
    }
}
