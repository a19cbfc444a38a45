package io.pushline.push;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.UUID;

/**
 * One push to one device. Immutable; validated on construction (an invalid request is a bug in
 * the caller and throws {@link IllegalArgumentException} or {@link NullPointerException} naming
 * the field).
 *
 * @param pushId      deterministic id of this push (a UUID string, stored lower-case): APNs
 *                    {@code apns-id} and data {@value #PUSH_ID_DATA_KEY} on both platforms, so
 *                    duplicates can be recognised
 * @param platform    which provider the token belongs to
 * @param token       the device token; never logged unmasked (see {@link Tokens#mask})
 * @param appId       APNs: the bundle id, sent as {@code apns-topic} (required); FCM: unused, nullable
 * @param title       alert title; nullable; not sent for {@link PushType#BACKGROUND}
 * @param body        alert body; nullable; not sent for {@link PushType#BACKGROUND}
 * @param data        custom key/values delivered to the app; null means none; must not use
 *                    {@value #PUSH_ID_DATA_KEY}
 * @param collapseKey APNs {@code apns-collapse-id} / FCM Android collapse key; nullable
 * @param expiresAt   after this the provider should drop the push; null for the provider's default
 * @param priority    delivery priority
 * @param pushType    alert or background
 * @param badge       app icon badge number, 0 clears it (APNs {@code aps.badge}, FCM Android
 *                    {@code notification_count}); nullable; not sent for {@link PushType#BACKGROUND}
 * @param sound       sound file name in the app, or {@code default}; null means the default sound on
 *                    APNs and none set on FCM; not sent for {@link PushType#BACKGROUND}
 */
public record PushRequest(String pushId, Platform platform, String token, String appId,
                          String title, String body, Map<String, String> data, String collapseKey,
                          Instant expiresAt, Priority priority, PushType pushType, Integer badge, String sound,
                          WebPushSubscription webPush) {

    /** An APNs or FCM push (no web push subscription). */
    public PushRequest(String pushId, Platform platform, String token, String appId,
                       String title, String body, Map<String, String> data, String collapseKey,
                       Instant expiresAt, Priority priority, PushType pushType, Integer badge, String sound) {
        this(pushId, platform, token, appId, title, body, data, collapseKey, expiresAt, priority, pushType, badge, sound, null);
    }

    /** A push without badge and with the default sound. */
    public PushRequest(String pushId, Platform platform, String token, String appId,
                       String title, String body, Map<String, String> data, String collapseKey,
                       Instant expiresAt, Priority priority, PushType pushType) {
        this(pushId, platform, token, appId, title, body, data, collapseKey, expiresAt, priority, pushType, null, null);
    }

    /** The data key that carries {@link #pushId()} to the device on both platforms. */
    public static final String PUSH_ID_DATA_KEY = "pushline_push_id";

    public PushRequest {
        Objects.requireNonNull(pushId, "pushId");
        pushId = canonicalUuid(pushId);
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(token, "token");
        if (token.isBlank() || token.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c) || c == '/')) {
            throw new IllegalArgumentException("token must be non-blank without whitespace, control characters or '/', was "
                    + Tokens.mask(token));
        }
        if (platform == Platform.APNS && (appId == null || appId.isBlank())) {
            throw new IllegalArgumentException("appId (the APNs topic) is required for APNS, was " + (appId == null ? "null" : "blank"));
        }
        data = data == null ? Map.of() : copyData(data);
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(pushType, "pushType");
        if (badge != null && badge < 0) {
            throw new IllegalArgumentException("badge must be >= 0, was " + badge);
        }
        if (sound != null && (sound.isBlank() || sound.length() > 256)) {
            throw new IllegalArgumentException("sound must be 1 to 256 non-blank characters, was '" + sound + "'");
        }
        if ((platform == Platform.WEBPUSH) != (webPush != null)) {
            throw new IllegalArgumentException(platform == Platform.WEBPUSH ? "webPush (the subscription) is required for WEBPUSH"
                    : "webPush is for WEBPUSH only, not " + platform);
        }
    }

    /** Masks the token and leaves out title, body and data values (user content). */
    @Override
    public String toString() {
        return "PushRequest[pushId=" + pushId + ", platform=" + platform + ", token=" + Tokens.mask(token)
                + ", appId=" + appId + ", dataKeys=" + new TreeSet<>(data.keySet()) + ", collapseKey=" + collapseKey
                + ", expiresAt=" + expiresAt + ", priority=" + priority + ", pushType=" + pushType
                + ", badge=" + badge + ", sound=" + sound + (webPush == null ? "" : ", webPush=" + webPush) + "]";
    }

    private static String canonicalUuid(String pushId) {
        String lower = pushId.toLowerCase(Locale.ROOT);
        try {
            if (UUID.fromString(lower).toString().equals(lower)) {
                return lower;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("pushId must be a UUID in canonical 8-4-4-4-12 form, was '" + pushId + "'");
    }

    private static Map<String, String> copyData(Map<String, String> data) {
        data.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new IllegalArgumentException("data must not contain null keys or values, key was " + key);
            }
        });
        if (data.containsKey(PUSH_ID_DATA_KEY)) {
            throw new IllegalArgumentException("data must not contain the reserved key " + PUSH_ID_DATA_KEY);
        }
        return Map.copyOf(data);
    }
}
