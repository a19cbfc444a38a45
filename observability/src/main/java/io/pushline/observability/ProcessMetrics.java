package io.pushline.observability;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Metric names of the process around the roles (consumer lag, the expansion gate), in one place, and the registry every
 * Pushline process exports at {@code /metrics}. The other modules' names are in {@code TopologyMetrics},
 * {@code WorkerMetrics}, {@code PushMetrics}, {@code CoordinatorMetrics}, {@code IngestMetrics} and
 * {@code AdminMetrics}; the README lists them all.
 */
public final class ProcessMetrics {
    /** Consumer lag: records not yet consumed and committed, tagged {@code group}, {@code topic}, {@code partition}. */
    public static final String LAG_RECORDS = "pushline.consumer.lag.records";
    /** Consumer lag: age of the oldest record not yet consumed, in seconds, tagged like {@link #LAG_RECORDS}. */
    public static final String LAG_SECONDS = "pushline.consumer.lag.seconds";
    /** The bulk lane's backlog (push tasks not yet consumed) the expansion gate last read. */
    public static final String EXPANSION_BACKLOG = "pushline.expansion.backlog";
    /** 1 while the expansion gate holds fanout expansion back (bulk backlog above its bound), else 0. */
    public static final String EXPANSION_HELD = "pushline.expansion.held";
    /**
     * The backlog the expansion gate allows now: the bulk lane's measured delivery rate times the time it may run ahead,
     * within its floor and ceiling.
     */
    public static final String EXPANSION_BACKLOG_BOUND = "pushline.expansion.backlog.bound";

    private ProcessMetrics() {
    }

    /**
     * A Prometheus registry with the JVM's and the process's own meters bound (memory, threads, class loading, CPU,
     * uptime; GC with {@link #bindGc}): {@code jvm_*}, {@code process_*} and {@code system_*} next to Pushline's.
     */
    public static PrometheusMeterRegistry newRegistry() {
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
    public static JvmGcMetrics bindGc(PrometheusMeterRegistry registry) {
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return gc;
    }
}
