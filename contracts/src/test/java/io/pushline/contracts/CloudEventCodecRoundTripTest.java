package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CloudEventCodecRoundTripTest {
  private final CloudEventCodec codec = new CloudEventCodec();

  @ParameterizedTest
  @EnumSource(EventType.class)
  void everyTypeRoundTripsThroughARecord(EventType type) {
    Envelope<EventData> envelope = Samples.envelope(Samples.all().get(type));

    ProducerRecord<String, byte[]> record = codec.toRecord(Topics.EVENTS, envelope);

    assertThat(record.topic()).isEqualTo(Topics.EVENTS);
    assertThat(record.key()).isEqualTo(envelope.key()).isEqualTo(type.keyOf(envelope.data()));
    assertThat(record.partition()).isNull();
    assertThat(codec.decode(record.headers(), record.value())).isEqualTo(new Decoded.Ok(envelope));
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void writtenJsonValidatesAgainstTheSchema(EventType type) throws Exception {
    byte[] value = codec.encode(Samples.envelope(Samples.all().get(type)), new RecordHeaders());
    JsonNode json = Json.MAPPER.readTree(value);
    assertThat(Schemas.violations(type, json)).isEmpty();
  }

  @Test
  void writesBinaryModeHeaders() {
    Envelope<PushTask> envelope = Samples.envelope(Samples.pushTask("c1", 60));
    Headers headers = new RecordHeaders();

    codec.encode(envelope, headers);

    Map<String, String> h = new HashMap<>();
    for (Header header : headers) {
      assertThat(h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8))).as("duplicate " + header.key()).isNull();
    }
    assertThat(h).containsEntry("ce_specversion", "1.0")
        .containsEntry("ce_id", Samples.EVENT_ID)
        .containsEntry("ce_source", "urn:pushline:test")
        .containsEntry("ce_type", "io.pushline.push.task.v1")
        .containsEntry("content-type", "application/json")
        .containsEntry("ce_dataschema", "https://schemas.pushline.io/v1/push-task.schema.json");
    assertThat(Instant.parse(h.get("ce_time"))).isEqualTo(Samples.T0);
  }

  @Test
  void writesIsoInstantsAndOmitsNulls() throws Exception {
    byte[] withNulls = codec.encode(Samples.envelope(Samples.pushTask(null, null)), new RecordHeaders());
    JsonNode task = Json.MAPPER.readTree(withNulls);
    assertThat(task.has("collapseKey")).isFalse();
    assertThat(task.has("ttlSeconds")).isFalse();

    byte[] receipt = codec.encode(Samples.envelope(Samples.all().get(EventType.PUSH_RECEIPT)), new RecordHeaders());
    JsonNode json = Json.MAPPER.readTree(receipt);
    assertThat(json.path("decidedAt").asText()).isEqualTo("2025-01-31T12:00:00.123456789Z");
    assertThat(json.has("reason")).isFalse();
    assertThat(json.has("type")).as("EventData.type() is not a property").isFalse();
  }

  @Test
  void badgeSoundAndKindRoundTripAndAreOmittedWhenNull() throws Exception {
    PushTask plain = Samples.pushTask(null, null);
    PushTask background = new PushTask(plain.pushId(), plain.sourceEventId(), plain.userId(), plain.token(),
        plain.platform(), plain.appId(), plain.title(), plain.body(), plain.data(), null, null, plain.priority(),
        plain.lane(), 3, "chime.caf", PushKind.BACKGROUND);
    Headers headers = new RecordHeaders();
    byte[] bytes = codec.encode(Samples.envelope(background), headers);

    Decoded decoded = codec.decode(headers, bytes);
    assertThat(decoded).isInstanceOf(Decoded.Ok.class);
    assertThat(((Decoded.Ok) decoded).envelope().data()).isEqualTo(background);
    assertThat(background.kindOrAlert()).isEqualTo(PushKind.BACKGROUND);

    JsonNode json = Json.MAPPER.readTree(codec.encode(Samples.envelope(plain), new RecordHeaders()));
    assertThat(json.has("badge")).isFalse();
    assertThat(json.has("sound")).isFalse();
    assertThat(json.has("kind")).isFalse();
    assertThat(json.has("kindOrAlert")).isFalse();
    assertThat(plain.kindOrAlert()).isEqualTo(PushKind.ALERT);
  }

  @Test
  void optionalFieldsRoundTripWhenSet() {
    Envelope<PushTask> envelope = Samples.envelope(Samples.pushTask("like:post-9", 3600));
    ProducerRecord<String, byte[]> record = codec.toRecord(Topics.PUSH_HIGH, envelope);
    assertThat(codec.decode(record.headers(), record.value())).isEqualTo(new Decoded.Ok(envelope));
  }

  @Test
  void explicitNullsFromForeignPublishersAreAccepted() {
    String json = "{\"pushId\":\"p1\",\"sourceEventId\":\"e1\",\"token\":\"" + Samples.TOKEN + "\",\"platform\":\"FCM\","
        + "\"status\":\"REJECTED\",\"providerId\":null,\"reason\":\"BadDeviceToken\",\"decidedAt\":\"2025-01-31T12:00:00Z\"}";
    Decoded decoded = codec.decode(Samples.headers("io.pushline.push.receipt.v1"), Samples.utf8(json));
    assertThat(decoded).isInstanceOf(Decoded.Ok.class);
    PushReceipt receipt = (PushReceipt) ((Decoded.Ok) decoded).envelope().data();
    assertThat(receipt.providerId()).isNull();
    assertThat(receipt.reason()).isEqualTo("BadDeviceToken");
  }

  @Test
  void acceptsRfc3339OffsetsAndJsonContentTypeParameters() {
    Headers headers = Samples.headers("io.pushline.device.unregistered.v1");
    headers.remove("content-type");
    Samples.add(headers, "content-type", "application/json; charset=utf-8");
    String json = "{\"token\":\"" + Samples.TOKEN + "\",\"invalidatedAt\":\"2025-01-31T13:00:00+01:00\",\"reason\":\"Unregistered\"}";
    Decoded decoded = codec.decode(headers, Samples.utf8(json));
    assertThat(decoded).isInstanceOf(Decoded.Ok.class);
    DeviceUnregistered data = (DeviceUnregistered) ((Decoded.Ok) decoded).envelope().data();
    assertThat(data.invalidatedAt()).isEqualTo(Instant.parse("2025-01-31T12:00:00Z"));
  }

  @Test
  void explicitPartitionAndKeyAreKept() {
    Envelope<EventData> envelope = Samples.envelope(Samples.all().get(EventType.DEVICE_REGISTERED));
    String key = Keys.compound("user-1", Samples.TOKEN);
    ProducerRecord<String, byte[]> record = codec.toRecord(Topics.STATE_DEVICES, 3, key, envelope);
    assertThat(record.partition()).isEqualTo(3);
    assertThat(record.key()).isEqualTo(key);
    assertThat(codec.decode(record.headers(), record.value())).isEqualTo(new Decoded.Ok(envelope));
  }

  @Test
  void encodeReplacesStaleCloudEventHeadersAndKeepsOthers() {
    Headers headers = Samples.headers("io.pushline.old.v1");
    Samples.add(headers, "traceparent", "00-abc-def-01");
    Envelope<EventData> envelope = Samples.envelope(Samples.all().get(EventType.FOLLOW_CREATED));

    byte[] value = codec.encode(envelope, headers);

    assertThat(headers.headers("ce_type")).hasSize(1);
    assertThat(new String(headers.lastHeader("ce_type").value(), StandardCharsets.UTF_8)).isEqualTo("io.pushline.follow.created.v1");
    assertThat(headers.lastHeader("traceparent")).isNotNull();
    assertThat(codec.decode(headers, value)).isEqualTo(new Decoded.Ok(envelope));
  }

  @Test
  void encodeRejectsDataThatBreaksTheSchemaNamingTheField() {
    PushTask tooLong = new PushTask("p1", "e1", "user-1", Samples.TOKEN, Platform.FCM, "app", "x".repeat(257), "",
        Map.of(), null, null, Priority.NORMAL, Lane.BULK);
    assertThatThrownBy(() -> codec.toRecord(Topics.PUSH_BULK, Samples.envelope(tooLong)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PushTask breaks push-task.schema.json")
        .hasMessageContaining("title: must be at most 256 characters")
        .hasMessageNotContaining(Samples.TOKEN);
  }

  @Test
  void encodeRejectsDataLargerThanTheLimit() {
    CloudEventCodec small = new CloudEventCodec(64);
    Envelope<EventData> envelope = Samples.envelope(Samples.all().get(EventType.TIMELINE_POSTED));
    assertThatThrownBy(() -> small.toRecord(Topics.EVENTS, envelope))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxEventBytes is 64");
  }

  @Test
  void constructorRejectsANonPositiveLimitNamingIt() {
    assertThatThrownBy(() -> new CloudEventCodec(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxEventBytes must be > 0 but was 0");
    assertThat(new CloudEventCodec().maxEventBytes()).isEqualTo(CloudEventCodec.DEFAULT_MAX_EVENT_BYTES);
  }

  @Test
  void envelopeValidatesItsComponents() {
    EventData data = Samples.all().get(EventType.POST_CREATED);
    assertThatThrownBy(() -> Envelope.of(null, Samples.SOURCE, Samples.T0, data))
        .isInstanceOf(NullPointerException.class).hasMessage("Envelope.id must not be null");
    assertThatThrownBy(() -> Envelope.of("e1", Samples.SOURCE, Samples.T0, null))
        .isInstanceOf(NullPointerException.class).hasMessage("Envelope.data must not be null");
    assertThatThrownBy(() -> Envelope.of("a|b", Samples.SOURCE, Samples.T0, data))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Envelope.id must match").hasMessageContaining("'a|b'");
    assertThat(Envelope.of("e1", Samples.SOURCE, Samples.T0, data).key()).isEqualTo("user-1");
  }

  @Test
  void recordsRejectNullRequiredComponentsAndRedactTokens() {
    assertThatThrownBy(() -> new DeviceRegistered("u", null, Platform.APNS, "a", Samples.T0))
        .isInstanceOf(NullPointerException.class).hasMessage("DeviceRegistered.token must not be null");
    assertThat(Samples.all().values()).isNotEmpty().allSatisfy(d -> assertThat(d.toString()).doesNotContain(Samples.TOKEN, Samples.FCM_TOKEN));
  }

  @Test
  void timelineEntryUpdatedRejectsANegativeLikeCount() {
    assertThatThrownBy(() -> new TimelineEntryUpdated("user-1", "post-9", -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("TimelineEntryUpdated.likeCount must be >= 0 but was -1");
    assertThat(new TimelineEntryUpdated("user-1", "post-9", 0).likeCount()).isZero();
  }

  @Test
  void notificationUpdatedLatestActorsAreAnUnmodifiableCopy() {
    List<String> actors = new ArrayList<>(List.of("user-2", "user-4"));
    NotificationUpdated n = Samples.notification(actors, 2);
    actors.add("user-5");
    assertThat(n.latestActorIds()).containsExactly("user-2", "user-4");
    assertThatThrownBy(() -> n.latestActorIds().add("user-6")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void notificationUpdatedValidatesItsActors() {
    assertThatThrownBy(() -> Samples.notification(List.of("a", "b", "c", "d"), 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("NotificationUpdated.latestActorIds must hold at most 3 ids but held 4");
    assertThatThrownBy(() -> Samples.notification(List.of("a", "b"), -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("NotificationUpdated.actorCount must be >= 0 but was -1");
    assertThatThrownBy(() -> Samples.notification(List.of(), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("NotificationUpdated.latestActorIds must not be empty when actorCount is 2"
            + " (only a retracted notification, actorCount 0, lists no actors)");
    assertThatThrownBy(() -> Samples.notification(List.of("a", "b"), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("NotificationUpdated.latestActorIds must hold at most actorCount (1) ids but held 2");
    assertThatThrownBy(() -> Samples.notification(List.of("a", "b", "a"), 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("NotificationUpdated.latestActorIds must not repeat an id but holds 'a' twice");
    assertThatThrownBy(() -> Samples.notification(Arrays.asList("a", null), 5))
        .isInstanceOf(NullPointerException.class).hasMessage("NotificationUpdated.latestActorIds[1] must not be null");
    assertThatThrownBy(() -> Samples.notification(null, 0))
        .isInstanceOf(NullPointerException.class).hasMessage("NotificationUpdated.latestActorIds must not be null");
  }

  @Test
  void aRetractedNotificationRoundTrips() throws Exception {
    NotificationUpdated retracted = new NotificationUpdated("like:user-1:post-9", "user-1", NotificationKind.LIKE,
        "post-9", List.of(), 0, "", "like:post-9", Samples.T0);
    ProducerRecord<String, byte[]> record = codec.toRecord(Topics.NOTIFICATIONS, null,
        Keys.compound(retracted.recipientId(), retracted.notificationId()), Samples.envelope(retracted));
    assertThat(codec.decode(record.headers(), record.value())).isEqualTo(new Decoded.Ok(Samples.envelope(retracted)));
    JsonNode json = Json.MAPPER.readTree(record.value());
    assertThat(json.path("latestActorIds").isArray()).isTrue();
    assertThat(json.path("latestActorIds")).isEmpty();
    assertThat(json.path("actorCount").asLong()).isZero();
  }

  @Test
  void coordinatorOutputsAreWrittenWithEnumNamesAndIsoInstants() throws Exception {
    JsonNode activity = Json.MAPPER.readTree(
        codec.encode(Samples.envelope(Samples.all().get(EventType.ACTIVITY_RECORDED)), new RecordHeaders()));
    assertThat(activity.path("verb").asText()).isEqualTo("LIKED");
    JsonNode notification = Json.MAPPER.readTree(
        codec.encode(Samples.envelope(Samples.all().get(EventType.NOTIFICATION_UPDATED)), new RecordHeaders()));
    assertThat(notification.path("kind").asText()).isEqualTo("LIKE");
    assertThat(notification.path("windowStart").asText()).isEqualTo("2025-01-31T12:00:00.123456789Z");
    assertThat(notification.path("latestActorIds").toString()).isEqualTo("[\"user-2\",\"user-4\",\"user-5\"]");
    JsonNode entry = Json.MAPPER.readTree(
        codec.encode(Samples.envelope(Samples.all().get(EventType.TIMELINE_ENTRY_UPDATED)), new RecordHeaders()));
    assertThat(entry.path("likeCount").isIntegralNumber()).isTrue();
    assertThat(entry.path("likeCount").asLong()).isEqualTo(42);
  }

  @Test
  void pushTaskDataIsAnUnmodifiableSortedCopy() {
    Map<String, String> data = new HashMap<>(Map.of("b", "2", "a", "1"));
    PushTask task = new PushTask("p1", "e1", "u1", Samples.TOKEN, Platform.FCM, "app", "t", "b", data, null, null,
        Priority.NORMAL, Lane.BULK);
    data.put("c", "3");
    assertThat(task.data()).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
    assertThatThrownBy(() -> task.data().put("d", "4")).isInstanceOf(UnsupportedOperationException.class);
  }
}
