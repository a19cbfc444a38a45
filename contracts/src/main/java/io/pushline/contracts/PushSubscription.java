package io.pushline.contracts;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * A browser's web push subscription, exactly as {@code PushSubscription.toJSON()} gives it to the web app:
 * {@code {"endpoint": ..., "expirationTime": null, "keys": {"p256dh": ..., "auth": ...}}}.
 *
 * <p>The endpoint is {@code https:}; {@code http:} only to a loopback host (127.0.0.0/8, {@code localhost},
 * {@code [::1]}), for local test push services, and the workers send to those only when configured to
 * ({@code pushline.webpush.allow-loopback-http}). The endpoint is a capability URL, so {@link #toString()} shows its
 * origin only and nothing logs it; the keys are never shown.
 *
 * @param endpoint the push service URL for this subscription (at most 2,048 characters)
 * @param expirationTime optional: when the subscription expires, in milliseconds since the epoch (browsers give null)
 * @param keys the subscriber's encryption keys
 */
public record PushSubscription(String endpoint, @Nullable Long expirationTime, Keys keys) {
  /** Longest endpoint accepted; push services' endpoints are 150 to 400 characters. */
  public static final int MAX_ENDPOINT_LENGTH = 2048;

  /** Prefix of the device tokens derived from endpoints ({@link #tokenOf}). */
  public static final String TOKEN_PREFIX = "wp-";

  private static final java.util.regex.Pattern BASE64URL = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+={0,2}");

  /**
   * The subscriber's keys, base64url (padded or not) as the browser gives them.
   *
   * @param p256dh the subscriber's P-256 public key, an uncompressed point: 65 bytes, the first 0x04
   * @param auth the subscriber's authentication secret: 16 bytes
   */
  public record Keys(String p256dh, String auth) {
    /** Rejects null, non-base64url and wrong decoded lengths. */
    public Keys {
      byte[] point = decode(Require.nonNull(p256dh, "PushSubscription.keys.p256dh"), "PushSubscription.keys.p256dh");
      if (point.length != 65 || point[0] != 4) {
        throw new IllegalArgumentException("PushSubscription.keys.p256dh must be an uncompressed P-256 point (65 bytes"
            + " starting 0x04), was " + point.length + " bytes");
      }
      byte[] secret = decode(Require.nonNull(auth, "PushSubscription.keys.auth"), "PushSubscription.keys.auth");
      if (secret.length != 16) {
        throw new IllegalArgumentException("PushSubscription.keys.auth must be 16 bytes, was " + secret.length);
      }
    }

    /** Never shows the keys. */
    @Override
    public String toString() {
      return "Keys[<redacted>]";
    }
  }

  /** Rejects a null or malformed endpoint or keys, and a negative expiration time. */
  public PushSubscription {
    Require.nonNull(endpoint, "PushSubscription.endpoint");
    Require.nonNull(keys, "PushSubscription.keys");
    if (endpoint.length() > MAX_ENDPOINT_LENGTH) {
      throw new IllegalArgumentException("PushSubscription.endpoint must be at most " + MAX_ENDPOINT_LENGTH
          + " characters, was " + endpoint.length());
    }
    URI uri = parse(endpoint);
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(scheme.equals("http") && loopback(uri.getHost()))) {
      throw new IllegalArgumentException("PushSubscription.endpoint must be https: (http: only to a loopback test"
          + " server), was " + origin(uri));
    }
    if (expirationTime != null) {
      Require.nonNegative(expirationTime, "PushSubscription.expirationTime");
    }
  }

  /** This subscription's derived device token: {@link #tokenOf}{@code (endpoint)}. */
  public String token() {
    return tokenOf(endpoint);
  }

  /**
   * The device token Pushline derives from a web push endpoint, the same in every language:
   * {@code "wp-" + base64url-without-padding(SHA-256(UTF-8(endpoint)))} (46 characters). Registering the same endpoint
   * again (new keys, say) replaces the stored subscription; a {@link DeviceUnregistered} with this token removes it.
   */
  public static String tokenOf(String endpoint) {
    Require.nonNull(endpoint, "endpoint");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(endpoint.getBytes(StandardCharsets.UTF_8));
      return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /** Whether {@link #expirationTime()} has passed at {@code nowMillis}. */
  public boolean expiredAt(long nowMillis) {
    return expirationTime != null && expirationTime <= nowMillis;
  }

  /** The push service's origin, e.g. {@code https://fcm.googleapis.com}: all that may be shown of an endpoint. */
  public String origin() {
    return origin(parse(endpoint));
  }

  /** Shows the origin only: the endpoint is a capability URL, the keys are secrets. */
  @Override
  public String toString() {
    return "PushSubscription[" + origin() + "/…, expirationTime=" + expirationTime + "]";
  }

  private static URI parse(String endpoint) {
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("PushSubscription.endpoint is not a URL");
    }
    if (uri.getScheme() == null || uri.getHost() == null || uri.getRawPath() == null || !uri.getRawPath().startsWith("/")
        || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("PushSubscription.endpoint must be an absolute URL with a host and a path,"
          + " without user info or fragment");
    }
    return uri;
  }

  private static boolean loopback(String host) {
    return host.equalsIgnoreCase("localhost") || host.startsWith("127.") || host.equals("[::1]");
  }

  private static String origin(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
  }

  private static byte[] decode(String value, String field) {
    if (!BASE64URL.matcher(value).matches()) {
      throw new IllegalArgumentException(field + " must be base64url");
    }
    try {
      return Base64.getUrlDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + " must be base64url");
    }
  }
}
