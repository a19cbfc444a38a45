package io.pushline.app;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Metric names of the app module (the process around the roles), in one place, and the registry every Pushline process
 * exports at {@code /metrics}. The other modules' names are in {@code TopologyMetrics}, {@code WorkerMetrics},
 * {@code PushMetrics} and {@code CoordinatorMetrics}; the README lists them all.
 */
final class AppMetrics {
    /** Consumer lag: records not yet consumed and committed, tagged {@code group}, {@code topic}, {@code partition}. */
    static final String LAG_RECORDS = "pushline.consumer.lag.records";
    /** Consumer lag: age of the oldest record not yet consumed, in seconds, tagged like {@link #LAG_RECORDS}. */
    static final String LAG_SECONDS = "pushline.consumer.lag.seconds";
    /** The bulk lane's backlog (push tasks not yet consumed) the expansion gate last read. */
    static final String EXPANSION_BACKLOG = "pushline.expansion.backlog";
    /** 1 while the expansion gate holds fanout expansion back (bulk backlog above its bound), else 0. */
    static final String EXPANSION_HELD = "pushline.expansion.held";
    /** HTTP ingest requests, tagged {@code publisher} ({@code unknown} before authentication) and {@code status} (the HTTP code). */
    static final String INGEST_REQUESTS = "pushline.ingest.requests";
    /**
     * HTTP ingest events, tagged {@code publisher} and {@code result}: {@code accepted}, {@code duplicate},
     * {@code invalid}, {@code forbidden}, {@code rate_limited}, {@code saturated}, {@code failed}.
     */
    static final String INGEST_EVENTS = "pushline.ingest.events";
    /** Time from reading a request to answering it, acknowledgements included, tagged {@code publisher} and {@code status}. */
    static final String INGEST_DURATION = "pushline.ingest.duration";
    /** Request bytes held by the ingest (being read, produced or awaiting acknowledgement); bounded by its limit. */
    static final String INGEST_IN_FLIGHT_BYTES = "pushline.ingest.in.flight.bytes";
    /** Ids the ingest's deduplication window remembers. */
    static final String INGEST_DEDUP_ENTRIES = "pushline.ingest.dedup.entries";
    /** Admin API requests, tagged {@code operation} (e.g. {@code dlq replay}, {@code unauthorized}) and {@code status}. */
    static final String ADMIN_REQUESTS = "pushline.admin.requests";

    private AppMetrics() {
    }

    /**
     * A Prometheus registry with the JVM's and the process's own meters bound (memory, threads, class loading, CPU,
     * uptime; GC with {@link #bindGc}): {@code jvm_*}, {@code process_*} and {@code system_*} next to Pushline's.
     */
    static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /**
     * Binds the GC meters to {@code registry}; they listen for the JVM's GC notifications until closed, so a registry
     * that lives shorter than the process (a {@code LocalStack} in a test or a bench) must close them with it.
     */
    static JvmGcMetrics bindGc(PrometheusMeterRegistry registry) {
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return gc;
    }
}
