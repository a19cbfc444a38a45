/**
 * Supervised, event-sourced coordinators for bounded events: one state machine per like, unlike or follow, whose every
 * transition is journaled before its effect counts.
 *
 * <p>What this module owns: the state-machine framework (a flow is a declaration of steps, checked against its
 * transition table), the journal and its format, the supervisor (retries with backoff, parking, operators' retry and
 * discard), the like, unlike and follow flows, their intake (which event starts, cancels or is skipped by which
 * coordinator), and the Kafka Streams topology that hosts them with exactly-once v2. The decisions are pure and
 * unit-tested without Kafka: {@code IntakePolicy} (intake), {@code CoordinatorEngine} (what a coordinator does next),
 * {@code Flow} (the transition table); {@code CoordinatorProcessor} only reads, writes and carries out what they decide.
 *
 * <p>Bans stop the flows that push: every task keeps every ban ({@code Bans}, broadcast through the intake topic), a
 * like or follow by or for a banned profile starts nothing, and a running one is cancelled, at the ban or right before
 * its next step. State is bounded by time: finished journals, notification windows and history decisions go after the
 * notification window, parked coordinators after {@link io.pushline.coordinators.CoordinatorConfig#parkedRetention()}
 * (dead-lettered), each by a one-shot entry in the task's schedule ({@code Schedule}), never by a periodic scan.
 *
 * <p>Delivery policy (issue 19): the recipients' preferences (muted categories, quiet hours in their time zone) decide
 * whether a push step pushes now, not at all, or holds its pushes until the quiet hours end ({@code DeliveryPolicy},
 * released by a {@code held} coordinator from the schedule); categories in
 * {@link io.pushline.coordinators.CoordinatorConfig#quietHoursPassThrough()} pass quiet hours.
 *
 * <p>Public surface, for the app and the operators' tools: {@link io.pushline.coordinators.CoordinatorTopology} and
 * {@link io.pushline.coordinators.CoordinatorConfig} to run it, {@link io.pushline.coordinators.CoordinatorMetrics}'s
 * names, {@link io.pushline.coordinators.Admin}'s records (parked coordinators, commands) for {@code pushline
 * coordinators}, and what a step sees ({@link io.pushline.coordinators.Step},
 * {@link io.pushline.coordinators.StepContext}, the read-only {@link io.pushline.coordinators.CoordinatorView},
 * {@link io.pushline.coordinators.Output}) so tests can wrap steps. Journals, flows and the engine are package-private.
 *
 * <p>What it must not depend on: of Pushline's modules, the contracts only (topics, event records, the CloudEvents
 * codec); never the topology, the workers, push providers, the app or test support. {@code DependencyDirectionTest} in
 * the app checks it for every module but the topology, which nothing here imports either.
 */
package io.pushline.coordinators;
