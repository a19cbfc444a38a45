package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad records become {@link Decoded.Invalid} with the right reason; decode never throws. */
class DecodeBadInputTest {
  private static final String LIKE = EventType.LIKE_CREATED.ceType();
  private static final String LIKE_JSON = "{\"actorId\":\"user-2\",\"postId\":\"post-9\",\"postOwnerId\":\"user-1\"}";

  private final CloudEventCodec codec = new CloudEventCodec();

  @Test
  void aHandWrittenForeignRecordDecodes() {
    Decoded decoded = codec.decode(Samples.headers(LIKE), Samples.utf8(LIKE_JSON));
    assertThat(decoded).isInstanceOf(Decoded.Ok.class);
    assertThat(((Decoded.Ok) decoded).envelope().data()).isEqualTo(new LikeCreated("user-2", "post-9", "user-1"));
  }

  @Test
  void noHeaders() {
    assertThat(reasonOf(new RecordHeaders(), Samples.utf8(LIKE_JSON))).isEqualTo(DeadLetterReason.NO_HEADERS);
    assertThat(reasonOf(null, Samples.utf8(LIKE_JSON))).isEqualTo(DeadLetterReason.NO_HEADERS);
    assertThat(reasonOf(null, null)).isEqualTo(DeadLetterReason.NO_HEADERS);
    assertThat(codec.decode((ConsumerRecord<?, byte[]>) null)).isInstanceOf(Decoded.Invalid.class);
  }

  @Test
  void payloadTooLargeIsCheckedBeforeParsing() {
    byte[] twoMegabytesOfGarbage = new byte[2 * 1024 * 1024];
    Arrays.fill(twoMegabytesOfGarbage, (byte) 0xFF); // not UTF-8, not JSON: size must win
    assertThat(codec.decode(Samples.headers("not.even.a.known.type"), twoMegabytesOfGarbage)).isEqualTo(Samples.invalid(
        DeadLetterReason.PAYLOAD_TOO_LARGE, "data: 2097152 bytes exceeds the limit of 1048576 bytes"));
    assertThat(reasonOf(Samples.headers(LIKE), new byte[1_048_576])).isNotEqualTo(DeadLetterReason.PAYLOAD_TOO_LARGE);
  }

  @Test
  void payloadTooLargeWorksWithAConsumerRecord() {
    ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(Topics.EVENTS, 0, 0L, "k", new byte[2_000_001]);
    Samples.headers(LIKE).forEach(h -> record.headers().add(h));
    assertThat(new CloudEventCodec(2_000_000).decode(record)).isInstanceOf(Decoded.Invalid.class)
        .extracting(d -> ((Decoded.Invalid) d).reason()).isEqualTo(DeadLetterReason.PAYLOAD_TOO_LARGE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ce_id", "ce_source", "ce_type", "ce_time"})
  void missingRequiredAttributeIsNamed(String header) {
    Headers headers = Samples.without(Samples.headers(LIKE), header);
    assertThat(codec.decode(headers, Samples.utf8(LIKE_JSON)))
        .isEqualTo(Samples.invalid(DeadLetterReason.NOT_A_CLOUDEVENT, header + ": required"));
  }

  @Test
  void missingSpecVersion() {
    Headers headers = Samples.without(Samples.headers(LIKE), "ce_specversion");
    assertThat(codec.decode(headers, Samples.utf8(LIKE_JSON))).isEqualTo(Samples.invalid(
        DeadLetterReason.NOT_A_CLOUDEVENT, "ce_specversion: required (expected a binary-mode CloudEvent)"));
  }

  @Test
  void headersThatAreNotCloudEventsAtAll() {
    Headers headers = Samples.add(new RecordHeaders(), "traceparent", "00-abc-def-01");
    assertThat(reasonOf(headers, Samples.utf8(LIKE_JSON))).isEqualTo(DeadLetterReason.NOT_A_CLOUDEVENT);
  }

  @Test
  void unsupportedSpecVersions() {
    Headers v2 = Samples.without(Samples.headers(LIKE), "ce_specversion");
    Samples.add(v2, "ce_specversion", "2.0");
    assertThat(detailOf(v2, LIKE_JSON)).isEqualTo("ce_specversion: unsupported; must be 1.0");
    Headers v03 = Samples.without(Samples.headers(LIKE), "ce_specversion");
    Samples.add(v03, "ce_specversion", "0.3");
    assertThat(detailOf(v03, LIKE_JSON)).isEqualTo("ce_specversion: must be 1.0");
  }

  @Test
  void invalidAttributeValuesAreNamedNotEchoed() {
    Headers badTime = Samples.without(Samples.headers(LIKE), "ce_time");
    Samples.add(badTime, "ce_time", "yesterday-at-noon");
    assertThat(detailOf(badTime, LIKE_JSON)).isEqualTo("ce_time: invalid value");

    Headers badSource = Samples.without(Samples.headers(LIKE), "ce_source");
    Samples.add(badSource, "ce_source", "::: not a uri");
    assertThat(detailOf(badSource, LIKE_JSON)).isEqualTo("ce_source: invalid value");

    Headers badId = Samples.without(Samples.headers(LIKE), "ce_id");
    Samples.add(badId, "ce_id", "event|1");
    assertThat(detailOf(badId, LIKE_JSON)).isEqualTo("ce_id: must match ^[A-Za-z0-9._:@-]{1,128}$");
  }

  @Test
  void duplicateOrEmptyCloudEventHeadersAreRejected() {
    Headers dup = Samples.add(Samples.headers(LIKE), "ce_type", EventType.PROFILE_BANNED.ceType());
    assertThat(codec.decode(dup, Samples.utf8(LIKE_JSON)))
        .isEqualTo(Samples.invalid(DeadLetterReason.NOT_A_CLOUDEVENT, "ce_type: duplicate header"));
    Headers nullValue = Samples.without(Samples.headers(LIKE), "ce_id");
    nullValue.add(new RecordHeader("ce_id", null));
    assertThat(detailOf(nullValue, LIKE_JSON)).isEqualTo("ce_id: header has no value");
  }

  @Test
  void structuredModeAndNonJsonContentTypesAreRejected() {
    Headers structured = Samples.without(Samples.headers(LIKE), "content-type");
    Samples.add(structured, "content-type", "application/cloudevents+json; charset=UTF-8");
    assertThat(reasonOf(structured, Samples.utf8(LIKE_JSON))).isEqualTo(DeadLetterReason.NOT_A_CLOUDEVENT);
    assertThat(detailOf(structured, LIKE_JSON)).startsWith("content-type: structured mode is not supported");

    Headers protobuf = Samples.without(Samples.headers(LIKE), "content-type");
    Samples.add(protobuf, "content-type", "application/protobuf");
    assertThat(detailOf(protobuf, LIKE_JSON)).isEqualTo("content-type: must be application/json");

    Headers none = Samples.without(Samples.headers(LIKE), "content-type");
    assertThat(codec.decode(none, Samples.utf8(LIKE_JSON))).isInstanceOf(Decoded.Ok.class);
  }

  @Test
  void unknownTypeIsNamedAndTruncated() {
    assertThat(codec.decode(Samples.headers("io.pushline.comment.created.v1"), Samples.utf8(LIKE_JSON))).isEqualTo(
        Samples.invalid(DeadLetterReason.UNKNOWN_TYPE, "ce_type: unknown type 'io.pushline.comment.created.v1'"));
    Decoded huge = codec.decode(Samples.headers("t".repeat(5000) + "\n"), Samples.utf8(LIKE_JSON));
    assertThat(huge).isInstanceOf(Decoded.Invalid.class);
    Decoded.Invalid invalid = (Decoded.Invalid) huge;
    assertThat(invalid.reason()).isEqualTo(DeadLetterReason.UNKNOWN_TYPE);
    assertThat(invalid.detail()).hasSizeLessThan(260).contains("t".repeat(200) + "...").doesNotContain("\n");
  }

  @Test
  void nonUtf8Data() {
    byte[] latin1 = "{\"actorId\":\"jos\u00e9\",\"postId\":\"p\",\"postOwnerId\":\"u\"}".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(codec.decode(Samples.headers(LIKE), latin1))
        .isEqualTo(Samples.invalid(DeadLetterReason.NOT_UTF8, "data: invalid UTF-8 at byte offset 15"));
    byte[] surrogate = {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}; // CESU-8 surrogate
    assertThat(reasonOf(Samples.headers(LIKE), surrogate)).isEqualTo(DeadLetterReason.NOT_UTF8);
    byte[] truncated = {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82};
    assertThat(reasonOf(Samples.headers(LIKE), truncated)).isEqualTo(DeadLetterReason.NOT_UTF8);
  }

  @Test
  void malformedJsonNamesTheLocationNotThePayload() {
    assertThat(codec.decode(Samples.headers(LIKE), Samples.utf8("{\"actorId\": secret-value}"))).isEqualTo(
        Samples.invalid(DeadLetterReason.MALFORMED_JSON, "data: not well-formed JSON at line 1, column 13"));
    for (String json : List.of("{", "{\"a\":1}}", "{\"a\":1} {\"b\":2}", "{\"actorId\":\"a\",\"actorId\":\"b\"}",
        "\ufeff" + LIKE_JSON, "{'actorId':'a'}", "NaN", "   ")) {
      Decoded decoded = codec.decode(Samples.headers(LIKE), Samples.utf8(json));
      assertThat(decoded).as(json).isInstanceOf(Decoded.Invalid.class);
      assertThat(((Decoded.Invalid) decoded).reason()).as(json).isEqualTo(DeadLetterReason.MALFORMED_JSON);
      assertThat(((Decoded.Invalid) decoded).detail()).as(json).startsWith("data: ").doesNotContain("secret");
    }
  }

  @Test
  void emptyOrNullDataIsMalformed() {
    assertThat(codec.decode(Samples.headers(LIKE), new byte[0]))
        .isEqualTo(Samples.invalid(DeadLetterReason.MALFORMED_JSON, "data: empty; expected a JSON object"));
    assertThat(reasonOf(Samples.headers(LIKE), null)).isEqualTo(DeadLetterReason.MALFORMED_JSON);
  }

  @Test
  void deeplyNestedJsonIsRejectedByTheParser() {
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    Decoded decoded = codec.decode(Samples.headers(LIKE), Samples.utf8(deep));
    assertThat(decoded).isInstanceOf(Decoded.Invalid.class);
    assertThat(((Decoded.Invalid) decoded).reason()).isEqualTo(DeadLetterReason.MALFORMED_JSON);
    assertThat(((Decoded.Invalid) decoded).detail()).contains("nesting deeper than 32");
  }

  @Test
  void missingRequiredFieldInData() {
    assertThat(codec.decode(Samples.headers(LIKE), Samples.utf8("{\"actorId\":\"user-2\",\"postId\":\"post-9\"}")))
        .isEqualTo(Samples.invalid(DeadLetterReason.SCHEMA_VIOLATION, "postOwnerId: required property missing"));
  }

  @Test
  void dataOfAnotherTypeViolatesTheSchema() {
    Decoded decoded = codec.decode(Samples.headers(EventType.PROFILE_BANNED.ceType()), Samples.utf8(LIKE_JSON));
    assertThat(decoded).isInstanceOf(Decoded.Invalid.class);
    assertThat(((Decoded.Invalid) decoded).reason()).isEqualTo(DeadLetterReason.SCHEMA_VIOLATION);
    assertThat(((Decoded.Invalid) decoded).detail()).contains("profileId: required property missing", "actorId: unknown property");
  }

  /** Random bytes and random (often CloudEvents-like) headers: decode returns, never throws. */
  @Test
  void fuzzedRecordsNeverThrow() {
    Random random = new Random(20250131L); // fixed seed: a failure reproduces
    CloudEventCodec small = new CloudEventCodec(4096);
    List<String> keys = List.of("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type",
        "ce_dataschema", "ce_subject", "ce_X", "ce_", "CE_ID", "other", "");
    List<String> values = List.of("1.0", "0.3", "", "e1", "urn:x", LIKE, EventType.PUSH_TASK.ceType(),
        "2025-01-31T12:00:00Z", "application/json", "application/cloudevents+json", "::", "\u0000", "\uFFFF");
    ProducerRecord<String, byte[]> valid = codec.toRecord(Topics.EVENTS, Samples.envelope(Samples.pushTask("c", 1)));
    for (int i = 0; i < 5_000; i++) {
      Headers headers = new RecordHeaders();
      int mode = random.nextInt(4);
      if (mode == 0) {
        valid.headers().forEach(headers::add); // valid envelope, random data
      } else if (mode == 1) {
        for (Header h : valid.headers()) { // valid envelope with one header mangled
          headers.add(h.key(), random.nextInt(5) == 0 ? randomBytes(random, 12) : h.value());
        }
      }
      int extra = random.nextInt(6);
      for (int j = 0; j < extra; j++) {
        String key = keys.get(random.nextInt(keys.size()));
        byte[] value = random.nextInt(4) == 0 ? randomBytes(random, 40)
            : random.nextInt(10) == 0 ? null : Samples.utf8(values.get(random.nextInt(values.size())));
        headers.add(new RecordHeader(key, value));
      }
      byte[] value = switch (random.nextInt(4)) {
        case 0 -> randomBytes(random, random.nextInt(200));
        case 1 -> mutate(random, valid.value());
        case 2 -> random.nextBoolean() ? null : new byte[0];
        default -> randomJsonish(random);
      };
      Headers h = random.nextInt(50) == 0 ? null : headers;
      assertThatCode(() -> {
        Decoded decoded = small.decode(h, value);
        assertThat(decoded).isNotNull();
        if (decoded instanceof Decoded.Invalid invalid) { // every failure is classified, none hits the catch-all
          assertThat(invalid.violations()).noneMatch(v -> v.problem().startsWith(CloudEventCodec.UNEXPECTED));
        }
      }).doesNotThrowAnyException();
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] mutate(Random random, byte[] original) {
    byte[] b = original.clone();
    int flips = 1 + random.nextInt(4);
    for (int i = 0; i < flips; i++) {
      b[random.nextInt(b.length)] = (byte) random.nextInt(256);
    }
    return random.nextInt(5) == 0 ? Arrays.copyOf(b, random.nextInt(b.length)) : b;
  }

  private static byte[] randomJsonish(Random random) {
    String alphabet = "{}[]\":,0123456789.eE-+ truefalsnl\\u\u00e9\u2713";
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(120);
    for (int i = 0; i < n; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return Samples.utf8(s.toString());
  }

  private DeadLetterReason reasonOf(Headers headers, byte[] value) {
    Decoded decoded = codec.decode(headers, value);
    assertThat(decoded).isInstanceOf(Decoded.Invalid.class);
    return ((Decoded.Invalid) decoded).reason();
  }

  private String detailOf(Headers headers, String json) {
    Decoded decoded = codec.decode(headers, Samples.utf8(json));
    assertThat(decoded).isInstanceOf(Decoded.Invalid.class);
    return ((Decoded.Invalid) decoded).detail();
  }
}
