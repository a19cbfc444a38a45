/**
 * Sending pushes to APNs (Pushy), FCM (Firebase Admin SDK) and browsers' web push services (RFC 8030, with
 * {@code com.interaso:webpush}) with honest outcomes.
 *
 * <p>Public API: {@link io.pushline.push.PushProvider} with its three implementations
 * {@link io.pushline.push.ApnsProvider}, {@link io.pushline.push.FcmProvider} and
 * {@link io.pushline.push.WebPushProvider} (with {@link io.pushline.push.WebPushSubscription}), the decorators
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
