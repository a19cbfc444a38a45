package io.pushline.push;

import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A browser's push subscription, as {@code PushSubscription.toJSON()} gives it to the web app: the push service's
 * {@code endpoint}, the subscriber's P-256 public key {@code keys.p256dh} (65 bytes, uncompressed) and its auth secret
 * {@code keys.auth} (16 bytes). Validated on construction; the keys are copied in and out (immutable).
 *
 * <p>The endpoint must be {@code https:}, or {@code http:} to a loopback address (test push services only; the
 * provider accepts those only when told to). It is a capability URL: whoever holds it can push to the device, so
 * {@link #toString()} shows its origin only.
 */
public final class WebPushSubscription {
    private static final Base64.Decoder B64URL = Base64.getUrlDecoder();

    private final URI endpoint;
    private final byte[] p256dh;
    private final byte[] auth;
    private final Instant expiresAt;

    /** A subscription without an expiration time (as browsers give it). */
    public WebPushSubscription(URI endpoint, byte[] p256dh, byte[] auth) {
        this(endpoint, p256dh, auth, null);
    }

    /** @param expiresAt the subscription's {@code expirationTime}, or null; from then on a push to it is not sent */
    public WebPushSubscription(URI endpoint, byte[] p256dh, byte[] auth, Instant expiresAt) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && loopback(endpoint))) {
            throw new IllegalArgumentException("endpoint must be https: (http: only to a loopback test server), was " + origin(endpoint));
        }
        if (endpoint.getHost() == null || endpoint.getRawPath() == null) {
            throw new IllegalArgumentException("endpoint must be an absolute URL with a host and a path, was " + origin(endpoint));
        }
        Objects.requireNonNull(p256dh, "p256dh");
        Objects.requireNonNull(auth, "auth");
        if (p256dh.length != 65 || p256dh[0] != 4) {
            throw new IllegalArgumentException("keys.p256dh must be an uncompressed P-256 point (65 bytes starting 0x04), was "
                    + p256dh.length + " bytes");
        }
        if (auth.length != 16) {
            throw new IllegalArgumentException("keys.auth must be 16 bytes, was " + auth.length);
        }
        this.p256dh = p256dh.clone();
        this.auth = auth.clone();
        this.expiresAt = expiresAt;
    }

    /** From the strings of {@code PushSubscription.toJSON()}: the keys in base64url, padded or not. */
    public static WebPushSubscription of(String endpoint, String p256dh, String auth) {
        return of(endpoint, p256dh, auth, null);
    }

    /** As {@link #of(String, String, String)}, with {@code expirationTime} in milliseconds since the epoch, or null. */
    public static WebPushSubscription of(String endpoint, String p256dh, String auth, Long expirationTime) {
        Objects.requireNonNull(endpoint, "endpoint");
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("endpoint is not a URL");
        }
        return new WebPushSubscription(uri, decode(p256dh, "keys.p256dh"), decode(auth, "keys.auth"),
                expirationTime == null ? null : Instant.ofEpochMilli(expirationTime));
    }

    private static byte[] decode(String value, String field) {
        Objects.requireNonNull(value, field);
        try {
            return B64URL.decode(value.replace("=", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not base64url");
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public byte[] p256dh() {
        return p256dh.clone();
    }

    public byte[] auth() {
        return auth.clone();
    }

    /** When the subscription expires, or null if it does not say. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Whether the endpoint is on a loopback address (a local test push service). */
    public boolean onLoopback() {
        return loopback(endpoint);
    }

    private static boolean loopback(URI endpoint) {
        String host = endpoint.getHost();
        return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1"));
    }

    /** The push service's origin ({@code https://fcm.googleapis.com}), which is all that may be shown of an endpoint. */
    public String origin() {
        return origin(endpoint);
    }

    private static String origin(URI endpoint) {
        return endpoint.getScheme() + "://" + endpoint.getHost() + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebPushSubscription s && endpoint.equals(s.endpoint) && Arrays.equals(p256dh, s.p256dh)
                && Arrays.equals(auth, s.auth) && Objects.equals(expiresAt, s.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(endpoint, Arrays.hashCode(p256dh), Arrays.hashCode(auth), expiresAt);
    }

    @Override
    public String toString() {
        return "WebPushSubscription[" + origin() + "/…]";
    }
}
