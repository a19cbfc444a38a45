package io.pushline.contracts;

import java.util.regex.Pattern;

/** Argument checks whose messages name the field and, where safe, the bad value. */
final class Require {
  /** Ids: no '|', which {@link Keys} uses as the compound-key separator. Mirrors the schemas. */
  static final Pattern ID = Pattern.compile("^[A-Za-z0-9._:@-]{1,128}$");

  private Require() {
  }

  static <T> T nonNull(T value, String field) {
    if (value == null) {
      throw new NullPointerException(field + " must not be null");
    }
    return value;
  }

  static int positive(int value, String field) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be > 0 but was " + value);
    }
    return value;
  }

  static long nonNegative(long value, String field) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0 but was " + value);
    }
    return value;
  }

  /** Cuts {@code s} to {@code max} characters and replaces control characters, for error details. */
  static String printable(String s, int max) {
    if (s == null) {
      return "null";
    }
    String cut = s.length() > max ? s.substring(0, max) + "..." : s;
    StringBuilder b = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return b.toString();
  }
}
