package io.pushline.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * The codec's fast paths (direct header writing, the decode shortcut for records in Pushline's own shape, and the
 * trusted types' skipped schema check) must be invisible: the same records as the CloudEvents SDK writes, and the
 * same decode result as the full path for every input, but for the schema check of trusted types.
 */
class CloudEventCodecFastPathTest {
  private final CloudEventCodec codec = new CloudEventCodec();
  private final CloudEventCodec trusting = codec.trusting(EventType.PUSH_TASK, EventType.PUSH_RECEIPT);

  @Test
  void encodedRecordsAreWhatTheCloudEventsSdkWritesForEveryType() throws Exception {
    for (EventData data : Samples.all().values()) {
      Envelope<EventData> envelope = Samples.envelope(data);
      CloudEvent event = CloudEventBuilder.v1()
          .withId(envelope.id())
          .withSource(envelope.source())
          .withType(data.type().ceType())
          .withTime(envelope.time().atOffset(ZoneOffset.UTC))
          .withDataContentType(CloudEventCodec.CONTENT_TYPE)
          .withDataSchema(URI.create(Schemas.id(data.type())))
          .withData(Json.MAPPER.writeValueAsBytes(Json.MAPPER.valueToTree(data)))
          .build();
      ProducerRecord<String, byte[]> sdk = KafkaMessageFactory.<String>createWriter("t", null, "k").writeBinary(event);
      for (CloudEventCodec c : List.of(codec, trusting)) {
        ProducerRecord<String, byte[]> ours = c.toRecord("t", null, "k", envelope);
        assertThat(headerMap(ours.headers())).as("%s headers", data.type()).isEqualTo(headerMap(sdk.headers()));
        assertThat(ours.value()).as("%s value", data.type()).isEqualTo(sdk.value());
      }
    }
  }

  @Test
  void everyWellFormedRecordDecodesToTheSameEnvelopeAsTheFullPath() {
    for (EventData data : Samples.all().values()) {
      ProducerRecord<String, byte[]> r = codec.toRecord("t", Samples.envelope(data));
      Decoded full = codec.decodeFull(r.headers(), r.value());
      assertThat(full).isInstanceOf(Decoded.Ok.class);
      assertThat(codec.decode(r.headers(), r.value())).isEqualTo(full);
      assertThat(trusting.decode(r.headers(), r.value())).isEqualTo(full);
    }
  }

  /**
   * Thousands of damaged records (headers dropped, doubled, renamed, re-cased or given odd values; data cut, flipped,
   * extended or replaced): the fast path either gives the full path's answer or leaves it to the full path. A trusted
   * type may differ only where the full path's answer is a schema violation, and then it decodes.
   */
  @Test
  void damagedRecordsGetTheFullPathsAnswer() {
    Random random = new Random(20261201);
    int compared = 0;
    int trustedDifferences = 0;
    int parsedByCaller = 0;
    List<EventData> samples = new ArrayList<>(Samples.all().values());
    for (int i = 0; i < 6_000; i++) {
      EventData data = samples.get(random.nextInt(samples.size()));
      ProducerRecord<String, byte[]> r = codec.toRecord("t", Samples.envelope(data));
      Headers headers = damageHeaders(new RecordHeaders(r.headers().toArray()), random);
      byte[] value = random.nextInt(3) == 0 ? damageValue(r.value(), random) : r.value();

      Decoded full = codec.decodeFull(headers, value);
      assertThat(codec.decode(headers, value)).as("case %d", i).isEqualTo(full);
      JsonNode parsed = parsedOrNull(value);
      if (parsed != null) {
        // The ingest's form: the data read once by the caller gives the same answer.
        assertThat(codec.decode(headers, value, parsed)).as("case %d, parsed", i).isEqualTo(full);
        parsedByCaller++;
      }
      Decoded trusted = trusting.decode(headers, value);
      if (!trusted.equals(full)) {
        assertThat(full).as("case %d", i).isInstanceOfSatisfying(Decoded.Invalid.class,
            inv -> assertThat(inv.reason()).isEqualTo(DeadLetterReason.SCHEMA_VIOLATION));
        assertThat(trusting.trusted()).contains(data.type());
        assertThat(trusted).isInstanceOf(Decoded.Ok.class);
        trustedDifferences++;
      }
      compared++;
    }
    assertThat(compared).isEqualTo(6_000);
    assertThat(parsedByCaller).isGreaterThan(3_000);
    System.out.printf("CloudEventCodecFastPathTest: %,d damaged records compared; %d decoded by trust where the schema"
        + " would have refused them%n", compared, trustedDifferences);
  }

  /** The value as JSON, read as strictly as the codec reads it; null if it does not read. */
  private static JsonNode parsedOrNull(byte[] value) {
    try {
      JsonNode node = value == null ? null : Json.MAPPER.readTree(value);
      return node == null || node.isMissingNode() ? null : node;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  @Test
  void aTrustedTypeSkipsOnlyTheSchemaNotTheBinding() {
    PushTask task = Samples.pushTask(null, null);
    ProducerRecord<String, byte[]> r = codec.toRecord("t", Samples.envelope(task));
    // An empty title breaks the schema (1 to 256 characters) but binds.
    byte[] emptyTitle = new String(r.value(), StandardCharsets.UTF_8)
        .replace("\"title\":\"Bob liked your post\"", "\"title\":\"\"").getBytes(StandardCharsets.UTF_8);
    assertThat(codec.decode(r.headers(), emptyTitle)).isInstanceOfSatisfying(Decoded.Invalid.class,
        inv -> assertThat(inv.reason()).isEqualTo(DeadLetterReason.SCHEMA_VIOLATION));
    assertThat(trusting.decode(r.headers(), emptyTitle)).isInstanceOfSatisfying(Decoded.Ok.class,
        ok -> assertThat(((PushTask) ok.envelope().data()).title()).isEmpty());

    // An unknown property, a missing required one, a wrong type: still dead letters, with the full path's reason.
    String json = new String(r.value(), StandardCharsets.UTF_8);
    for (String bad : List.of(json.replace("{", "{\"extra\":1,"), json.replace("\"userId\":\"user-1\",", ""),
        json.replace("\"priority\":\"HIGH\"", "\"priority\":7"), json + "{}", "{\"pushId\":")) {
      byte[] value = bad.getBytes(StandardCharsets.UTF_8);
      Decoded trusted = trusting.decode(r.headers(), value);
      assertThat(trusted).as(bad).isInstanceOf(Decoded.Invalid.class).isEqualTo(codec.decodeFull(r.headers(), value));
    }
    // Invalid UTF-8 too.
    byte[] notUtf8 = r.value().clone();
    notUtf8[notUtf8.length / 2] = (byte) 0xC3;
    notUtf8[notUtf8.length / 2 + 1] = (byte) 0x28;
    assertThat(trusting.decode(r.headers(), notUtf8)).isEqualTo(codec.decodeFull(r.headers(), notUtf8));
  }

  @Test
  void aTrustedCodecStillRefusesToWriteMoreThanItsLimit() {
    CloudEventCodec small = new CloudEventCodec(200).trusting(EventType.PUSH_TASK);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> small.toRecord("t", Samples.envelope(Samples.pushTask(null, null))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEventBytes is 200");
  }

  private static Map<String, String> headerMap(Headers headers) {
    Map<String, String> m = new HashMap<>();
    for (Header h : headers) {
      assertThat(m.put(h.key(), new String(h.value(), StandardCharsets.UTF_8))).as("duplicate %s", h.key()).isNull();
    }
    return m;
  }

  private static final List<String> KEYS = List.of("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
      "ce_dataschema", "content-type");
  private static final List<String> ODD_VALUES = List.of("", " ", "1.0", "0.3", "::: not a uri", "urn:x", "2025-13-01T00:00:00Z",
      "2025-01-31T12:00:00Z", "2025-01-31T12:00:00+02:00", "application/json", "application/json; charset=utf-8",
      "text/plain", "application/cloudevents+json", "io.pushline.push.task.v1", "io.pushline.like.created.v1",
      "io.pushline.nope.v1", "id with spaces", "x".repeat(200), "https://pushline.io/schemas/nope.json", "\u0000");

  private static Headers damageHeaders(Headers h, Random random) {
    int damages = random.nextInt(3);
    for (int d = 0; d < damages; d++) {
      String key = KEYS.get(random.nextInt(KEYS.size()));
      switch (random.nextInt(6)) {
        case 0 -> h.remove(key);
        case 1 -> h.add(key, pick(random));
        case 2 -> {
          h.remove(key);
          h.add(key, pick(random));
        }
        case 3 -> {
          Header old = h.lastHeader(key);
          h.remove(key);
          if (old != null) {
            h.add(key.toUpperCase(java.util.Locale.ROOT), old.value());
          }
        }
        case 4 -> h.add("ce_extension" + random.nextInt(3), pick(random));
        default -> {
          h.remove(key);
          h.add(key, (byte[]) null);
        }
      }
    }
    if (random.nextInt(20) == 0) {
      h.add("pushline_attempt", "2".getBytes(StandardCharsets.UTF_8));   // not an attribute: ignored by both
    }
    return h;
  }

  private static byte[] pick(Random random) {
    return ODD_VALUES.get(random.nextInt(ODD_VALUES.size())).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] damageValue(byte[] value, Random random) {
    switch (random.nextInt(5)) {
      case 0:
        return java.util.Arrays.copyOf(value, random.nextInt(value.length));
      case 1: {
        byte[] v = value.clone();
        v[random.nextInt(v.length)] = (byte) random.nextInt(256);
        return v;
      }
      case 2:
        return (new String(value, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);
      case 3:
        return "{}".getBytes(StandardCharsets.UTF_8);
      default:
        return new byte[0];
    }
  }
}
