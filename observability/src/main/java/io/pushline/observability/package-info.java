/**
 * What an SRE sees of a Pushline process: its meters, its consumer lag, a live dashboard, and its health.
 *
 * <p>Owns:
 * <ul>
 *   <li>process metrics: the registry a process shares between its roles and the names of the meters owned here
 *       ({@link io.pushline.observability.ProcessMetrics}: consumer lag, the expansion gate);</li>
 *   <li>consumer lag in records and in seconds ({@link io.pushline.observability.ConsumerLag}) and its gauges
 *       ({@link io.pushline.observability.LagMetrics});</li>
 *   <li>the live dashboard: sampling the meters into a ring of the last ten minutes ({@code DashboardSampler}), what a
 *       sample shows and how it is read ({@code DashboardView}, {@code SampleReader}, {@code FanoutJobs},
 *       {@code MeterValues}), its JSON ({@code DashboardJson}) and its page (HTML, CSS and JavaScript under
 *       {@code io/pushline/observability/dashboard/} on the class path);</li>
 *   <li>the ops HTTP server ({@link io.pushline.observability.OpsServer}): {@code /metrics} for Prometheus,
 *       {@code /health/live} and {@code /health/ready}, {@code /dashboard} and {@code /api/dashboard}.</li>
 * </ul>
 *
 * <p>Depends on: the other modules' metric <em>names</em> only, the constants of contracts, push
 * ({@code PushMetrics}), topology ({@code TopologyMetrics}), coordinators ({@code CoordinatorMetrics}) and
 * fanout-workers ({@code WorkerMetrics}), which it reads from a {@code MeterRegistry}; never their behaviour. It must
 * never depend on pipeline, local-stack, ingest, admin or app: they depend on it (pipeline wires its server and lag into
 * a process), and a dependency back would make a cycle. Nothing it serves carries a secret: meters carry no credentials
 * or tokens.
 */
package io.pushline.observability;
