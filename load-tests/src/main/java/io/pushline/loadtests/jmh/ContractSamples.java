package io.pushline.loadtests.jmh;

import io.pushline.contracts.ActivityRecorded;
import io.pushline.contracts.ActivityVerb;
import io.pushline.contracts.DeviceRegistered;
import io.pushline.contracts.DeviceUnregistered;
import io.pushline.contracts.Envelope;
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
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One valid, typically sized event of every contract type (the same data as the contracts module's tests). */
final class ContractSamples {
    static final String APNS_TOKEN = "f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a7980f3a1c2d4e5b6a798";
    static final String FCM_TOKEN = "dGVzdC10b2tlbg:APA91bH-test_token-value.1234";
    static final Instant TIME = Instant.parse("2025-01-31T12:00:00.123456789Z");
    static final URI SOURCE = URI.create("urn:pushline:bench");
    static final String EVENT_ID = "0b4e7a52-1d4c-4f7e-9d5e-3f1b2a6c7d8e";

    private ContractSamples() {
    }

    /**
     * A valid envelope of {@code type}.
     *
     * @throws IllegalStateException for a type added to the contracts without a sample here
     */
    static Envelope<EventData> envelope(EventType type) {
        return Envelope.of(EVENT_ID, SOURCE, TIME, data(type));
    }

    private static EventData data(EventType type) {
        String pushId = PushIds.pushId("urn:pushline:test", EVENT_ID, APNS_TOKEN);
        switch (type) {
            case DEVICE_REGISTERED:
                return new DeviceRegistered("user-1", APNS_TOKEN, Platform.APNS, "com.example.app", TIME);
            case DEVICE_UNREGISTERED:
                return new DeviceUnregistered(FCM_TOKEN, TIME, "UNREGISTERED");
            case FOLLOW_CREATED:
                return new FollowCreated("user-2", "user-1");
            case FOLLOW_REMOVED:
                return new FollowRemoved("user-2", "user-1");
            case POST_CREATED:
                return new PostCreated("post-9", "user-1");
            case LIKE_CREATED:
                return new LikeCreated("user-2", "post-9", "user-1");
            case LIKE_REMOVED:
                return new LikeRemoved("user-2", "post-9", "user-1");
            case TIMELINE_POSTED:
                return new TimelinePosted("post-9", "user-1", "Alice posted", "Hello, wörld ✓");
            case PROFILE_BANNED:
                return new ProfileBanned("user-3", "spam");
            case PUSH_TASK:
                return new PushTask(pushId, EVENT_ID, "user-1", APNS_TOKEN, Platform.APNS, "com.example.app",
                        "Bob liked your post", "", Map.of("postId", "post-9", "kind", "like"), null, null,
                        Priority.HIGH, Lane.HIGH);
            case PUSH_RECEIPT:
                return new PushReceipt(pushId, EVENT_ID, APNS_TOKEN, Platform.APNS, ReceiptStatus.DELIVERED,
                        "6F5D3C9B-8E7A-4B1C-9D2E-1A2B3C4D5E6F", null, TIME);
            case CONTENT_REMOVAL:
                return new io.pushline.contracts.ContentRemoval("user-3", io.pushline.contracts.ContentKind.POST, "post-9", "user-3", EVENT_ID);
            case TIMELINE_ENTRY_UPDATED:
                return new TimelineEntryUpdated("user-1", "post-9", 42);
            case ACTIVITY_RECORDED:
                return new ActivityRecorded("user-2", ActivityVerb.LIKED, "post-9", "user-1");
            case NOTIFICATION_UPDATED:
                return new NotificationUpdated("like:user-1:post-9", "user-1", NotificationKind.LIKE, "post-9",
                        List.of("user-2", "user-4", "user-5"), 5, "Bob, Carol and 3 others liked your post",
                        "like:post-9", TIME);
            case USER_PREFERENCES_UPDATED:
                return new io.pushline.contracts.UserPreferencesUpdated("user-1", "Europe/Berlin",
                        List.of(new io.pushline.contracts.UserPreferencesUpdated.QuietWindow(
                                List.of(java.time.DayOfWeek.MONDAY, java.time.DayOfWeek.TUESDAY), "22:00", "07:00")),
                        List.of("like"), TIME);
            default:
                throw new IllegalStateException("no benchmark sample for event type " + type
                        + "; add one to " + ContractSamples.class.getName());
        }
    }
}
