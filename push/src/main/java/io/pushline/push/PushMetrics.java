package io.pushline.push;

/**
 * Names and tags of the meters the providers register when given a {@code MeterRegistry}. APNs
 * additionally gets Pushy's own meters ({@code MicrometerApnsClientMetricsListener}: notifications
 * sent/accepted/rejected, write failures, open connections, round-trip timer).
 */
public final class PushMetrics {

    /** Counter: every outcome a provider returned. Tags {@link #TAG_PLATFORM}, {@link #TAG_OUTCOME}. */
    public static final String OUTCOMES = "pushline.push.outcomes";

    /**
     * Counter: pushes answered locally without a round trip (payload too large, in-flight limit and
     * queue full, provider closed, circuit open, rate-limit wait too long). Tags {@link #TAG_PLATFORM}, {@link #TAG_REASON}.
     */
    public static final String REFUSED = "pushline.push.refused";

    /**
     * Counter: permanent rejections that mean Pushline or the app is misconfigured, not that a device is gone (APNs
     * {@code PayloadTooLarge}, {@code BadTopic}, {@code TopicDisallowed}, certificate and provider-token errors; FCM
     * {@code SENDER_ID_MISMATCH}, {@code THIRD_PARTY_AUTH_ERROR}, {@code PERMISSION_DENIED}, {@code UNAUTHENTICATED}).
     * Tags: platform, reason (the provider's code). Any increase deserves an alert.
     */
    public static final String CONFIG_REJECTIONS = "pushline.push.config_rejections";

    /** Counter: pushes a {@link GuardedProvider} held back until a rate-limiter permit was free. Tag {@link #TAG_PLATFORM}. */
    public static final String RATE_LIMIT_WAITS = "pushline.push.rate_limit.waits";

    /** Gauge: pushes sent and not yet answered. Tag {@link #TAG_PLATFORM}. */
    public static final String IN_FLIGHT = "pushline.push.in_flight";

    /** Gauge: pushes waiting for an in-flight slot. Tag {@link #TAG_PLATFORM}. */
    public static final String QUEUED = "pushline.push.queued";

    /**
     * Gauge: web pushes on the wire to one push service host (each host has its own bound, so one slow push service
     * cannot hold the others' share). Tag {@link #TAG_HOST}.
     */
    public static final String WEBPUSH_HOST_IN_FLIGHT = "pushline.push.webpush.host.in_flight";

    /** Gauge: web pushes waiting for their push service host's bound. Tag {@link #TAG_HOST}. */
    public static final String WEBPUSH_HOST_QUEUED = "pushline.push.webpush.host.queued";

    /**
     * Distribution summary: the size of each batch FCM was sent with {@code sendEach} (its count is the
     * number of batches). Tag {@link #TAG_PLATFORM} ({@code fcm}).
     */
    public static final String FCM_BATCH_SIZE = "pushline.push.fcm.batch_size";

    /** {@code apns}, {@code fcm} or {@code webpush}. */
    public static final String TAG_PLATFORM = "platform";

    /**
     * A web push service's host (and port, if not the scheme's), e.g. {@code fcm.googleapis.com},
     * {@code updates.push.services.mozilla.com}, {@code web.push.apple.com}; {@code other} past 256 hosts.
     */
    public static final String TAG_HOST = "host";

    /** {@code delivered}, {@code rejected}, {@code token_invalid} (a rejection that invalidates the token) or {@code retry_later}. */
    public static final String TAG_OUTCOME = "outcome";

    /**
     * {@code payload_too_large}, {@code saturated} or {@code closed}; from a {@link GuardedProvider} also
     * {@code circuit_open} or {@code rate_limited}.
     */
    public static final String TAG_REASON = "reason";

    private PushMetrics() {
    }
}
