package io.pushline.contracts;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parses {@code ce_source} values, remembering the first {@value #MAX_CACHED} distinct ones: a deployment has a
 * handful of sources, and parsing a URI costs more than decoding the rest of a push task's attributes.
 */
final class Uris {
  static final int MAX_CACHED = 1024;
  private static final ConcurrentHashMap<String, URI> CACHE = new ConcurrentHashMap<>();

  private Uris() {
  }

  /** The URI, or null if {@code text} is empty or not a URI reference. */
  static URI parse(String text) {
    URI cached = CACHE.get(text);
    if (cached != null) {
      return cached;
    }
    if (text.isEmpty()) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return null;
    }
    if (CACHE.size() < MAX_CACHED) {   // a race may add a few more: still bounded
      CACHE.putIfAbsent(text, uri);
    }
    return uri;
  }
}
