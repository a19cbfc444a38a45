/**
 * Wiring Pushline's roles into one process: {@link io.pushline.pipeline.Pipeline} provisions the topics and starts the
 * router topology, the coordinators and one push worker per lane, as the {@link io.pushline.pipeline.ProcessRole}s given
 * ask, with the providers the caller built; {@link io.pushline.pipeline.ExpansionGate} keeps fanout expansion within
 * reach of delivery. It owns what it starts and closes it in reverse order.
 *
 * <p>May depend on contracts, push, topology, coordinators, fanout-workers and observability; never on ingest, admin,
 * local-stack, the test servers, the local broker or the app ({@code DependencyDirectionTest}).
 */
package io.pushline.pipeline;
