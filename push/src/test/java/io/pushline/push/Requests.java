package io.pushline.push;

import java.util.Map;
import java.util.UUID;

/** Test requests. */
final class Requests {

    static final String APNS_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    static final String FCM_TOKEN = "fcm-token-eXampleRegistrationToken:APA91bHun4MxP5egoKMwt2KZFBaFUH";
    static final String TOPIC = "io.pushline.demo";

    private Requests() {
    }

    static PushRequest apns(String token) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.APNS, token, TOPIC, "Alice liked your post", "Tap to see it",
                Map.of("post", "p-42"), "like-p-42", null, Priority.HIGH, PushType.ALERT);
    }

    static PushRequest fcm(String token) {
        return new PushRequest(UUID.randomUUID().toString(), Platform.FCM, token, null, "Alice liked your post", "Tap to see it",
                Map.of("post", "p-42"), "like-p-42", null, Priority.HIGH, PushType.ALERT);
    }

    static PushRequest withBody(PushRequest request, String body) {
        return new PushRequest(request.pushId(), request.platform(), request.token(), request.appId(), request.title(), body,
                request.data(), request.collapseKey(), request.expiresAt(), request.priority(), request.pushType());
    }
}
