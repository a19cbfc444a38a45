package io.pushline.contracts;

/** What a user did, as an {@link ActivityRecorded} entry names it. */
public enum ActivityVerb {
  /** The actor liked a post ({@link LikeCreated}); the object is the post. */
  LIKED,
  /** The actor took back a like ({@link LikeRemoved}); the object is the post. */
  UNLIKED,
  /** The actor followed a user ({@link FollowCreated}); the object is the followee. */
  FOLLOWED
}
