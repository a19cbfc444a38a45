package io.pushline.admin;

/** Metric names of the admin API, in one place; the README lists every module's. */
public final class AdminMetrics {
    /** Admin API requests, tagged {@code operation} (e.g. {@code dlq replay}, {@code unauthorized}) and {@code status}. */
    public static final String ADMIN_REQUESTS = "pushline.admin.requests";

    private AdminMetrics() {
    }
}
