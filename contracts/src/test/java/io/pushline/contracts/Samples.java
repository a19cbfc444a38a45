package io.pushline.contracts;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Valid sample data for every event type, and helpers to build raw records. */
final class Samples {
  static final String TOKEN = "f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a798";
  static final String FCM_TOKEN = "dGVzdC10b2tlbg:APA91bH-test_token-value.1234";
  static final Instant T0 = Instant.parse("2025-01-31T12:00:00.123456789Z");
  static final URI SOURCE = URI.create("urn:pushline:test");
  static final String EVENT_ID = "0b4e7a52-1d4c-4f7e-9d5e-3f1b2a6c7d8e";

  private Samples() {
  }

  static Map<EventType, EventData> all() {
    Map<EventType, EventData> m = new EnumMap<>(EventType.class);
    m.put(EventType.DEVICE_REGISTERED, new DeviceRegistered("user-1", TOKEN, Platform.APNS, "com.example.app", T0));
    m.put(EventType.DEVICE_UNREGISTERED, new DeviceUnregistered(FCM_TOKEN, T0, "UNREGISTERED"));
    m.put(EventType.FOLLOW_CREATED, new FollowCreated("user-2", "user-1"));
    m.put(EventType.FOLLOW_REMOVED, new FollowRemoved("user-2", "user-1"));
    m.put(EventType.POST_CREATED, new PostCreated("post-9", "user-1"));
    m.put(EventType.LIKE_CREATED, new LikeCreated("user-2", "post-9", "user-1"));
    m.put(EventType.LIKE_REMOVED, new LikeRemoved("user-2", "post-9", "user-1"));
    m.put(EventType.TIMELINE_POSTED, new TimelinePosted("post-9", "user-1", "Alice posted", "Hello, wörld ✓", "news.example"));
    m.put(EventType.PROFILE_BANNED, new ProfileBanned("user-3", "spam"));
    m.put(EventType.PUSH_TASK, pushTask(null, null));
    m.put(EventType.PUSH_RECEIPT, new PushReceipt(PushIds.pushId("urn:pushline:test", EVENT_ID, TOKEN), EVENT_ID, TOKEN, Platform.APNS,
        ReceiptStatus.DELIVERED, "6F5D3C9B-8E7A-4B1C-9D2E-1A2B3C4D5E6F", null, T0));
    m.put(EventType.CONTENT_REMOVAL, new ContentRemoval("user-3", ContentKind.LIKE, "post-9", "user-1", EVENT_ID));
    m.put(EventType.TIMELINE_ENTRY_UPDATED, new TimelineEntryUpdated("user-1", "post-9", 42));
    m.put(EventType.ACTIVITY_RECORDED, new ActivityRecorded("user-2", ActivityVerb.LIKED, "post-9", "user-1"));
    m.put(EventType.NOTIFICATION_UPDATED, notification(List.of("user-2", "user-4", "user-5"), 5));
    m.put(EventType.USER_PREFERENCES_UPDATED, new UserPreferencesUpdated("user-1", "Europe/Berlin",
        List.of(new UserPreferencesUpdated.QuietWindow(List.of(java.time.DayOfWeek.MONDAY, java.time.DayOfWeek.FRIDAY), "22:00", "07:00")),
        List.of("timeline"), T0));
    return m;
  }

  static PushTask pushTask(String collapseKey, Integer ttlSeconds) {
    return new PushTask(PushIds.pushId("urn:pushline:test", EVENT_ID, TOKEN), EVENT_ID, "user-1", TOKEN, Platform.APNS, "com.example.app",
        "Bob liked your post", "", Map.of("postId", "post-9", "kind", "like"), collapseKey, ttlSeconds,
        Priority.HIGH, Lane.HIGH);
  }

  /** A like notification of post-9 for user-1, with these actors. */
  static NotificationUpdated notification(List<String> latestActorIds, long actorCount) {
    return new NotificationUpdated("like:user-1:post-9", "user-1", NotificationKind.LIKE, "post-9", latestActorIds,
        actorCount, "Bob, Carol and 3 others liked your post ✓", "like:post-9", T0);
  }

  static <D extends EventData> Envelope<D> envelope(D data) {
    return Envelope.of(EVENT_ID, SOURCE, T0, data);
  }

  /** Binary-mode headers for {@code ceType}, written by hand as a foreign publisher would. */
  static Headers headers(String ceType) {
    RecordHeaders h = new RecordHeaders();
    add(h, "ce_specversion", "1.0");
    add(h, "ce_id", EVENT_ID);
    add(h, "ce_source", SOURCE.toString());
    add(h, "ce_type", ceType);
    add(h, "ce_time", "2025-01-31T12:00:00Z");
    add(h, "content-type", "application/json");
    return h;
  }

  static Headers without(Headers headers, String key) {
    headers.remove(key);
    return headers;
  }

  static Headers add(Headers h, String key, String value) {
    h.add(key, value.getBytes(StandardCharsets.UTF_8));
    return h;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The Invalid a test expects, written as its detail: {@code "field: problem"} (split at the first ": "). */
  static Decoded.Invalid invalid(DeadLetterReason reason, String detail) {
    int colon = detail.indexOf(": ");
    return new Decoded.Invalid(reason, detail.substring(0, colon), detail.substring(colon + 2));
  }
}
