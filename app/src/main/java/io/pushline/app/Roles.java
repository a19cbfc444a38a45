package io.pushline.app;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The processes Pushline can run as; {@code all} runs every role in one JVM. */
enum Role {
    ROUTER, COORDINATORS, WORKERS;

    /** {@code all}, one role, or several separated by commas ({@code router,coordinators}). */
    static Set<Role> parse(String value) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String part : value.split(",", -1)) {
            String v = part.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "all" -> roles.addAll(EnumSet.allOf(Role.class));
                case "router" -> roles.add(ROUTER);
                case "coordinators" -> roles.add(COORDINATORS);
                case "workers" -> roles.add(WORKERS);
                default -> throw new IllegalArgumentException("unknown role '" + part.trim()
                        + "': use router, coordinators, workers, a comma-separated list of them, or all");
            }
        }
        return roles;
    }
}
