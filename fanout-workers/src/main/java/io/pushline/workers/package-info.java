/**
 * Fanout workers: consume a lane's push tasks and deliver them through the push providers, at least once, with a
 * receipt check before every send.
 *
 * <p>What this module owns:
 * <ul>
 *   <li>the consumer engine ({@link io.pushline.workers.PushWorker}): poll loop, pause and resume under demand
 *       ({@code Demand}, {@code Pauses}), commits up to the lowest unfinished record ({@code OffsetTracker}),
 *       rebalances, drain, and its lifecycle ({@code WorkerState}, a transition table);</li>
 *   <li>the delivery decision ({@code Delivery}, pure: no Kafka, no provider, injected clock): skip a task (receipt,
 *       TTL, unregistered device, banned author, actor or recipient, unfollow), hold it while a check cannot answer,
 *       or send it, and what follows a provider's answer (receipt, retry with which delay, dead letter, token
 *       invalidation); {@code DeliveryEffects} carries it out;</li>
 *   <li>what guards a send ({@code Guards}: {@code ReceiptStore}, a lane's view of the process's
 *       {@link io.pushline.workers.ReceiptIndex}, shared by both lanes and bounded by
 *       {@link io.pushline.workers.ReceiptsConfig}'s retention; and the checks, {@code CompactedKeySet}s bounded by
 *       time, {@code KeyTimes}, that fail closed), the priority lanes'
 *       governor ({@link io.pushline.workers.LaneGovernor}), the retry topics
 *       ({@link io.pushline.workers.RetryTopics}, {@code DelayedRetries}), its settings
 *       ({@link io.pushline.workers.WorkerConfig}) and metric names ({@link io.pushline.workers.WorkerMetrics}).</li>
 * </ul>
 *
 * <p>Dependencies: of Pushline's modules, only {@code contracts} (records, codec, topics) and {@code push} (the
 * provider API), as the app's {@code DependencyDirectionTest} checks: never the publisher, topology, coordinators,
 * ingest, admin or the app, and the mock providers and the test kit in tests only. Everything not linked above is
 * package-private.
 */
package io.pushline.workers;
