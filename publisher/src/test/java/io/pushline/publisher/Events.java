package io.pushline.publisher;

import io.pushline.contracts.ActivityRecorded;
import io.pushline.contracts.ActivityVerb;
import io.pushline.contracts.ContentKind;
import io.pushline.contracts.ContentRemoval;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.EventData;
import io.pushline.contracts.EventType;
import io.pushline.contracts.FollowCreated;
import io.pushline.contracts.FollowRemoved;
import io.pushline.contracts.Lane;
import io.pushline.contracts.LikeCreated;
import io.pushline.contracts.LikeRemoved;
import io.pushline.contracts.NotificationKind;
import io.pushline.contracts.NotificationUpdated;
import io.pushline.contracts.Platform;
import io.pushline.contracts.PostCreated;
import io.pushline.contracts.Priority;
import io.pushline.contracts.ProfileBanned;
import io.pushline.contracts.PushIds;
import io.pushline.contracts.PushReceipt;
import io.pushline.contracts.PushTask;
import io.pushline.contracts.ReceiptStatus;
import io.pushline.contracts.TimelineEntryUpdated;
import io.pushline.contracts.TimelinePosted;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Valid data of every event type, and the key the README's table gives each public one (written out, not computed). */
final class Events {
    static final String APNS_TOKEN = "f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a798";
    static final String FCM_TOKEN = "dGVzdC10b2tlbg:APA91bH-test_token-value.1234";
    static final Instant T0 = Instant.parse("2026-11-22T10:00:00.123Z");
    private static final String EVENT_ID = "0b4e7a52-1d4c-4f7e-9d5e-3f1b2a6c7d8e";

    /** An event of the type, and its expected Kafka key. */
    record Sample(EventData data, String key) {}

    private Events() {}

    /** One of each type services may publish, in the README's order. */
    static Map<EventType, Sample> publishable() {
        Map<EventType, Sample> m = new EnumMap<>(EventType.class);
        m.put(EventType.DEVICE_REGISTERED,
                new Sample(new DeviceRegistered("user-1", APNS_TOKEN, Platform.APNS, "com.example.app", T0), APNS_TOKEN));
        m.put(EventType.DEVICE_UNREGISTERED, new Sample(new DeviceUnregistered(FCM_TOKEN, T0, "UNREGISTERED"), FCM_TOKEN));
        m.put(EventType.FOLLOW_CREATED, new Sample(new FollowCreated("user-2", "user-1"), "user-2"));
        m.put(EventType.FOLLOW_REMOVED, new Sample(new FollowRemoved("user-3", "user-1"), "user-3"));
        m.put(EventType.POST_CREATED, new Sample(new PostCreated("post-9", "user-4"), "user-4"));
        m.put(EventType.LIKE_CREATED, new Sample(new LikeCreated("user-2", "post-9", "user-5"), "user-5"));
        m.put(EventType.LIKE_REMOVED, new Sample(new LikeRemoved("user-2", "post-9", "user-6"), "user-6"));
        m.put(EventType.TIMELINE_POSTED,
                new Sample(new TimelinePosted("post-10", "user-7", "Alice posted", "Hello, wörld ✓"), "user-7"));
        m.put(EventType.PROFILE_BANNED, new Sample(new ProfileBanned("user-8", "spam"), "user-8"));
        m.put(EventType.USER_PREFERENCES_UPDATED, new Sample(new io.pushline.contracts.UserPreferencesUpdated("user-9", "Europe/Berlin",
                List.of(new io.pushline.contracts.UserPreferencesUpdated.QuietWindow(List.of(java.time.DayOfWeek.SUNDAY), "22:00", "07:00")),
                List.of("like"), T0), "user-9"));
        return m;
    }

    /** One of each type only Pushline writes. */
    static List<EventData> internal() {
        return List.of(
                new PushTask(PushIds.pushId("urn:pushline:test", EVENT_ID, APNS_TOKEN), EVENT_ID, "user-1", APNS_TOKEN, Platform.APNS,
                        "com.example.app", "Bob liked your post", "", Map.of("postId", "post-9"), null, null,
                        Priority.HIGH, Lane.HIGH),
                new PushReceipt(PushIds.pushId("urn:pushline:test", EVENT_ID, APNS_TOKEN), EVENT_ID, APNS_TOKEN, Platform.APNS,
                        ReceiptStatus.DELIVERED, null, null, T0),
                new ContentRemoval("user-3", ContentKind.LIKE, "post-9", "user-1", EVENT_ID),
                new TimelineEntryUpdated("user-1", "post-9", 42),
                new ActivityRecorded("user-2", ActivityVerb.LIKED, "post-9", "user-1"),
                new NotificationUpdated("like:user-1:post-9", "user-1", NotificationKind.LIKE, "post-9",
                        List.of("user-2"), 1, "Bob liked your post", "like:post-9", T0));
    }
}
