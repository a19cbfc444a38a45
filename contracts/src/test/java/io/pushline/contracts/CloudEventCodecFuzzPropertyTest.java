package io.pushline.contracts;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

/** {@link CloudEventCodecFuzzTest#checkDecoded} fails on the outcomes a broken decoder would give, so the fuzzer can. */
class CloudEventCodecFuzzPropertyTest {
  private static final CloudEventCodec CODEC = new CloudEventCodec();
  private static final String LIKE_JSON = "{\"actorId\":\"user-2\",\"postId\":\"post-9\",\"postOwnerId\":\"user-1\"}";

  @Test
  void aGoodRecordAndAnHonestRejectionPass() {
    Headers headers = Samples.headers(EventType.LIKE_CREATED.ceType());
    byte[] value = Samples.utf8(LIKE_JSON);
    assertThatCode(() -> CloudEventCodecFuzzTest.checkDecoded(CODEC, headers, value, true, CODEC.decode(headers, value)))
        .doesNotThrowAnyException();
    byte[] deep = CloudEventCodecFuzzTest.nested(Json.MAX_NESTING_DEPTH + 1, true);
    assertThatCode(() -> CloudEventCodecFuzzTest.checkDecoded(CODEC, headers, deep, false, CODEC.decode(headers, deep)))
        .doesNotThrowAnyException();
  }

  @Test
  void aHiddenExceptionALongDetailOrAnEchoedValueFail() {
    Headers headers = Samples.headers(EventType.LIKE_CREATED.ceType());
    byte[] value = Samples.utf8(LIKE_JSON);
    for (Decoded broken : new Decoded[] {
        null,
        new Decoded.Invalid(DeadLetterReason.NOT_A_CLOUDEVENT, "(record)", CloudEventCodec.UNEXPECTED + "NullPointerException"),
        new Decoded.Invalid(DeadLetterReason.SCHEMA_VIOLATION, "x", "x".repeat(DeadLetters.MAX_DETAIL_CHARS + 1)),
        new Decoded.Invalid(DeadLetterReason.SCHEMA_VIOLATION, "actorId", "'" + CloudEventCodecFuzzTest.MARKER + "x' is bad")}) {
      assertThatThrownBy(() -> CloudEventCodecFuzzTest.checkDecoded(CODEC, headers, value, true, broken))
          .as("%s", broken).isInstanceOf(AssertionError.class);
    }
  }

  @Test
  void anAcceptedEventTheFullPathRejectsOrThatDoesNotRoundTripFails() {
    Headers headers = Samples.headers(EventType.LIKE_CREATED.ceType());
    byte[] value = Samples.utf8(LIKE_JSON);
    // Not what these bytes say: the full path disagrees.
    Decoded wrongData = new Decoded.Ok(Samples.envelope(new LikeCreated("user-3", "post-9", "user-1")));
    // Data its own schema refuses (an empty id) cannot be re-encoded.
    Decoded unencodable = new Decoded.Ok(Envelope.of("e-1", URI.create("urn:x"), Samples.T0, new LikeCreated("", "post-9", "user-1")));
    for (Decoded broken : new Decoded[] {wrongData, unencodable}) {
      assertThatThrownBy(() -> CloudEventCodecFuzzTest.checkDecoded(CODEC, headers, value, true, broken))
          .as("%s", broken).isInstanceOf(AssertionError.class);
    }
  }
}
