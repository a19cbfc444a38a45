/**
 * Sending pushes to APNs (Pushy) and FCM (Firebase Admin SDK) with honest outcomes.
 *
 * <p>Public API: {@link io.pushline.push.PushProvider} with its two implementations
 * {@link io.pushline.push.ApnsProvider} and {@link io.pushline.push.FcmProvider}, the decorators
 * {@link io.pushline.push.GuardedProvider} (circuit breaker and rate limiters) and
 * {@link io.pushline.push.PerAppProvider} (one provider, with its own credentials, per app), the request
 * ({@link io.pushline.push.PushRequest}, {@link io.pushline.push.Platform},
 * {@link io.pushline.push.Priority}, {@link io.pushline.push.PushType}), the sealed result
 * {@link io.pushline.push.PushOutcome}, {@link io.pushline.push.Tokens} and the metric names in
 * {@link io.pushline.push.PushMetrics}. Everything else is package-private.
 *
 * <p>Expected outcomes (delivered, rejected, retry later) are values, never exceptions. Every
 * provider bounds the pushes it has in flight and the pushes waiting for a slot; beyond that it
 * answers {@code RetryLater} at once instead of buffering. This module knows nothing of Kafka.
 */
package io.pushline.push;
