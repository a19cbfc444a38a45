package io.pushline.pipeline;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What one Pushline process runs ({@code pushline run --role}); {@code all} is every pipeline role in one JVM.
 *
 * <p>Not to be confused with the ACL roles of {@code pushline acls} (pipeline, publisher, admin), which say what a
 * Kafka principal may do: every process role here runs as the pipeline principal, except {@link #INGEST} alone (a
 * publisher's) and {@link #ADMIN} alone (an admin's).
 */
public enum ProcessRole {
    /** The Kafka Streams topology: routing, dead letters, state, fanout expansion; also reads consumer lag. */
    ROUTER(true),
    /** The bounded flows' coordinators (likes, follows). */
    COORDINATORS(true),
    /** The push workers of both lanes. */
    WORKERS(true),
    /** The HTTP ingest only (no pipeline role; provisions no topics). */
    INGEST(false),
    /** The admin API only (no pipeline role; provisions no topics). */
    ADMIN(false);

    private final boolean pipeline;

    ProcessRole(boolean pipeline) {
        this.pipeline = pipeline;
    }

    /** Whether this role is part of the pipeline (consumes and produces Pushline's topics), rather than an HTTP front. */
    public boolean pipeline() {
        return pipeline;
    }

    /** The pipeline roles: router, coordinators and workers. */
    public static Set<ProcessRole> pipelineRoles() {
        return EnumSet.of(ROUTER, COORDINATORS, WORKERS);
    }

    /**
     * {@code all}, one role, or several separated by commas ({@code router,coordinators}); {@code all} is every
     * pipeline role, not the HTTP fronts, which run where their addresses are given.
     *
     * @throws IllegalArgumentException naming the unknown role and the known ones
     */
    public static Set<ProcessRole> parse(String value) {
        Set<ProcessRole> roles = EnumSet.noneOf(ProcessRole.class);
        for (String part : value.split(",", -1)) {
            String v = part.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "all" -> roles.addAll(pipelineRoles());
                case "router" -> roles.add(ROUTER);
                case "coordinators" -> roles.add(COORDINATORS);
                case "workers" -> roles.add(WORKERS);
                case "ingest" -> roles.add(INGEST);
                case "admin" -> roles.add(ADMIN);
                default -> throw new IllegalArgumentException("unknown role '" + part.trim()
                        + "': use router, coordinators, workers, a comma-separated list of them, or all");
            }
        }
        return roles;
    }
}
