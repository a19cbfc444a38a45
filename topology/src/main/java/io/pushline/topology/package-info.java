/**
 * The Kafka Streams topology for unbounded events: routing, dead letters, state materialisation, partition-local
 * expansion and the ban cascade.
 *
 * <p>What this module owns: the router (every event validated, routed by type, or dead-lettered with its reason and
 * original bytes), the device registry and the compacted state it writes, the follower-partitioned follow index and
 * paged, resumable fanout jobs that expand a timeline post to every follower's devices on the bulk lane (with progress
 * per job), and both sides of a ban: its content removed ({@code ModerationProcessor}) and its follow edges and running
 * fanouts ({@code BanCascade}, hosted by {@code ExpansionProcessor}). Decisions that need no store are kept apart from
 * the processors and unit-tested alone (a ban's edge pages: {@code BanCascade.page}; a job's progress and ETA:
 * {@link io.pushline.topology.JobProgress}).
 *
 * <p>State is bounded by time, not by history: fanout pages are bounded by followers scanned as well as by devices; the
 * moderation content index keeps the configured content retention, and the device registry forgets invalidated tokens
 * after theirs, both through a time-ordered index ({@code ExpiryIndex}) pruned in pages on a wake-up armed for the
 * oldest entry's due time. The other stores hold live state only (current follow edges and devices, running jobs,
 * banned profiles).
 *
 * <p>Public surface, for the app: {@link io.pushline.topology.PushlineTopology} to build and query it,
 * {@link io.pushline.topology.TopologyConfig} and {@link io.pushline.topology.StreamsSettings} to run it,
 * {@link io.pushline.topology.TopologyMetrics}' names and {@link io.pushline.topology.JobProgress}. The processors and
 * their stores are package-private.
 *
 * <p>What it must not depend on: of Pushline's modules, the contracts only (topics, event records, the CloudEvents
 * codec, dead letters). It never depends on the coordinators (bounded events are theirs; the two meet only through
 * topics), nor on the workers, push providers, the app or test support. {@code DependencyDirectionTest} in the app
 * checks it.
 */
package io.pushline.topology;
