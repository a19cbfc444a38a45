package io.pushline.contracts;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of record values: a malformed or unmappable sequence is an error naming its byte offset, never
 * a replacement character. Both decode paths of {@link CloudEventCodec} use it, so they agree on what is UTF-8.
 */
final class StrictUtf8 {

  private StrictUtf8() {
  }

  /** {@code value} as text. */
  static String decode(byte[] value) throws InvalidUtf8 {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(value);
    CharBuffer out = CharBuffer.allocate(value.length); // UTF-8 never yields more chars than bytes
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new InvalidUtf8(in.position());
    }
    return out.flip().toString();
  }

  /** The value is not strict UTF-8; {@link #offset} is where the first bad sequence starts. No stack trace: it is data. */
  static final class InvalidUtf8 extends Exception {
    final int offset;

    InvalidUtf8(int offset) {
      super(null, null, false, false);
      this.offset = offset;
    }
  }
}
