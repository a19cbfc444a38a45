package io.pushline.contracts;

/** A kind of content a profile owns, as a ban's removal command names it. */
public enum ContentKind {
  /** A post the profile wrote ({@link PostCreated}). */
  POST,
  /** The profile's like of a post ({@link LikeCreated}). */
  LIKE
}
