package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Data that breaks its schema is rejected with a detail naming the field, never the value. */
class InvalidDataTest {
  private static final CloudEventCodec CODEC = new CloudEventCodec();

  static Stream<Arguments> everyRequiredProperty() {
    List<Arguments> cases = new ArrayList<>();
    for (EventType type : EventType.values()) {
      Schemas.document(type).path("required").forEach(p -> cases.add(Arguments.of(type, p.asText())));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} without {1}")
  @MethodSource("everyRequiredProperty")
  void missingRequiredPropertyIsNamed(EventType type, String property) {
    ObjectNode json = sampleJson(type);
    json.remove(property);
    assertInvalid(type, json, property + ": required property missing");
  }

  static Stream<Arguments> invalidSamples() {
    return Stream.of(
        Arguments.of("wrong enum", EventType.DEVICE_REGISTERED, edit(j -> j.put("platform", "WNS")),
            "platform: must be one of [APNS, FCM, WEBPUSH]"),
        Arguments.of("lower-case enum", EventType.PUSH_TASK, edit(j -> j.put("lane", "bulk")),
            "lane: must be one of [HIGH, BULK]"),
        Arguments.of("receipt status", EventType.PUSH_RECEIPT, edit(j -> j.put("status", "SENT")),
            "status: must be one of [DELIVERED, REJECTED, EXPIRED, FAILED, CANCELLED]"),
        Arguments.of("content kind", EventType.CONTENT_REMOVAL, edit(j -> j.put("kind", "COMMENT")),
            "kind: must be one of [POST, LIKE]"),
        Arguments.of("ban event id with the key separator", EventType.CONTENT_REMOVAL,
            edit(j -> j.put("banEventId", "a|b")), "banEventId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("id with the key separator", EventType.FOLLOW_CREATED, edit(j -> j.put("followerId", "a|b")),
            "followerId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("empty id", EventType.LIKE_CREATED, edit(j -> j.put("postId", "")),
            "postId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("id too long", EventType.POST_CREATED, edit(j -> j.put("postId", "p".repeat(129))),
            "postId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("token too short", EventType.DEVICE_UNREGISTERED, edit(j -> j.put("token", "abc")),
            "token: must match ^[A-Za-z0-9_:.-]{8,4096}$"),
        Arguments.of("extra property", EventType.PROFILE_BANNED, edit(j -> j.put("bannedBy", "admin")),
            "bannedBy: unknown property"),
        Arguments.of("bad date-time", EventType.DEVICE_REGISTERED, edit(j -> j.put("registeredAt", "2025-13-01T00:00:00Z")),
            "registeredAt: must be a valid date-time"),
        Arguments.of("date without time", EventType.DEVICE_UNREGISTERED, edit(j -> j.put("invalidatedAt", "2025-01-31")),
            "invalidatedAt: must be a valid date-time"),
        Arguments.of("epoch number instead of date-time", EventType.PUSH_RECEIPT, edit(j -> j.put("decidedAt", 1738324800)),
            "decidedAt: must be string but was integer"),
        Arguments.of("title too long", EventType.TIMELINE_POSTED, edit(j -> j.put("title", "t".repeat(257))),
            "title: must be at most 256 characters"),
        Arguments.of("empty title", EventType.TIMELINE_POSTED, edit(j -> j.put("title", "")),
            "title: must be at least 1 characters"),
        Arguments.of("ttl out of range", EventType.PUSH_TASK, edit(j -> j.put("ttlSeconds", -1)),
            "ttlSeconds: must have a minimum value of 0"),
        Arguments.of("ttl fraction", EventType.PUSH_TASK, edit(j -> j.put("ttlSeconds", 1.5)),
            "ttlSeconds: must be [integer, null] but was number"),
        Arguments.of("data value not a string", EventType.PUSH_TASK, edit(j -> ((ObjectNode) j.get("data")).put("n", 1)),
            "data.n: must be string but was integer"),
        Arguments.of("FCM-reserved data key", EventType.PUSH_TASK, edit(j -> ((ObjectNode) j.get("data")).put("google.x", "1")),
            "data: key 'google.x' is not allowed"),
        Arguments.of("data not an object", EventType.PUSH_TASK, edit(j -> j.putArray("data")),
            "data: must be object but was array"),
        Arguments.of("negative badge", EventType.PUSH_TASK, edit(j -> j.put("badge", -1)),
            "badge: must have a minimum value of 0"),
        Arguments.of("sound as a path", EventType.PUSH_TASK, edit(j -> j.put("sound", "../etc/passwd")),
            "sound: must match ^[A-Za-z0-9._-]{1,64}$"),
        Arguments.of("unknown push kind", EventType.PUSH_TASK, edit(j -> j.put("kind", "VOIP")),
            "kind: must be one of [ALERT, BACKGROUND, null]"),
        Arguments.of("null for a required property", EventType.FOLLOW_REMOVED, edit(j -> j.putNull("followeeId")),
            "followeeId: must be string but was null"),
        Arguments.of("unlike with the key separator", EventType.LIKE_REMOVED, edit(j -> j.put("actorId", "a|b")),
            "actorId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("negative like count", EventType.TIMELINE_ENTRY_UPDATED, edit(j -> j.put("likeCount", -1)),
            "likeCount: must have a minimum value of 0"),
        Arguments.of("like count fraction", EventType.TIMELINE_ENTRY_UPDATED, edit(j -> j.put("likeCount", 1.5)),
            "likeCount: must be integer but was number"),
        Arguments.of("like count as a string", EventType.TIMELINE_ENTRY_UPDATED, edit(j -> j.put("likeCount", "3")),
            "likeCount: must be integer but was string"),
        Arguments.of("lower-case activity verb", EventType.ACTIVITY_RECORDED, edit(j -> j.put("verb", "liked")),
            "verb: must be one of [LIKED, UNLIKED, FOLLOWED]"),
        Arguments.of("activity object with the key separator", EventType.ACTIVITY_RECORDED,
            edit(j -> j.put("objectId", "a|b")), "objectId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("notification kind", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("kind", "COMMENT")),
            "kind: must be one of [LIKE, FOLLOW]"),
        Arguments.of("notification id with the key separator", EventType.NOTIFICATION_UPDATED,
            edit(j -> j.put("notificationId", "a|b")), "notificationId: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("more than 3 latest actors", EventType.NOTIFICATION_UPDATED,
            edit(j -> ((ArrayNode) j.get("latestActorIds")).add("user-6")), "latestActorIds: must have at most 3 items but found 4"),
        Arguments.of("latest actor with the key separator", EventType.NOTIFICATION_UPDATED,
            edit(j -> ((ArrayNode) j.get("latestActorIds")).set(1, "a|b")),
            "latestActorIds[1]: must match ^[A-Za-z0-9._:@-]{1,128}$"),
        Arguments.of("latest actor repeated", EventType.NOTIFICATION_UPDATED,
            edit(j -> ((ArrayNode) j.get("latestActorIds")).set(2, "user-2")), "latestActorIds: must have only unique items in the array"),
        Arguments.of("latest actors not an array", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("latestActorIds", "user-2")),
            "latestActorIds: must be array but was string"),
        Arguments.of("no latest actors though some acted", EventType.NOTIFICATION_UPDATED,
            edit(j -> j.putArray("latestActorIds")), "latestActorIds: must have at least 1 items but found 0"),
        Arguments.of("latest actors of a retracted notification", EventType.NOTIFICATION_UPDATED,
            edit(j -> j.put("actorCount", 0)), "latestActorIds: must have at most 0 items but found 3"),
        Arguments.of("more latest actors than actors", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("actorCount", 2)),
            "latestActorIds: must have at most 2 items but found 3"),
        Arguments.of("negative actor count", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("actorCount", -1)),
            "actorCount: must have a minimum value of 0"),
        Arguments.of("notification text too long", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("text", "t".repeat(513))),
            "text: must be at most 512 characters"),
        Arguments.of("empty collapse key", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("collapseKey", "")),
            "collapseKey: must match ^[A-Za-z0-9._:@-]{1,64}$"),
        Arguments.of("collapse key too long", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("collapseKey", "k".repeat(65))),
            "collapseKey: must match ^[A-Za-z0-9._:@-]{1,64}$"),
        Arguments.of("window start without time", EventType.NOTIFICATION_UPDATED, edit(j -> j.put("windowStart", "2025-01-31")),
            "windowStart: must be a valid date-time"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSamples")
  void invalidSampleIsRejectedNamingTheField(String name, EventType type, Consumer<ObjectNode> edit, String detail) {
    ObjectNode json = sampleJson(type);
    edit.accept(json);
    assertInvalid(type, json, detail);
  }

  @Test
  void everyViolationIsReportedInOneDetail() {
    ObjectNode json = sampleJson(EventType.DEVICE_REGISTERED);
    json.remove("token");
    json.put("platform", "WNS");
    json.put("extra", true);
    Decoded decoded = CODEC.decode(Samples.headers(EventType.DEVICE_REGISTERED.ceType()), Samples.utf8(json.toString()));
    assertThat(decoded).isEqualTo(new Decoded.Invalid(DeadLetterReason.SCHEMA_VIOLATION, List.of(
        new Decoded.Violation("extra", "unknown property"),
        new Decoded.Violation("platform", "must be one of [APNS, FCM, WEBPUSH]"),
        new Decoded.Violation("token", "required property missing"))));
    assertThat(((Decoded.Invalid) decoded).detail())
        .isEqualTo("extra: unknown property; platform: must be one of [APNS, FCM, WEBPUSH]; token: required property missing");
  }

  @Test
  void aProblemThatContainsTheSeparatorStaysOneViolation() {
    Headers headers = Samples.headers("io.pushline.a; b: c");
    Decoded decoded = CODEC.decode(headers, Samples.utf8(sampleJson(EventType.LIKE_CREATED).toString()));
    assertThat(decoded).isEqualTo(new Decoded.Invalid(DeadLetterReason.UNKNOWN_TYPE, "ce_type", "unknown type 'io.pushline.a; b: c'"));
  }

  @Test
  void rootThatIsNotAnObjectIsNamed() {
    Decoded decoded = CODEC.decode(Samples.headers(EventType.POST_CREATED.ceType()), Samples.utf8("[1,2]"));
    assertThat(decoded).isEqualTo(Samples.invalid(DeadLetterReason.SCHEMA_VIOLATION, "(root): must be object but was array"));
  }

  @Test
  void detailsNeverEchoValues() {
    ObjectNode json = sampleJson(EventType.PUSH_TASK);
    json.put("token", "secret-token|with-a-bar");
    json.put("title", "S".repeat(300));
    Decoded decoded = CODEC.decode(Samples.headers(EventType.PUSH_TASK.ceType()), Samples.utf8(json.toString()));
    assertThat(decoded).isInstanceOf(Decoded.Invalid.class);
    assertThat(((Decoded.Invalid) decoded).detail()).doesNotContain("secret-token", "SSSS");
  }

  private static Consumer<ObjectNode> edit(Consumer<ObjectNode> edit) {
    return edit;
  }

  private static ObjectNode sampleJson(EventType type) {
    return (ObjectNode) Json.MAPPER.valueToTree(Samples.all().get(type));
  }

  private static void assertInvalid(EventType type, JsonNode json, String detail) {
    Decoded decoded = CODEC.decode(Samples.headers(type.ceType()), Samples.utf8(json.toString()));
    assertThat(decoded).isEqualTo(Samples.invalid(DeadLetterReason.SCHEMA_VIOLATION, detail));
  }
}
