package io.pushline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PushRequestTest {

    private static final String ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    @Test
    void toStringMasksTheTokenAndLeavesOutContent() {
        PushRequest request = Requests.apns(Requests.APNS_TOKEN);

        assertThat(request.toString())
                .contains(request.pushId(), "a1b2c3…8f90", "dataKeys=[post]", "APNS")
                .doesNotContain(Requests.APNS_TOKEN, "Alice", "Tap to see it", "p-42\"");
    }

    @Test
    void pushIdMustBeACanonicalUuidAndIsStoredLowerCase() {
        assertThat(request(ID.toUpperCase(), Platform.APNS, "topic", Map.of()).pushId()).isEqualTo(ID);
        assertThatIllegalArgumentException().isThrownBy(() -> request("1-2-3-4-5", Platform.APNS, "topic", Map.of()))
                .withMessage("pushId must be a UUID in canonical 8-4-4-4-12 form, was '1-2-3-4-5'");
        assertThatIllegalArgumentException().isThrownBy(() -> request("event-17/device-3", Platform.FCM, null, Map.of()))
                .withMessageContaining("pushId");
    }

    @Test
    void apnsNeedsATopic() {
        assertThatIllegalArgumentException().isThrownBy(() -> request(ID, Platform.APNS, " ", Map.of()))
                .withMessage("appId (the APNs topic) is required for APNS, was blank");
        assertThat(request(ID, Platform.FCM, null, Map.of()).appId()).isNull();
    }

    @Test
    void dataIsCopiedAndMayNotUseThePushIdKey() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> request(ID, Platform.FCM, null, Map.of(PushRequest.PUSH_ID_DATA_KEY, "x")))
                .withMessage("data must not contain the reserved key pushline_push_id");
        assertThat(request(ID, Platform.FCM, null, null).data()).isEmpty();
    }

    @Test
    void tokenIsRequiredAndMaskedInErrors() {
        assertThatNullPointerException().isThrownBy(() -> new PushRequest(ID, Platform.FCM, null, null, null, null, null, null, null,
                Priority.HIGH, PushType.ALERT)).withMessage("token");
        assertThatIllegalArgumentException().isThrownBy(() -> new PushRequest(ID, Platform.FCM, "abcdef/0123456789xyz", null, null, null,
                null, null, null, Priority.HIGH, PushType.ALERT)).withMessageEndingWith("was abcdef…9xyz");
    }

    private static PushRequest request(String pushId, Platform platform, String appId, Map<String, String> data) {
        return new PushRequest(pushId, platform, Requests.APNS_TOKEN, appId, "t", "b", data, null, null, Priority.NORMAL, PushType.ALERT);
    }
}
