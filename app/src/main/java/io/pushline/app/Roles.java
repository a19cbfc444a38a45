package io.pushline.app;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The processes Pushline can run as; {@code all} runs every role in one JVM. */
enum Role {
    ROUTER, WORKERS;

    static Set<Role> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "all" -> EnumSet.allOf(Role.class);
            case "router" -> EnumSet.of(ROUTER);
            case "workers" -> EnumSet.of(WORKERS);
            default -> throw new IllegalArgumentException("unknown role '" + value + "': use router, workers or all");
        };
    }
}
